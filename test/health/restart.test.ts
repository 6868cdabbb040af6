// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import {
  backoffDelay,
  createRestartState,
  decideRestart,
  markRestarted,
  noteUp,
  shouldRestart,
  type RestartState,
} from '../../src/health/restart.js';

/**
 * Plays a jail that fails again right after every restart: decide at `now`, restart when due,
 * fail immediately. Returns the delays and the crash-loop flag of each decision.
 */
function crashRepeatedly(count: number, start = 0) {
  let state: RestartState = createRestartState();
  let now = start;
  const delays: number[] = [];
  const looping: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const { state: next, decision } = decideRestart(state, { kind: 'unhealthy' }, 'Always', now);
    if (decision.action !== 'restart') {
      throw new Error(`expected a restart, got ${decision.reason}`);
    }
    delays.push(decision.delayMs);
    looping.push(decision.crashLooping);
    now = decision.at;
    state = markRestarted(next, now);
  }
  return { delays, looping, state, now };
}

describe('restart policy', () => {
  it.each([
    ['Always', { kind: 'exited', exitCode: 0 }, true],
    ['Always', { kind: 'unhealthy' }, true],
    ['OnFailure', { kind: 'exited', exitCode: 0 }, false],
    ['OnFailure', { kind: 'exited', exitCode: 3 }, true],
    ['OnFailure', { kind: 'unhealthy' }, true],
    ['OnFailure', { kind: 'stopped' }, true],
    ['Never', { kind: 'unhealthy' }, false],
    ['Never', { kind: 'exited', exitCode: 1 }, false],
    [undefined, { kind: 'exited', exitCode: 0 }, true],
  ] as const)('%s after %j restarts: %s', (policy, event, expected) => {
    expect(shouldRestart(policy, event)).toBe(expected);
  });

  it('Never returns no restart and leaves the state alone', () => {
    const state = createRestartState();

    const out = decideRestart(state, { kind: 'unhealthy' }, 'Never', 0);

    expect(out.decision).toEqual({ action: 'none', reason: 'policy' });
    expect(out.state).toBe(state);
  });
});

describe('backoff', () => {
  it('doubles from 1s and stops at 5 minutes', () => {
    const { delays } = crashRepeatedly(12);

    expect(delays).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000,
      300_000,
    ]);
  });

  it('never restarts immediately, even the first time', () => {
    const { decision } = decideRestart(createRestartState(), { kind: 'stopped' }, 'Always', 5_000);

    expect(decision).toEqual({
      action: 'restart',
      at: 6_000,
      delayMs: 1_000,
      attempt: 1,
      crashLooping: false,
    });
  });

  it('does not schedule a second restart while one is pending', () => {
    const first = decideRestart(createRestartState(), { kind: 'unhealthy' }, 'Always', 0);

    const second = decideRestart(first.state, { kind: 'unhealthy' }, 'Always', 500);

    expect(second.decision).toEqual({ action: 'none', reason: 'pending' });
    expect(second.state.dueAt).toBe(1_000);
  });

  it('starts over after the jail stayed up for the reset period', () => {
    const { state, now } = crashRepeatedly(4);
    const later = now + 600_000;

    const { decision } = decideRestart(state, { kind: 'unhealthy' }, 'Always', later);

    expect(decision).toEqual({
      action: 'restart',
      at: later + 1_000,
      delayMs: 1_000,
      attempt: 1,
      crashLooping: false,
    });
  });

  it('keeps growing when the jail fails just before the reset period', () => {
    const { state, now } = crashRepeatedly(4);

    const { decision } = decideRestart(state, { kind: 'unhealthy' }, 'Always', now + 599_999);

    expect(decision).toMatchObject({ delayMs: 16_000, attempt: 5 });
  });

  it('caps a huge attempt count without overflowing', () => {
    expect(backoffDelay(5_000)).toBe(300_000);
    expect(backoffDelay(3, { baseDelayMs: 500, maxDelayMs: 3_000 })).toBe(3_000);
  });
});

describe('CrashLooping', () => {
  it('is declared once five restarts fall inside ten minutes, and restarts stay slowed', () => {
    const { looping, delays } = crashRepeatedly(8);

    expect(looping).toEqual([false, false, false, false, false, true, true, true]);
    expect(delays.slice(5)).toEqual([32_000, 64_000, 128_000]);
  });

  it('is not declared when the restarts are spread beyond the window', () => {
    let state = createRestartState();
    let now = 0;
    const looping: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      // Each failure comes 3 minutes after the restart: below the reset period, so the
      // backoff keeps growing, but only 4 restarts ever fit in the 10-minute window.
      const { state: next, decision } = decideRestart(state, { kind: 'unhealthy' }, 'Always', now, {
        crashLoopRestarts: 5,
        crashLoopWindowMs: 600_000,
        resetAfterMs: 240_000,
      });
      if (decision.action !== 'restart') throw new Error('expected a restart');
      looping.push(decision.crashLooping);
      state = markRestarted(next, decision.at);
      now = decision.at + 180_000;
    }

    expect(looping).toEqual([false, false, false, false, false, false, false]);
  });

  it('clears after the jail stays up for the reset period', () => {
    const { state, now } = crashRepeatedly(6);
    expect(state.crashLooping).toBe(true);

    const { decision } = decideRestart(state, { kind: 'unhealthy' }, 'Always', now + 3_600_000);

    expect(decision).toMatchObject({ crashLooping: false, delayMs: 1_000 });
  });
});

describe('noteUp', () => {
  it('clears CrashLooping and the backoff once the jail stayed up for the reset period', () => {
    const { state, now } = crashRepeatedly(6);

    const early = noteUp(state, now + 599_999);
    const late = noteUp(state, now + 600_000);

    expect(early).toBe(state);
    expect(late).toMatchObject({ attempt: 0, crashLooping: false });
  });

  it('leaves a pending restart alone', () => {
    const { state } = decideRestart(createRestartState(), { kind: 'unhealthy' }, 'Always', 0);

    expect(noteUp(state, 3_600_000)).toBe(state);
  });
});
