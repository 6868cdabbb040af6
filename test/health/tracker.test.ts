// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { createTracker, recordProbe, type TrackerState } from '../../src/health/tracker.js';

const pass = { ok: true, detail: 'tcp 127.0.0.1:80 connected' };
const fail = { ok: false, detail: 'tcp 127.0.0.1:80 failed: ECONNREFUSED' };
const settings = { retries: 3, startPeriodMs: 0 };

/** Feeds results at one-second steps from `start` and returns every transition's target. */
function feed(state: TrackerState, results: boolean[], start: number, cfg = settings) {
  const seen: string[] = [];
  let current = state;
  results.forEach((ok, i) => {
    const out = recordProbe(current, ok ? pass : fail, start + i * 1_000, cfg);
    current = out.state;
    if (out.transition !== undefined) {
      seen.push(`${out.transition.from}->${out.transition.to}@${out.transition.at}`);
    }
  });
  return { state: current, seen };
}

describe('health tracker', () => {
  it('becomes healthy on the first success', () => {
    const out = recordProbe(createTracker('web-0', 0), pass, 500, settings);

    expect(out.transition).toEqual({
      jail: 'web-0',
      from: 'starting',
      to: 'healthy',
      at: 500,
      detail: pass.detail,
    });
    expect(out.state).toMatchObject({ status: 'healthy', since: 500, consecutiveFailures: 0 });
  });

  it('becomes unhealthy only after `retries` consecutive failures', () => {
    const { state, seen } = feed(createTracker('web-0', 0), [true, false, false, false], 0);

    expect(seen).toEqual(['starting->healthy@0', 'healthy->unhealthy@3000']);
    expect(state).toMatchObject({ status: 'unhealthy', consecutiveFailures: 3, lastProbeAt: 3000 });
  });

  it('a success in between resets the count', () => {
    const { state, seen } = feed(
      createTracker('web-0', 0),
      [true, false, false, true, false, false],
      0,
    );

    expect(seen).toEqual(['starting->healthy@0']);
    expect(state).toMatchObject({ status: 'healthy', consecutiveFailures: 2 });
  });

  it('one success brings an unhealthy jail back', () => {
    const { seen } = feed(createTracker('web-0', 0), [false, false, false, true], 0);

    expect(seen).toEqual(['starting->unhealthy@2000', 'unhealthy->healthy@3000']);
  });

  it('does not count failures inside the start period', () => {
    const cfg = { retries: 2, startPeriodMs: 5_000 };

    const { state, seen } = feed(
      createTracker('db-0', 0),
      [false, false, false, false, false, false, false],
      0,
      cfg,
    );

    // Failures at 0..4s are ignored; 5s and 6s count.
    expect(seen).toEqual(['starting->unhealthy@6000']);
    expect(state.consecutiveFailures).toBe(2);
  });

  it('counts failures during the start period once the jail has been healthy', () => {
    const cfg = { retries: 1, startPeriodMs: 60_000 };

    const { seen } = feed(createTracker('db-0', 0), [true, false], 0, cfg);

    expect(seen).toEqual(['starting->healthy@0', 'healthy->unhealthy@1000']);
  });
});
