// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { runProbes } from '../../src/health/probe-pool.js';
import type { ProbeResult } from '../../src/health/probes.js';
import { FakeClock, settle } from './fake-clock.js';

const pass = (detail: string): ProbeResult => ({ ok: true, detail, durationMs: 1 });

describe('runProbes', () => {
  it('keeps at most `concurrency` probes open and returns results in input order', async () => {
    const clock = new FakeClock();
    let open = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const jobs = Array.from({ length: 7 }, (_, i) => ({
      deadlineMs: 10_000,
      run: () =>
        new Promise<ProbeResult>((resolve) => {
          open++;
          peak = Math.max(peak, open);
          release.push(() => {
            open--;
            resolve(pass(`job ${i}`));
          });
        }),
    }));

    const done = runProbes(jobs, { concurrency: 3, timers: clock });
    for (let round = 0; round < 7; round++) {
      await settle();
      release.shift()?.();
    }
    const results = await done;

    expect(peak).toBe(3);
    expect(results.map((r) => r.detail)).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `job ${i}`));
    expect(clock.pending).toBe(0);
  });

  it('fails a probe that never settles at its deadline', async () => {
    const clock = new FakeClock();
    const jobs = [
      { deadlineMs: 5_000, run: () => new Promise<ProbeResult>(() => undefined) },
      { deadlineMs: 5_000, run: () => Promise.resolve(pass('fine')) },
    ];

    const done = runProbes(jobs, { concurrency: 2, timers: clock });
    await clock.advance(5_000);

    expect(await done).toEqual([
      { ok: false, detail: 'probe did not finish within 5000ms', durationMs: 5_000 },
      pass('fine'),
    ]);
  });

  it('turns a rejected probe into a failed one', async () => {
    const clock = new FakeClock();
    const error = Object.assign(new Error('jexec: jail "web-0" not found'), {
      code: 'HOST_COMMAND_FAILED',
    });

    const results = await runProbes([{ deadlineMs: 1_000, run: () => Promise.reject(error) }], {
      concurrency: 4,
      timers: clock,
    });

    expect(results).toEqual([
      { ok: false, detail: 'probe failed: HOST_COMMAND_FAILED', durationMs: 0 },
    ]);
  });
});
