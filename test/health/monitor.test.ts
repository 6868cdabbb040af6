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

const KEY = 'stockade/svc-web:svc_web';
const CHECK: HealthCheck = { tcp: { port: 8080 }, interval: '1s', retries: 1 };

interface Setup {
  /** Whether the probe of `jail` passes at time `t`. */
  passes?: (jail: string, t: number) => boolean;
  policy?: RestartPolicy;
  check?: HealthCheck;
  observe?: (desired: Topology, t: number) => Topology;
  nodeSelfHeal?: boolean;
  options?: Partial<MonitorOptions>;
  /** Per-jail checks; a jail mapped to undefined has none. Defaults to `check` for both. */
  checks?: Record<string, HealthCheck | undefined>;
  failStep?: (step: PlanStep) => boolean;
  restartFails?: boolean;
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
    tailTimes: [] as number[],
  };
  const policy = setup.policy ?? 'Always';
  const check = setup.check ?? CHECK;
  const pick = (jail: string) =>
    setup.checks === undefined || !(jail in setup.checks) ? check : setup.checks[jail];
  const deps: MonitorDeps = {
    desired: () => ({
      topology,
      jails: {
        'web-0': { health: pick('web-0'), restartPolicy: policy },
        'web-1': { health: pick('web-1'), restartPolicy: policy },
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
      if (setup.restartFails === true) throw new Error('jail: web-0: already exists');
    },
    applyStep: async (step) => {
      record.steps.push({ at: clock.time, step });
      if (setup.failStep?.(step) === true) throw new Error(`cannot ${step.id}`);
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
      record.tailTimes.push(clock.time);
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
    // Read when the verdict comes, before the restart: at the sixth and seventh failure.
    expect(record.tails).toEqual([36_000, 69_000].map(() => '/stockade/jails/web-0'));
    expect(record.tailTimes).toEqual([36_000, 69_000]);
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
      // Out of the service as soon as it is found stopped; it stays out until its probe passes.
      '0 pf.replaceTable:stockade/svc-web:svc_web',
      '1000 file.write:web-1',
      '1000 mount.add:web-1:/stockade/jails/web-1/data',
      '1000 epair.create:web-1:front',
      '1000 jail.create:web-1',
      '1000 jail.configureNetwork:web-1:front',
      '1000 rctl.set:web-1',
      '1000 jail.startCommand:web-1',
    ]);
    expect(record.statuses[0]?.drift).toEqual([
      { kind: 'JailStopped', target: 'web-1', detail: 'jail is not running', healed: true },
    ]);
    // The repair wrote every endpoint into the jail's /etc/hosts; the healthy set goes back.
    expect(record.hosts.map((h) => [h.at, h.hosts[0]?.addresses])).toEqual([
      [0, ['10.77.1.10', '10.77.1.11']],
      [0, ['10.77.1.10']],
      [1_000, ['10.77.1.10']],
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

    // Nothing is repaired; the stopped jail only leaves the service table.
    expect(tableUpdates(record.steps)).toEqual([[0, 'pf.replaceTable', ['10.77.1.11']]]);
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

describe('health monitor: failures stay contained', () => {
  it('keeps backing off when the restart itself fails', async () => {
    const { clock, monitor, record } = harness({
      passes: (jail) => jail !== 'web-0',
      restartFails: true,
    });

    monitor.start();
    await clock.advance(10_000);
    await monitor.stop();

    expect(record.restarts).toEqual([1_000, 4_000, 9_000]);
  });

  it('repairs the other jails when one repair fails, and skips what depends on the failure', async () => {
    const { clock, monitor, record } = harness({
      policy: 'Always',
      failStep: (step) => step.id === 'jail.create:web-0',
      observe: (desired, t) => {
        const observed = cloneTopology(desired);
        if (t === 0) {
          (observed.jails['web-0'] as JailNode).running = false;
          (observed.jails['web-1'] as JailNode).mounts = [];
        }
        return observed;
      },
    });

    monitor.start();
    await clock.advance(1_500);
    await monitor.stop();

    expect(record.steps.map(({ at, step }) => `${at} ${step.id}`)).toEqual([
      '0 mount.add:web-1:/stockade/jails/web-1/data',
      '0 pf.replaceTable:stockade/svc-web:svc_web',
      '1000 file.write:web-0',
      '1000 mount.add:web-0:/stockade/jails/web-0/data',
      '1000 epair.create:web-0:front',
      '1000 jail.create:web-0',
    ]);
  });

  it('fails a probe that never settles instead of stalling the loop', async () => {
    const { clock, monitor, record } = harness({ policy: 'Never' });
    const host = makeTopology();
    const stuck = createHealthMonitor(
      {
        desired: () => ({
          topology: makeTopology(),
          jails: {
            'web-0': { health: { tcp: { port: 1 }, interval: '1s', timeout: '1s', retries: 1 } },
          },
        }),
        probe: () => new Promise(() => undefined),
        observe: async () => cloneTopology(host),
        restartJail: () => Promise.reject(new Error('no restart expected')),
        applyStep: async (step) => {
          record.steps.push({ at: clock.time, step });
          if (step.action.type === 'pf.replaceTable') {
            (host.tables[KEY] as { addresses: string[] }).addresses = step.action.addresses;
          }
        },
        readOutputTail: async () => '',
        onStatus: (summary) => {
          record.statuses.push(summary);
        },
        now: clock.now,
        timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
        nodeSelfHeal: true,
      },
      { debounceMs: 1_000 },
    );
    await monitor.stop();

    stuck.start();
    await clock.advance(3_500);
    await stuck.stop();

    // The 3s guard (twice the timeout plus 1s) fails the probe; the loop goes on.
    const last = record.statuses.at(-1)?.jails.find((j) => j.jail === 'web-0');
    expect(last).toMatchObject({
      status: 'unhealthy',
      detail: 'probe did not finish within 3000ms',
    });
    expect(tableUpdates(record.steps)).toEqual([[3_000, 'pf.replaceTable', ['10.77.1.11']]]);
  });
});

describe('health monitor: jails without a check', () => {
  it('are out of the service while stopped and back once put back', async () => {
    const { clock, monitor, record } = harness({
      checks: { 'web-1': undefined },
      observe: (desired, t) => {
        const observed = cloneTopology(desired);
        if (t === 0) (observed.jails['web-1'] as JailNode).running = false;
        return observed;
      },
      options: { driftIntervalMs: 60_000 },
    });

    monitor.start();
    await clock.advance(2_500);
    await monitor.stop();

    expect(tableUpdates(record.steps).filter(([, type]) => type === 'pf.replaceTable')).toEqual([
      [0, 'pf.replaceTable', ['10.77.1.10']],
      [1_000, 'pf.replaceTable', ['10.77.1.10', '10.77.1.11']],
    ]);
  });

  it('are left stopped and reported when their policy is Never', async () => {
    const { clock, monitor, record } = harness({
      policy: 'Never',
      observe: (desired) => {
        const observed = cloneTopology(desired);
        (observed.jails['web-1'] as JailNode).running = false;
        return observed;
      },
    });

    monitor.start();
    await clock.advance(3_000);
    await monitor.stop();

    expect(record.steps.filter(({ step }) => step.target === 'web-1')).toEqual([]);
    expect(record.statuses[0]?.drift).toEqual([
      { kind: 'JailStopped', target: 'web-1', detail: 'jail is not running', healed: false },
    ]);
  });
});

describe('health monitor: after an apply', () => {
  it('takes an unhealthy endpoint out again once told the tables were rewritten', async () => {
    const { clock, monitor, record } = harness({
      policy: 'Never',
      passes: (jail) => jail !== 'web-1',
      options: { driftIntervalMs: 600_000 },
    });

    monitor.start();
    await clock.advance(2_500);
    monitor.resetTables();
    await clock.advance(1_000);
    await monitor.stop();

    expect(tableUpdates(record.steps)).toEqual([
      [0, 'pf.replaceTable', ['10.77.1.10']],
      [3_000, 'pf.replaceTable', ['10.77.1.10']],
    ]);
  });
});

describe('health monitor: after a run that converged the host', () => {
  it('checks for drift a whole interval later, not at once', async () => {
    const observed: number[] = [];
    const { clock, monitor } = harness({
      options: { driftIntervalMs: 30_000 },
      observe: (desired, t) => {
        observed.push(t);
        return cloneTopology(desired);
      },
    });

    monitor.deferDrift();
    monitor.start();
    await clock.advance(29_500);
    const before = [...observed];
    await clock.advance(1_000);
    await monitor.stop();

    expect(before).toEqual([]);
    expect(observed).toEqual([30_000]);
  });
});

describe('health monitor: a repair that fails', () => {
  it('keeps a jail without a check out of its service until it is seen running', async () => {
    const { clock, monitor, record } = harness({
      checks: { 'web-0': undefined },
      failStep: (step) => step.id === 'jail.create:web-0',
      options: { driftIntervalMs: 5_000 },
      observe: (desired, t) => {
        const observed = cloneTopology(desired);
        if (t < 5_000) (observed.jails['web-0'] as JailNode).running = false;
        return observed;
      },
    });

    monitor.start();
    await clock.advance(5_500);
    await monitor.stop();

    expect(tableUpdates(record.steps).filter(([, type]) => type === 'pf.replaceTable')).toEqual([
      [0, 'pf.replaceTable', ['10.77.1.11']],
      [5_000, 'pf.replaceTable', ['10.77.1.10', '10.77.1.11']],
    ]);
    expect(
      record.steps.filter(({ step }) => step.id === 'jail.create:web-0').map((s) => s.at),
    ).toEqual([1_000]);
  });
});

describe('health monitor: recovery', () => {
  it('stops showing CrashLooping once the jail has stayed healthy for the reset period', async () => {
    // web-0 fails until its sixth restart, which is crash looping, then passes for good.
    const { clock, monitor, record } = harness({
      passes: (jail, t) => jail !== 'web-0' || t >= 69_000,
    });

    monitor.start();
    await clock.advance(80_000);
    const looping = record.statuses.at(-1)?.jails.find((j) => j.jail === 'web-0');
    await clock.advance(700_000);
    await monitor.stop();

    expect(looping).toMatchObject({ status: 'healthy', crashLooping: true });
    expect(record.restarts).toEqual([1_000, 4_000, 9_000, 18_000, 35_000, 68_000]);
    const last = record.statuses.at(-1);
    expect(last?.at).toBe(668_000);
    expect(last?.jails.find((j) => j.jail === 'web-0')).toEqual({
      jail: 'web-0',
      status: 'healthy',
      detail: 'up',
      // Ten minutes after the last restart, every restart has left the window too.
      restarts: 0,
      crashLooping: false,
    });
  });
});
