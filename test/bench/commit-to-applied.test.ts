// SPDX-License-Identifier: BSD-2-Clause
// The commit-to-applied benchmark's breakdown of a deploy from the daemon's log line times, and
// its rows' overhead verdict.

import { describe, expect, it } from 'vitest';

import { commitToAppliedRows, phasesOf } from '../../bench/commit-to-applied.js';

const marks = { postedAt: 1000, runStart: 1010, runEnd: 1900, statusSeenAt: 2200 };

describe('phasesOf', () => {
  it('splits the run at the rollback point and the last applied step', () => {
    const phases = phasesOf(
      [
        { msg: 'run started', time: 1010 },
        { msg: 'rollback point taken', time: 1300 },
        { msg: 'step applied', time: 1400 },
        { msg: 'step applied', time: 1500 },
        { msg: 'run finished', time: 1900 },
      ],
      marks,
    );

    expect(phases).toEqual([
      { name: 'webhook to run start (queue)', ms: 10 },
      { name: 'fetch, observe, load, compile, plan, snapshot', ms: 290 },
      { name: 'apply (plan steps)', ms: 200 },
      { name: 'health gate and record', ms: 400 },
      { name: 'status push and seen on the server', ms: 300 },
    ]);
  });

  it('keeps the run whole when no step was applied', () => {
    expect(phasesOf([{ msg: 'run finished', time: 1900 }], marks)).toEqual([
      { name: 'webhook to run start (queue)', ms: 10 },
      { name: 'run (no step applied)', ms: 890 },
      { name: 'status push and seen on the server', ms: 300 },
    ]);
  });
});

describe('commitToAppliedRows', () => {
  it('judges the wall time against 1.5 times the shell floor', () => {
    const base = {
      change: 'x',
      phases: [],
      hostCommands: 30,
      hostCommandMs: 900,
      floorFailures: 0,
    };
    const within = commitToAppliedRows({ ...base, wallMs: 1400, floorMs: 1000 });
    const over = commitToAppliedRows({ ...base, wallMs: 3000, floorMs: 1000 });

    expect(within.at(-1)).toEqual({
      benchmark: 'commit-to-applied',
      metric: 'overhead: wall time / floor',
      value: '1.40x',
      target: '< 1.5x',
      met: true,
    });
    expect(over.at(-1)?.met).toBe(false);
    expect(over.at(-1)?.value).toBe('3.00x');
  });
});
