// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import type { HealthCheck, RestartPolicy } from '../../src/manifest/types.js';
import {
  createHealthMonitor,
  type HealthSummary,
  type MonitorDeps,
  type MonitorOptions,
} from '../../src/health/monitor.js';
import type { PlanStep } from '../../src/plan/types.js';
import type { HostEntry, JailNode, Topology } from '../../src/topology/types.js';
import { FakeClock } from './fake-clock.js';
import { cloneTopology, makeTopology } from './topology-fixture.js';

const CHECK: HealthCheck = { tcp: { port: 8080 }, interval: '1s', retries: 1 };

interface Setup {
  /** Whether the probe of `jail` passes at time `t`. */
  passes?: (jail: string, t: number) => boolean;
  policy?: RestartPolicy;
  check?: HealthCheck;
  observe?: (desired: Topology, t: number) => Topology;
  nodeSelfHeal?: boolean;
  options?: Partial<MonitorOptions>;
}

function harness(setup: Setup = {}) {
  const clock = new FakeClock();
  const topology = makeTopology();
  // What the fake host holds: the applied topology, with table replacements carried out.
  const host = cloneTopology(topology);
  const record = {
    probes: [] as string[],
    restarts: [] as number[],
    steps: [] as { at: number; step: PlanStep }[],
    hosts: [] as { at: number; hosts: HostEntry[] }[],
    statuses: [] as HealthSummary[],
    tails: [] as string[],
  };
  const policy = setup.policy ?? 'Always';
  const check = setup.check ?? CHECK;
  const deps: MonitorDeps = {
    desired: () => ({
      topology,
      jails: {
        'web-0': { health: check, restartPolicy: policy },
        'web-1': { health: check, restartPolicy: policy },
      },
    }),
    probe: async (target) => {
      record.probes.push(`${clock.time} ${target.jail} ${target.address}`);
      const ok = (setup.passes ?? (() => true))(target.jail, clock.time);
      return { ok, detail: ok ? 'up' : 'down', durationMs: 1 };
    },
    observe: async () => (setup.observe ?? ((d) => cloneTopology(d)))(host, clock.time),
    restartJail: async (name) => {
      record.restarts.push(clock.time);
      expect(name).toBe('web-0');
    },
    applyStep: async (step) => {
      record.steps.push({ at: clock.time, step });
      if (step.action.type === 'pf.replaceTable') {
        const key = `${step.action.anchor}:${step.action.table}`;
        (host.tables[key] as { addresses: string[] }).addresses = step.action.addresses;
      }
    },
    applyHosts: async (hosts) => {
      record.hosts.push({ at: clock.time, hosts });
    },
    readOutputTail: async (jail: JailNode) => {
      record.tails.push(jail.path);
      return 'panic: bad config\n';
    },
    onStatus: (summary) => {
      record.statuses.push(summary);
    },
    now: clock.now,
    timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
    nodeSelfHeal: setup.nodeSelfHeal ?? true,
  };
  const monitor = createHealthMonitor(deps, setup.options);
  return { clock, monitor, record, topology };
}

const tableUpdates = (steps: { at: number; step: PlanStep }[]) =>
  steps.map(({ at, step }) => [
    at,
    step.action.type,
    (step.action as { addresses?: string[] }).addresses,
  ]);

describe('health monitor: restarts', () => {
  it('restarts a failing jail with the exact backoff and marks it CrashLooping with its output', async () => {
    const { clock, monitor, record } = harness({ passes: (jail) => jail !== 'web-0' });

    monitor.start();
    await clock.advance(80_000);
    await monitor.stop();

    // Fails at 0, restarts after 1s; each later failure comes one interval after the restart.
    expect(record.restarts).toEqual([1_000, 4_000, 9_000, 18_000, 35_000, 68_000]);
    expect(record.tails).toEqual(['/stockade/jails/web-0']);
    // The last update went out with the sixth restart; later probes changed nothing shown.
    const last = record.statuses.at(-1);
    expect(last?.at).toBe(68_000);
    expect(last?.jails.find((j) => j.jail === 'web-0')).toEqual({
      jail: 'web-0',
      status: 'unhealthy',
      detail: 'down',
      restarts: 6,
      crashLooping: true,
      outputTail: 'panic: bad config\n',
    });
  });

  it('does not restart a jail whose policy is Never', async () => {
    const { clock, monitor, record } = harness({
      passes: (jail) => jail !== 'web-0',
      policy: 'Never',
    });

    monitor.start();
    await clock.advance(30_000);
    await monitor.stop();

    expect(record.restarts).toEqual([]);
    expect(record.statuses.at(-1)?.jails.find((j) => j.jail === 'web-0')).toMatchObject({
      status: 'unhealthy',
      restarts: 0,
      crashLooping: false,
    });
  });

  it('stops ticking after stop()', async () => {
    const { clock, monitor, record } = harness();

    monitor.start();
    await clock.advance(2_000);
    await monitor.stop();
    const probes = record.probes.length;
    await clock.advance(10_000);

    expect(probes).toBe(6);
    expect(record.probes.length).toBe(probes);
    expect(clock.pending).toBe(0);
  });

  it('probes each jail at its own address', async () => {
    const { monitor, record } = harness();

    await monitor.tick();

    expect(record.probes).toEqual(['0 web-0 10.77.1.10', '0 web-1 10.77.1.11']);
  });
});

describe('health monitor: services follow health', () => {
  it('takes an endpoint out of the table and puts it back, only through table replacement', async () => {
    const { clock, monitor, record } = harness({
      check: { tcp: { port: 8080 }, interval: '1s', retries: 3 },
      policy: 'Never',
      passes: (jail, t) => jail !== 'web-1' || t < 5_000 || t >= 20_000,
    });

    monitor.start();
    await clock.advance(25_000);
    await monitor.stop();

    expect(tableUpdates(record.steps)).toEqual([
      [7_000, 'pf.replaceTable', ['10.77.1.10']],
      [20_000, 'pf.replaceTable', ['10.77.1.10', '10.77.1.11']],
    ]);
    expect(record.steps.some(({ step }) => step.action.type === 'pf.loadAnchor')).toBe(false);
    expect(record.hosts).toEqual([
      { at: 0, hosts: [{ name: 'web', addresses: ['10.77.1.10', '10.77.1.11'] }] },
      { at: 7_000, hosts: [{ name: 'web', addresses: ['10.77.1.10'] }] },
      { at: 20_000, hosts: [{ name: 'web', addresses: ['10.77.1.10', '10.77.1.11'] }] },
    ]);
  });

  it('reports a service with no healthy endpoint', async () => {
    const { clock, monitor, record } = harness({ policy: 'Never', passes: () => false });

    monitor.start();
    await clock.advance(11_000);
    await monitor.stop();

    expect(record.statuses.at(-1)?.unavailable).toEqual([{ service: 'web', endpoints: 2 }]);
    expect(tableUpdates(record.steps)).toEqual([[0, 'pf.replaceTable', []]]);
  });
});

describe('health monitor: debounced status', () => {
  it('does not publish a flapping check, and publishes at most once per window', async () => {
    const { clock, monitor, record } = harness({
      policy: 'Never',
      // web-0 flaps every second until 60s, then stays up.
      passes: (jail, t) => jail !== 'web-0' || t >= 60_000 || (t / 1_000) % 2 === 0,
    });

    monitor.start();
    await clock.advance(75_000);
    await monitor.stop();

    expect(record.statuses.map((s) => s.at)).toEqual([0, 10_000, 70_000]);
    expect(record.statuses.map((s) => s.jails.map((j) => `${j.jail}:${j.status}`))).toEqual([
      [],
      ['web-1:healthy'],
      ['web-0:healthy', 'web-1:healthy'],
    ]);
  });
});

describe('health monitor: drift', () => {
  it('brings back a jail stopped by hand after the backoff, with the repair steps', async () => {
    const { clock, monitor, record } = harness({
      observe: (desired, t) => {
        const observed = cloneTopology(desired);
        if (t === 0) (observed.jails['web-1'] as JailNode).running = false;
        return observed;
      },
    });

    monitor.start();
    await clock.advance(1_500);
    await monitor.stop();

    expect(record.restarts).toEqual([]);
    expect(record.steps.map(({ at, step }) => `${at} ${step.id}`)).toEqual([
      '1000 epair.create:web-1:front',
      '1000 mount.add:web-1:/stockade/jails/web-1/data',
      '1000 jail.create:web-1',
      '1000 jail.configureNetwork:web-1:front',
      '1000 rctl.set:web-1',
      '1000 jail.startCommand:web-1',
      // The new instance stays out of the service until its first probe passes.
      '1000 pf.replaceTable:stockade/svc-web:svc_web',
    ]);
    expect(record.statuses[0]?.drift).toEqual([
      { kind: 'JailStopped', target: 'web-1', detail: 'jail is not running', healed: true },
    ]);
  });

  it('refills a flushed table with the healthy endpoints only', async () => {
    const { clock, monitor, record } = harness({
      policy: 'Never',
      check: { tcp: { port: 8080 }, interval: '1s', retries: 1 },
      passes: (jail) => jail !== 'web-1',
      options: { driftIntervalMs: 5_000 },
      observe: (desired, t) => {
        const observed = cloneTopology(desired);
        (observed.tables['stockade/svc-web:svc_web'] as { addresses: string[] }).addresses =
          t >= 5_000 ? [] : ['10.77.1.10'];
        return observed;
      },
    });

    monitor.start();
    await clock.advance(5_500);
    await monitor.stop();

    expect(tableUpdates(record.steps)).toEqual([
      [0, 'pf.replaceTable', ['10.77.1.10']],
      [5_000, 'pf.replaceTable', ['10.77.1.10']],
    ]);
  });

  it('only reports drift when the node switched self-healing off', async () => {
    const { clock, monitor, record } = harness({
      nodeSelfHeal: false,
      observe: (desired) => {
        const observed = cloneTopology(desired);
        (observed.jails['web-1'] as JailNode).mounts = [];
        (observed.jails['web-0'] as JailNode).running = false;
        return observed;
      },
    });

    monitor.start();
    await clock.advance(5_000);
    await monitor.stop();

    expect(record.steps).toEqual([]);
    expect(record.restarts).toEqual([]);
    expect(record.statuses[0]?.drift).toEqual([
      { kind: 'JailStopped', target: 'web-0', detail: 'jail is not running', healed: false },
      {
        kind: 'MountMissing',
        target: 'web-1',
        detail: '/stockade/jails/web-1/data is not mounted',
        healed: false,
      },
    ]);
  });

  it('idles until there is a desired state', async () => {
    const { clock, record } = harness();
    const monitor = createHealthMonitor({
      desired: () => undefined,
      probe: () => Promise.reject(new Error('no probe expected')),
      observe: () => Promise.reject(new Error('no observe expected')),
      restartJail: () => Promise.reject(new Error('no restart expected')),
      applyStep: () => Promise.reject(new Error('no step expected')),
      readOutputTail: () => Promise.reject(new Error('no tail expected')),
      onStatus: (summary) => {
        record.statuses.push(summary);
      },
      now: clock.now,
      timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
      nodeSelfHeal: true,
    });

    monitor.start();
    await clock.advance(3_000);
    await monitor.stop();

    expect(record.statuses).toEqual([]);
  });
});
