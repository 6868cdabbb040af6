// SPDX-License-Identifier: BSD-2-Clause
// planAgainstHost: the on-node mode, planning a commit against what the driver observed.

import { describe, expect, it } from 'vitest';

import { planAgainstHost } from '../../src/plan/plan-host.js';
import type { ObservedHost } from '../../src/topology/types.js';
import { emptyTopology, manifestSet, nodeConfig } from './builders.js';
import { hostRunning, ids, webRepo } from './fixtures.js';

const observedOf = (
  topology: ObservedHost['topology'],
  hostAddresses: string[] = [],
): ObservedHost => ({
  topology,
  foreign: { jails: ['handmade'], datasets: [], interfaces: [], hostAddresses },
  commands: 4,
});

describe('planAgainstHost', () => {
  it('keeps jails off the host addresses and plans from the observed host', () => {
    const { desired, plan } = planAgainstHost(
      manifestSet(webRepo({ replicas: 2 })),
      nodeConfig(),
      observedOf(emptyTopology(), ['10.77.1.68/24']),
    );

    expect(desired.jails['web-0']?.interfaces[0]?.address).toBe('10.77.1.69/24');
    expect(ids(plan)).toContain('jail.startCommand:web-0');
    expect(plan.summary.create).toBeGreaterThan(0);
  });

  it('uses the node policy for the prune guard', () => {
    const { host, applied } = hostRunning(webRepo({ replicas: 2 }));
    const empty = manifestSet(webRepo().filter((d) => d.kind !== 'Jail'));

    const act = () => planAgainstHost(empty, nodeConfig(), observedOf(host.observe()), { applied });
    const allowed = planAgainstHost(
      empty,
      nodeConfig({ policy: { ...nodeConfig().policy, allowPruneAll: true } }),
      observedOf(host.observe()),
      { applied },
    );

    expect(act).toThrow(
      expect.objectContaining({
        code: 'PRUNE_GUARD',
        data: { removing: 2, managed: 2, ratio: 1, maxPruneRatio: 0.5 },
      }),
    );
    expect(
      allowed.plan.changes.filter((c) => c.resource === 'jail').map((c) => [c.name, c.symbol]),
    ).toEqual([
      ['web-0', '-'],
      ['web-1', '-'],
    ]);
  });

  it('keeps the applied addresses and reports host differences as drift', () => {
    const { host, applied } = hostRunning(webRepo({ resources: { cpuset: '0' } }));
    host.apply({ type: 'cpuset.set', jail: 'web-0', cpus: '1' });

    const { desired, plan } = planAgainstHost(
      manifestSet(webRepo({ resources: { cpuset: '0' } })),
      nodeConfig(),
      observedOf(host.observe()),
      { applied },
    );

    expect(desired.jails['web-0']?.interfaces).toEqual(applied.jails['web-0']?.interfaces);
    expect(plan.changes).toEqual([
      {
        resource: 'jail',
        name: 'web-0',
        symbol: '~',
        reasons: [{ kind: 'drift', detail: 'cpuset on the host is 1, applied 0' }],
      },
    ]);
  });
});
