// SPDX-License-Identifier: BSD-2-Clause
// The monitor looks at the host before a restart that failing checks asked for: a jail removed
// by hand is drift, repaired through its drift steps when self-healing is on and left stopped,
// and reported only, when it is off.

import { describe, expect, it } from 'vitest';

import { createHealthMonitor, type HealthSummary } from '../../src/health/monitor.js';
import type { HealthCheck } from '../../src/manifest/types.js';
import type { PlanStep } from '../../src/plan/types.js';
import type { Topology } from '../../src/topology/types.js';
import { FakeClock } from './fake-clock.js';
import { cloneTopology, makeTopology } from './topology-fixture.js';

const CHECK: HealthCheck = { tcp: { port: 8080 }, interval: '1s', retries: 1 };

/** web-0 is removed by hand at 500 ms, after the first drift check, and stays gone until put back. */
function removedByHand(nodeSelfHeal: boolean) {
  const clock = new FakeClock();
  const topology = makeTopology();
  let putBack = false;
  // The service tables as the fake host holds them, changed by the monitor's steps.
  const tables = structuredClone(topology.tables);
  const removed = () => clock.time >= 500 && !putBack;
  const record = {
    restarts: [] as string[],
    steps: [] as string[],
    observes: [] as number[],
    statuses: [] as HealthSummary[],
  };
  const monitor = createHealthMonitor(
    {
      desired: () => ({
        topology,
        jails: { 'web-0': { health: CHECK }, 'web-1': { health: CHECK } },
      }),
      probe: async (target) => {
        const ok = target.jail !== 'web-0' || !removed();
        return { ok, detail: ok ? 'up' : 'connection refused', durationMs: 1 };
      },
      observe: async () => {
        record.observes.push(clock.time);
        const seen: Topology = cloneTopology(topology);
        seen.tables = structuredClone(tables);
        if (removed()) delete seen.jails['web-0'];
        return seen;
      },
      restartJail: async (name) => {
        record.restarts.push(name);
      },
      applyStep: async (step: PlanStep) => {
        record.steps.push(`${clock.time} ${step.id}`);
        if (step.action.type === 'jail.create') putBack = true;
        if (step.action.type === 'pf.replaceTable') {
          const key = `${step.action.anchor}:${step.action.table}`;
          (tables[key] as { addresses: string[] }).addresses = step.action.addresses;
        }
      },
      readOutputTail: async () => '',
      onStatus: (summary) => {
        record.statuses.push(summary);
      },
      now: clock.now,
      timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
      nodeSelfHeal,
    },
    // Far apart, so only the look before a restart can find the drift in this test.
    { driftIntervalMs: 600_000, debounceMs: 0 },
  );
  return { clock, monitor, record };
}

describe('health monitor: a jail that fails its checks because it was removed by hand', () => {
  it('puts it back through its drift repair and reports the drift when selfHeal is on', async () => {
    const { clock, monitor, record } = removedByHand(true);

    monitor.start();
    await clock.advance(5_000);
    await monitor.stop();

    expect(record.restarts).toEqual([]);
    // Failed at 1 s, left the table; at 2 s the look found it gone and ran its repair.
    expect(record.observes).toEqual([0, 2_000]);
    expect(record.steps).toEqual([
      '1000 pf.replaceTable:stockade/svc-web:svc_web',
      '2000 file.write:web-0',
      '2000 mount.add:web-0:/stockade/jails/web-0/data',
      '2000 epair.create:web-0:front',
      '2000 jail.create:web-0',
      '2000 jail.configureNetwork:web-0:front',
      '2000 rctl.set:web-0',
      '2000 jail.startCommand:web-0',
      '3000 pf.replaceTable:stockade/svc-web:svc_web',
    ]);
    expect(record.statuses.at(-1)?.drift).toEqual([
      { kind: 'JailStopped', target: 'web-0', detail: 'jail is not on the host', healed: true },
    ]);
  });

  it('leaves it stopped and reports the drift only when selfHeal is off', async () => {
    const { clock, monitor, record } = removedByHand(false);

    monitor.start();
    await clock.advance(30_000);
    await monitor.stop();

    expect(record.restarts).toEqual([]);
    // Only the service table changed: web-0 left it when it failed.
    expect(record.steps).toEqual(['1000 pf.replaceTable:stockade/svc-web:svc_web']);
    const last = record.statuses.at(-1);
    expect(last?.drift).toEqual([
      { kind: 'JailStopped', target: 'web-0', detail: 'jail is not on the host', healed: false },
    ]);
    expect(last?.jails.find((j) => j.jail === 'web-0')).toEqual({
      jail: 'web-0',
      status: 'unhealthy',
      detail: 'connection refused',
      restarts: 0,
      crashLooping: false,
    });
    expect(last?.unavailable).toEqual([]);
  });
});
