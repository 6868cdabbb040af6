// SPDX-License-Identifier: BSD-2-Clause
// The typed outcome of one run: what the engine returns, what `stockade status` prints and what
// the status file is rendered from. Pure data, and one predicate over it.

import { REASONS, type Phase, type Reason, type RunResultKind } from '../status/reasons.js';
import type { CommitInfo } from './ports.js';

/** An error as the status shows it; manifest errors carry their position. */
export interface ReportedError {
  code: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  path?: string;
  /** Plan step id, for apply failures. */
  step?: string;
  /** Shell-readable command that failed, when a host command did. */
  command?: string;
}

/** One jail as the run last saw it. */
export interface JailReport {
  name: string;
  manifest: string;
  state: 'running' | 'stopped' | 'missing' | 'failed' | 'blocked';
  jid?: number;
  health: 'healthy' | 'unhealthy' | 'none' | 'unknown';
  /** The jail's addresses with prefix length, as the desired topology gives them. */
  addresses?: string[];
}

/** Counts of the plan that was applied or refused. */
export interface PlanReport {
  create: number;
  change: number;
  destroy: number;
  replace: number;
  steps: number;
  warnings: string[];
}

/** Everything one run did; `commit` is the commit it worked on, `applied` what the host runs. */
export interface RunReport {
  result: RunResultKind;
  reason: Reason;
  message: string;
  commit?: CommitInfo;
  applied?: string;
  pinned: boolean;
  phase: Phase;
  plan?: PlanReport;
  failedStep?: string;
  errors: ReportedError[];
  warnings: string[];
  jails: JailReport[];
  rollbackPoint?: string;
  rollbackPoints: string[];
  /** Set when the run found a journal left by a run that did not finish. */
  recovered?: { commit: string; phase: Phase; rollbackPoint?: string };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/**
 * The run left the host as its commit says: it applied, or found nothing to change
 * (`UpToDate`, or `Pinned` while a rollback holds the node). A refused or failed run, or one
 * that reported drift and left it, did not.
 */
export function endedWell(report: Pick<RunReport, 'result' | 'reason'>): boolean {
  return (
    report.result === 'Applied' ||
    (report.result === 'NoChange' &&
      (report.reason === REASONS.UpToDate || report.reason === REASONS.Pinned))
  );
}
