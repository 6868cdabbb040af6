// SPDX-License-Identifier: BSD-2-Clause
// Runs many probes with a bound on how many are open at once and a deadline on each, so a
// thousand jails do not open a thousand sockets together and one hung probe cannot stall the
// health loop. Timers are injected.

import type { ProbeResult } from './probes.js';

/** One probe to run and how long it may take at most. */
export interface ProbeJob {
  run: () => Promise<ProbeResult>;
  deadlineMs: number;
}

/** Timers used for the deadlines. */
export interface PoolTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Runs `jobs` with at most `concurrency` in flight and resolves with their results in input
 * order. A job that rejects, or has not settled at its deadline, counts as a failed probe.
 */
export async function runProbes(
  jobs: ProbeJob[],
  options: { concurrency: number; timers: PoolTimers },
): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array<ProbeResult>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await guard(jobs[index] as ProbeJob, options.timers);
    }
  };

  const width = Math.max(1, Math.min(options.concurrency, jobs.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

function guard(job: ProbeJob, timers: PoolTimers): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const handle = timers.setTimeout(
      () =>
        resolve({
          ok: false,
          detail: `probe did not finish within ${job.deadlineMs}ms`,
          durationMs: job.deadlineMs,
        }),
      job.deadlineMs,
    );
    job.run().then(
      (result) => {
        timers.clearTimeout(handle);
        resolve(result);
      },
      (err: unknown) => {
        timers.clearTimeout(handle);
        const code = (err as { code?: unknown }).code;
        const reason = typeof code === 'string' ? code : String((err as Error).message ?? err);
        resolve({ ok: false, detail: `probe failed: ${reason}`, durationMs: 0 });
      },
    );
  });
}
