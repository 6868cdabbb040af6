// SPDX-License-Identifier: BSD-2-Clause
// The reasons carried by the steps of an in-place jail update: each step names the change that
// caused it, which is what `stockade plan --format json` hands to pull-request tooling.

import { describe, expect, it } from 'vitest';

import { planChanges } from '../../src/plan/plan.js';
import { compile, GUARD, hostRunning, step, webRepo } from './fixtures.js';

describe('addJailSteps for an in-place update', () => {
  it('gives the limits and cpuset steps the reason of their own field', () => {
    const { host, applied } = hostRunning(webRepo({ resources: { memory: '512M' } }));

    const plan = planChanges(
      compile(webRepo({ resources: { memory: '1G', cpuset: '2' } }), applied),
      host.observe(),
      GUARD,
    );

    expect(step(plan, 'rctl.set:web-0').reason).toEqual({
      kind: 'changed',
      field: 'rctl',
      from: [{ resource: 'memoryuse', action: 'deny', amount: '536870912' }],
      to: [{ resource: 'memoryuse', action: 'deny', amount: '1073741824' }],
    });
    expect(step(plan, 'cpuset.set:web-0').reason).toEqual({
      kind: 'changed',
      field: 'cpuset',
      from: null,
      to: '2',
    });
  });

  it('does not give the limits step the /etc/hosts reason when a replica is added too', () => {
    const { host, applied } = hostRunning(webRepo({ replicas: 1, resources: { memory: '64M' } }));

    const plan = planChanges(
      compile(webRepo({ replicas: 2, resources: { memory: '128M' } }), applied),
      host.observe(),
      GUARD,
    );

    expect(step(plan, 'file.write:web-0').reason).toMatchObject({
      kind: 'changed',
      field: 'hosts',
    });
    expect(step(plan, 'rctl.set:web-0').reason).toEqual({
      kind: 'changed',
      field: 'rctl',
      from: [{ resource: 'memoryuse', action: 'deny', amount: '67108864' }],
      to: [{ resource: 'memoryuse', action: 'deny', amount: '134217728' }],
    });
    expect(step(plan, 'rctl.set:web-1').reason).toEqual({ kind: 'new' });
  });
});
