// SPDX-License-Identifier: BSD-2-Clause
// The bench driver: picking benchmarks by name, skipping root-only ones, and turning a failing
// benchmark into a row while the others still run; the plan benchmark in a process of its own.

import { describe, expect, it } from 'vitest';

import {
  BENCHMARKS,
  runBenchmarks,
  runPlanInChild,
  selectBenchmarks,
  type BenchEntry,
} from '../../bench/run.js';

const entry = (name: string, needsRoot: boolean, run: BenchEntry['run']): BenchEntry => ({
  name,
  needsRoot,
  run,
});

describe('selectBenchmarks', () => {
  it('keeps the registry order whatever the order of the names', () => {
    expect(selectBenchmarks(['git', 'plan']).map((b) => b.name)).toEqual(['plan', 'git']);
  });

  it('selects every benchmark when no name is given', () => {
    expect(selectBenchmarks([])).toHaveLength(BENCHMARKS.length);
  });

  it('rejects an unknown name and lists the known ones', () => {
    expect(() =>
      selectBenchmarks(['plan', 'nope'], [entry('plan', false, async () => [])]),
    ).toThrow('unknown benchmark(s): nope; known: plan');
  });
});

describe('runBenchmarks', () => {
  it('skips root-only benchmarks when not root and reports a failure as a row', async () => {
    let ranRootOnly = false;
    const rows = await runBenchmarks(
      [
        entry('needs-root', true, async () => {
          ranRootOnly = true;
          return [];
        }),
        entry('broken', false, async () => {
          throw new Error('server gone\nstack');
        }),
        entry('fine', false, async () => [
          { benchmark: 'fine', metric: 'm', value: '1', target: '' },
        ]),
      ],
      { root: false },
    );

    expect(ranRootOnly).toBe(false);
    expect(rows).toEqual([
      {
        benchmark: 'needs-root',
        metric: 'skipped',
        value: 'needs root for the test host',
        target: '',
      },
      { benchmark: 'broken', metric: 'failed', value: 'server gone', target: '' },
      { benchmark: 'fine', metric: 'm', value: '1', target: '' },
    ]);
  });
});

describe('runPlanInChild', () => {
  it('runs the built plan benchmark in its own process and reads its result', async () => {
    const result = await runPlanInChild(1);

    expect([result.jails, result.steps, result.iterations]).toEqual([1000, 1085, 1]);
    expect(result.peakRssMb).toBeGreaterThan(0);
    expect(result.medianMs).toBeGreaterThan(0);
  });
});
