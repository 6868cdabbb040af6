// SPDX-License-Identifier: BSD-2-Clause
// The health summary the monitor hands to the status branch, and what counts as a change of it.
// Pure.

import type { DriftRecord } from './drift.js';
import type { UnavailableService } from './endpoints.js';
import type { RestartState } from './restart.js';
import type { HealthStatus, TrackerState } from './tracker.js';

/** One jail in the published summary. */
export interface JailHealthSummary {
  jail: string;
  /** Debounced status; `unchecked` for a jail without a health check. */
  status: HealthStatus | 'unchecked';
  /** The last probe's detail line. */
  detail?: string;
  /** Restarts inside the crash-loop window. */
  restarts: number;
  crashLooping: boolean;
  nextRestartAt?: number;
  /** Last output of a CrashLooping jail, at most 4 KiB. */
  outputTail?: string;
}

/** What goes to the status branch. */
export interface HealthSummary {
  /** The monitor clock's time of the update. */
  at: number;
  jails: JailHealthSummary[];
  drift: DriftRecord[];
  unavailable: UnavailableService[];
}

/**
 * The summary line of one jail, or undefined while a checked jail has no status that held for
 * the debounce window yet.
 */
export function summarizeJail(input: {
  jail: string;
  shown: HealthStatus | undefined;
  tracker: TrackerState | undefined;
  restart: RestartState;
  outputTail: string | undefined;
}): JailHealthSummary | undefined {
  const { jail, shown, tracker, restart, outputTail } = input;
  if (tracker !== undefined && shown === undefined) return undefined;

  return {
    jail,
    status: shown ?? 'unchecked',
    ...(tracker?.lastDetail === undefined ? {} : { detail: tracker.lastDetail }),
    restarts: restart.restarts.length,
    crashLooping: restart.crashLooping,
    ...(restart.dueAt === undefined ? {} : { nextRestartAt: restart.dueAt }),
    ...(restart.crashLooping && outputTail !== undefined ? { outputTail } : {}),
  };
}

/**
 * A string that changes only when something worth an update changes: not the time, the probe
 * detail text or the next restart time, which move on every pass.
 */
export function fingerprintSummary(summary: HealthSummary): string {
  return JSON.stringify({
    jails: summary.jails.map((j) => [j.jail, j.status, j.restarts, j.crashLooping, j.outputTail]),
    drift: summary.drift,
    unavailable: summary.unavailable,
  });
}
