// SPDX-License-Identifier: BSD-2-Clause
// StepList: dependency filtering, wave numbers, ordering, and the two planner-bug errors.

import { describe, expect, it } from 'vitest';

import { planChanges } from '../../src/plan/plan.js';
import { StepList } from '../../src/plan/step-list.js';
import type { StepInput } from '../../src/plan/step-list.js';
import { emptyTopology, image, jail } from './builders.js';
import { compile, GUARD } from './fixtures.js';

const input = (name: string, dependsOn: string[] = []): StepInput => ({
  action: { type: 'rctl.clear', jail: name },
  key: name,
  target: name,
  resource: 'limits',
  symbol: '-',
  reason: { kind: 'removed' },
  dependsOn,
  destructive: false,
});

describe('StepList', () => {
  it('numbers waves from dependencies and drops ids that never appeared', () => {
    const steps = new StepList();
    steps.add(input('c', ['rctl.clear:b', 'rctl.clear:gone']));
    steps.add(input('b', ['rctl.clear:a']));
    steps.add(input('a'));
    steps.add(input('d'));

    const done = steps.finish();

    expect(done.map((s) => [s.id, s.wave, s.dependsOn])).toEqual([
      ['rctl.clear:a', 0, []],
      ['rctl.clear:d', 0, []],
      ['rctl.clear:b', 1, ['rctl.clear:a']],
      ['rctl.clear:c', 2, ['rctl.clear:b']],
    ]);
  });

  it('refuses the same step twice with PLAN_DUPLICATE_STEP', () => {
    const steps = new StepList();
    steps.add(input('a'));

    expect(() => steps.add(input('a'))).toThrow(
      expect.objectContaining({ code: 'PLAN_DUPLICATE_STEP', data: { id: 'rctl.clear:a' } }),
    );
  });

  it('refuses dependencies in a loop with PLAN_CYCLE', () => {
    const docs = [image('base'), jail('a', { dependsOn: ['b'] }), jail('b', { dependsOn: ['a'] })];

    const act = () => planChanges(compile(docs), emptyTopology(), GUARD);

    expect(act).toThrow(expect.objectContaining({ code: 'PLAN_CYCLE' }));
  });
});
