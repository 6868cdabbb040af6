// SPDX-License-Identifier: BSD-2-Clause
// Connects the health monitor (src/health) to the daemon between commits: it probes the jails of
// the applied commit, restarts failing ones through restartJail and repairs drift through the
// host driver. The daemon stops it during a run, so only one of them changes the host at a time.

import { performance } from 'node:perf_hooks';

import type { NodeConfig } from '../config/types.js';
import { createHealthMonitor, type HealthMonitor, type HealthSummary } from '../health/monitor.js';
import { readOutputTail } from '../health/output-tail.js';
import { probe } from '../health/probes.js';
import type { Logger } from '../log/logger.js';
import type { PlanFn } from '../run/deps.js';
import type { HostDriver } from '../run/ports.js';
import type { JailReport, ReportedError, RunReport } from '../run/report.js';
import { restartJail } from '../run/restart-jail.js';
import type { AppliedState, StateStore } from '../run/state-store.js';

/** The monitor plus `refresh`, which rereads the applied commit after a run. */
export interface WiredMonitor {
  monitor: HealthMonitor;
  refresh(): Promise<void>;
}

/** Makes a health monitor over `host` for the commit recorded in `store`. */
export function createWiredMonitor(options: {
  config: NodeConfig;
  host: HostDriver;
  plan: PlanFn;
  store: StateStore;
  logger: Logger;
  onStatus: (summary: HealthSummary) => void;
}): WiredMonitor {
  const { config, host, plan, store, logger } = options;
  let applied: AppliedState | undefined;

  const monitor = createHealthMonitor({
    desired: () =>
      applied === undefined
        ? undefined
        : { topology: applied.topology, jails: applied.checks ?? {} },
    probe: (target, check) => probe(target, check, { exec: host.exec }),
    observe: async () => (await host.observe()).topology,
    restartJail: async (name) => {
      if (applied === undefined) return;
      const steps = await restartJail({ name, desired: applied.topology, host, plan });
      logger.info({ jail: name, action: steps.join(' ') }, 'jail restarted');
    },
    applyStep: (step) => host.applyStep(step),
    readOutputTail: (jail) => readOutputTail(jail.path),
    onStatus: options.onStatus,
    now: () => performance.now(),
    timers: {
      setTimeout: (run, ms) => setTimeout(run, ms),
      clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    },
    nodeSelfHeal: config.selfHeal,
    logger,
  });
  return {
    monitor,
    refresh: async () => {
      applied = await store.readApplied();
    },
  };
}

/**
 * `report` with each jail's health from `summary`: a crash loop shows as a failed jail and as an
 * error carrying its last output, a jail found stopped that may not be repaired as stopped, and
 * each drift finding as a warning saying whether it was repaired, so all of it reaches the
 * status file between commits.
 */
export function withHealth(report: RunReport, summary: HealthSummary | undefined): RunReport {
  if (summary === undefined) return report;
  const byJail = new Map(summary.jails.map((j) => [j.jail, j]));
  // A jail found stopped that self-healing may not restart stays down until someone acts.
  const leftStopped = new Set(
    summary.drift.filter((d) => d.kind === 'JailStopped' && !d.healed).map((d) => d.target),
  );
  const jails = report.jails.map((jail): JailReport => {
    const seen = byJail.get(jail.name);
    // Being stopped is a fact of the host, shown at once; health waits for its debounce.
    const state = seen?.crashLooping
      ? 'failed'
      : leftStopped.has(jail.name)
        ? 'stopped'
        : jail.state;
    if (seen === undefined) return { ...jail, state };
    const health =
      seen.status === 'unchecked' ? 'none' : seen.status === 'starting' ? 'unknown' : seen.status;
    return { ...jail, health, state };
  });
  const looping = summary.jails.filter((j) => j.crashLooping && byJail.has(j.jail));
  const errors: ReportedError[] = looping.map((j) => ({
    code: CRASH_LOOPING_CODE,
    message:
      `jail '${j.jail}' is CrashLooping after ${j.restarts} restart(s)` +
      (j.outputTail ? `; last output:\n${j.outputTail.trimEnd()}` : ''),
  }));
  const warnings = summary.drift.map(
    (d) => `drift: ${d.kind} ${d.target}: ${d.detail} (${d.healed ? 'repaired' : 'not repaired'})`,
  );
  return {
    ...report,
    jails,
    errors: [...report.errors, ...errors],
    warnings: [...report.warnings, ...warnings],
  };
}

/** The error code of a CrashLooping jail in the status. */
export const CRASH_LOOPING_CODE = 'JAIL_CRASH_LOOPING';
