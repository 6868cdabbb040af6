// SPDX-License-Identifier: BSD-2-Clause
// Restart decisions for failed jails: the restart policy, exponential backoff and the
// CrashLooping verdict. Pure: time is passed in; carrying out a restart is the caller's job.

import type { RestartPolicy } from '../manifest/types.js';

/** Tunables of the backoff; every field has a default in RESTART_DEFAULTS. */
export interface RestartOptions {
  /** First delay; each later one doubles. */
  baseDelayMs: number;
  /** Ceiling of the delay. */
  maxDelayMs: number;
  /** A jail that stays up this long after its last restart starts again from the first delay. */
  resetAfterMs: number;
  /** This many restarts inside `crashLoopWindowMs` make the jail CrashLooping. */
  crashLoopRestarts: number;
  crashLoopWindowMs: number;
}

/** 1s, 2s, 4s ... capped at 5 minutes; 5 restarts in 10 minutes is a crash loop. */
export const RESTART_DEFAULTS: RestartOptions = {
  baseDelayMs: 1_000,
  maxDelayMs: 300_000,
  resetAfterMs: 600_000,
  crashLoopRestarts: 5,
  crashLoopWindowMs: 600_000,
};

/** What went wrong with the jail. An exit code is known only when the command's exit was seen. */
export type RestartEvent =
  { kind: 'unhealthy' } | { kind: 'stopped' } | { kind: 'exited'; exitCode: number };

/** The restart bookkeeping of one jail. */
export interface RestartState {
  /** Restarts since the backoff was last reset; the next delay is base * 2^attempt. */
  attempt: number;
  /** Times of the restarts still inside the crash-loop window. */
  restarts: number[];
  lastRestartAt?: number;
  /** Set while a restart is scheduled and not yet carried out. */
  dueAt?: number;
  crashLooping: boolean;
}

/** What the caller should do. */
export type RestartDecision =
  | { action: 'none'; reason: 'policy' | 'pending' }
  | { action: 'restart'; at: number; delayMs: number; attempt: number; crashLooping: boolean };

/** Bookkeeping for a jail that has not been restarted. */
export function createRestartState(): RestartState {
  return { attempt: 0, restarts: [], crashLooping: false };
}

/** True when `policy` asks for a restart after `event`; the manifest default is Always. */
export function shouldRestart(policy: RestartPolicy | undefined, event: RestartEvent): boolean {
  const effective = policy ?? 'Always';
  if (effective === 'Never') {
    return false;
  }
  if (effective === 'OnFailure') {
    return event.kind !== 'exited' || event.exitCode !== 0;
  }
  return true;
}

/**
 * Decides what to do about `event` at `now`. A restart is always delayed by the backoff, never
 * immediate; a restart already scheduled is not scheduled again. The backoff starts over when the
 * jail stayed up `resetAfterMs` since its last restart, which also clears CrashLooping.
 */
export function decideRestart(
  state: RestartState,
  event: RestartEvent,
  policy: RestartPolicy | undefined,
  now: number,
  options: Partial<RestartOptions> = {},
): { state: RestartState; decision: RestartDecision } {
  const opts = { ...RESTART_DEFAULTS, ...options };
  if (!shouldRestart(policy, event)) {
    return { state, decision: { action: 'none', reason: 'policy' } };
  }
  if (state.dueAt !== undefined) {
    return { state, decision: { action: 'none', reason: 'pending' } };
  }

  const settled = resetIfStayedUp(state, now, opts);
  const restarts = settled.restarts.filter((at) => now - at < opts.crashLoopWindowMs);
  const crashLooping = settled.crashLooping || restarts.length >= opts.crashLoopRestarts;
  const delayMs = backoffDelay(settled.attempt, opts);
  const at = now + delayMs;
  return {
    state: { ...settled, restarts, crashLooping, dueAt: at },
    decision: { action: 'restart', at, delayMs, attempt: settled.attempt + 1, crashLooping },
  };
}

/** Records that the scheduled restart was carried out at `now`. */
export function markRestarted(state: RestartState, now: number): RestartState {
  const next: RestartState = {
    ...state,
    attempt: state.attempt + 1,
    restarts: [...state.restarts, now],
    lastRestartAt: now,
  };
  delete next.dueAt;
  return next;
}

/**
 * Records that the jail was seen up at `now`. Once it has stayed up `resetAfterMs` since its last
 * restart, the backoff starts over and CrashLooping clears, so a recovered jail stops showing it.
 */
export function noteUp(
  state: RestartState,
  now: number,
  options: Partial<RestartOptions> = {},
): RestartState {
  if (state.dueAt !== undefined) {
    return state;
  }
  return resetIfStayedUp(state, now, { ...RESTART_DEFAULTS, ...options });
}

/** The delay before restart number `attempt + 1`: base * 2^attempt, capped. */
export function backoffDelay(attempt: number, options: Partial<RestartOptions> = {}): number {
  const { baseDelayMs, maxDelayMs } = { ...RESTART_DEFAULTS, ...options };
  // Past 2^30 the product only overflows; the cap has long applied by then.
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attempt, 30));
}

function resetIfStayedUp(state: RestartState, now: number, opts: RestartOptions): RestartState {
  if (state.lastRestartAt === undefined || now - state.lastRestartAt < opts.resetAfterMs) {
    return state;
  }
  if (state.attempt === 0 && !state.crashLooping) {
    return state;
  }
  const restarts = state.restarts.filter((at) => now - at < opts.crashLoopWindowMs);
  return { ...state, attempt: 0, restarts, crashLooping: false };
}
