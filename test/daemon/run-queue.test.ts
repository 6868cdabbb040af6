// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { createRunQueue } from '../../src/daemon/run-queue.js';

describe('createRunQueue', () => {
  it('coalesces every trigger that arrives during a run into one more run', async () => {
    const runs: string[][] = [];
    let release!: () => void;
    const queue = createRunQueue(async (reasons) => {
      runs.push(reasons);
      if (runs.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });

    const first = queue.trigger('start');
    const during = ['poll', 'webhook:github', 'webhook:gitea', 'poll'].map((r) => queue.trigger(r));
    expect(queue.running).toBe(true);
    release();
    await Promise.all([first, ...during]);
    await queue.idle();

    expect(runs).toEqual([['start'], ['poll', 'webhook:github', 'webhook:gitea', 'poll']]);
    expect(queue.runs).toBe(2);
    expect(queue.running).toBe(false);
  });

  it('runs the follow-up even when the current run rejects', async () => {
    const runs: string[][] = [];
    const queue = createRunQueue(async (reasons) => {
      runs.push(reasons);
      if (runs.length === 1) throw new Error('run crashed');
    });

    const first = queue.trigger('a');
    const second = queue.trigger('b');

    await expect(first).rejects.toThrow('run crashed');
    await second;
    expect(runs).toEqual([['a'], ['b']]);
  });
});
