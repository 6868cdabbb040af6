// SPDX-License-Identifier: BSD-2-Clause
// The state one run carries from step to step, and the shape of a step. Internal to src/run.

import type { Logger } from '../log/logger.js';
import type { HealthCheck, ManifestSet } from '../manifest/types.js';
import type { Plan } from '../plan/types.js';
import type { Phase, Reason, RunResultKind } from '../status/reasons.js';
import type { ObservedHost, Topology } from '../topology/types.js';
import type { Deadlines, EngineDeps } from './deps.js';
import type { CommitInfo } from './ports.js';
import type { JailReport, ReportedError, RunReport } from './report.js';
import type { AppliedState, Journal, Pin, StateStore } from './state-store.js';

/** How a run is asked for. */
export interface RunOptions {
  /** Apply this earlier commit instead of the branch tip and pin the node to it. */
  target?: CommitInfo;
  /** Drop a pin set by an earlier rollback and follow the branch again. */
  unpin?: boolean;
  /** First run after the daemon starts: one failing jail does not stop the others. */
  boot?: boolean;
  /** Aborting finishes the running host calls and starts no new one; the journal stays. */
  signal?: AbortSignal;
  /**
   * End the run right after the fetch when it brings nothing new: the commit is the one applied
   * and the last run ended `Applied` or `NoChange` (`UpToDate` or `Pinned`) on it. The host is
   * not read; the report repeats the last one's jails and rollback points. The daemon sets it
   * between resyncs, when the health monitor watches the host.
   */
  skipIfApplied?: boolean;
}

/** Everything a step reads and adds to. */
export interface RunContext {
  deps: EngineDeps;
  deadlines: Deadlines;
  store: StateStore;
  log: Logger;
  options: RunOptions;
  startedAt: number;
  phase: Phase;
  applied?: AppliedState;
  pin?: Pin;
  /** The pin to write when the run records. */
  nextPin?: Pin | undefined;
  recovered?: Journal;
  commit?: CommitInfo;
  pinned: boolean;
  manifests?: ManifestSet;
  desired?: Topology;
  observed?: ObservedHost;
  plan?: Plan;
  drift: boolean;
  rollbackPoint?: string;
  healthChecks: Map<string, HealthCheck>;
  jailOverrides: Map<string, JailReport['state']>;
  health: Map<string, JailReport['health']>;
  warnings: string[];
  /** Step ids the apply completed, for the undo to see what it touched. */
  completedSteps: string[];
}

/** How a step ends the run; a step that returns undefined lets the next one go on. */
export interface Outcome {
  result: RunResultKind;
  reason: Reason;
  message: string;
  errors?: ReportedError[];
  failedStep?: string;
  /** The host runs `commit` now (it was recorded as applied). */
  converged?: boolean;
  /** A failure after the rollback point: the engine undoes the apply before it reports. */
  undo?: { step: string; error: unknown; reason: Reason };
  /** The run read nothing of the host: report the jails and rollback points of this one. */
  reuse?: RunReport;
}

/** One step of the run. */
export interface Step {
  phase: Phase;
  run(ctx: RunContext): Promise<Outcome | undefined>;
}

export type { RunReport };
