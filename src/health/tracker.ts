// SPDX-License-Identifier: BSD-2-Clause
// The per-jail health state machine: starting, then healthy or unhealthy as probe results come
// in. Pure: time is passed in, and a transition is returned rather than published.

/** Health of one jail as the checks see it. */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** Everything the tracker remembers about one jail. */
export interface TrackerState {
  jail: string;
  status: HealthStatus;
  /** When the current instance started; the start period counts from here. */
  startedAt: number;
  /** When `status` last changed. */
  since: number;
  consecutiveFailures: number;
  lastDetail?: string;
  lastProbeAt?: number;
}

/** A change of status, for the monitor to debounce and publish. */
export interface HealthTransition {
  jail: string;
  from: HealthStatus;
  to: HealthStatus;
  at: number;
  detail: string;
}

/** The tracker settings a check resolves to. */
export interface TrackerSettings {
  /** Consecutive failures that make a jail unhealthy, at least 1. */
  retries: number;
  /** Failures inside this period after start do not count. */
  startPeriodMs: number;
}

/** A fresh tracker for an instance of `jail` started at `startedAt`. */
export function createTracker(jail: string, startedAt: number): TrackerState {
  return { jail, status: 'starting', startedAt, since: startedAt, consecutiveFailures: 0 };
}

/**
 * Feeds one probe result at time `now`. One success makes the jail healthy; `retries`
 * consecutive failures make it unhealthy, except that failures inside the start period of a jail
 * that has not yet passed are not counted. Returns the next state and the transition, if any.
 */
export function recordProbe(
  state: TrackerState,
  result: { ok: boolean; detail: string },
  now: number,
  settings: TrackerSettings,
): { state: TrackerState; transition?: HealthTransition } {
  const probed = { ...state, lastDetail: result.detail, lastProbeAt: now };
  if (result.ok) {
    return moveTo({ ...probed, consecutiveFailures: 0 }, 'healthy', now, result.detail);
  }

  const inStartPeriod =
    state.status === 'starting' && now - state.startedAt < settings.startPeriodMs;
  if (inStartPeriod) {
    return { state: probed };
  }

  const failures = state.consecutiveFailures + 1;
  const counted = { ...probed, consecutiveFailures: failures };
  if (failures >= Math.max(1, settings.retries)) {
    return moveTo(counted, 'unhealthy', now, result.detail);
  }
  return { state: counted };
}

function moveTo(
  state: TrackerState,
  to: HealthStatus,
  now: number,
  detail: string,
): { state: TrackerState; transition?: HealthTransition } {
  if (state.status === to) {
    return { state };
  }

  const transition = { jail: state.jail, from: state.status, to, at: now, detail };
  return { state: { ...state, status: to, since: now }, transition };
}
