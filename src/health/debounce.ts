// SPDX-License-Identifier: BSD-2-Clause
// Debouncing of health status for the status branch: a jail's status is shown only once it has
// held for the debounce window, and at most one update goes out per window, so a flapping check
// cannot flood the repository with commits. Pure.

import type { HealthStatus } from './tracker.js';

/** What has been published so far. */
export interface DebounceState {
  /** Status last shown per jail. */
  shown: Record<string, HealthStatus>;
  lastSentAt?: number;
  /** Fingerprint of the last summary sent. */
  lastSent?: string;
}

/**
 * The status to show for each jail at `now`: the tracker's status when it has held for
 * `debounceMs`, otherwise the status shown before (jails never shown are left out).
 */
export function settleStatuses(
  trackers: Readonly<Record<string, { status: HealthStatus; since: number }>>,
  shown: Readonly<Record<string, HealthStatus>>,
  now: number,
  debounceMs: number,
): Record<string, HealthStatus> {
  const settled: Record<string, HealthStatus> = {};
  for (const [jail, tracker] of Object.entries(trackers)) {
    if (now - tracker.since >= debounceMs) {
      settled[jail] = tracker.status;
      continue;
    }

    const before = shown[jail];
    if (before !== undefined) settled[jail] = before;
  }
  return settled;
}

/** True when `fingerprint` differs from what was sent and the last send is a window old. */
export function shouldSend(
  state: DebounceState,
  fingerprint: string,
  now: number,
  debounceMs: number,
): boolean {
  if (state.lastSent === fingerprint) {
    return false;
  }
  return state.lastSentAt === undefined || now - state.lastSentAt >= debounceMs;
}
