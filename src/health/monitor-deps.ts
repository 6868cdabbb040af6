// SPDX-License-Identifier: BSD-2-Clause
// The health monitor's contract: what the engine injects into it, its timing options and the
// handle it gets back. Types and defaults only.

import type { Logger } from '../log/logger.js';
import type { HealthCheck, RestartPolicy } from '../manifest/types.js';
import type { PlanStep } from '../plan/types.js';
import type { HostEntry, JailNode, Topology } from '../topology/types.js';
import type { ProbeResult, ProbeTarget } from './probes.js';
import type { RestartOptions } from './restart.js';
import type { HealthSummary } from './summary.js';

/** What the last apply asked for: the topology and each jail's check and restart policy. */
export interface MonitorDesired {
  topology: Topology;
  jails: Record<string, { health?: HealthCheck; restartPolicy?: RestartPolicy }>;
}

/** Timers, injected so tests drive the loop with a fake clock. */
export interface MonitorTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The monitor's collaborators. */
export interface MonitorDeps {
  /** The last applied state; undefined before the first apply, when the monitor idles. */
  desired(): MonitorDesired | undefined;
  probe(target: ProbeTarget, check: HealthCheck): Promise<ProbeResult>;
  /** A fresh observation of the host's topology. */
  observe(): Promise<Topology>;
  restartJail(name: string): Promise<void>;
  applyStep(step: PlanStep): Promise<void>;
  /** Writes service names with healthy endpoints; called only when they change. */
  applyHosts?(hosts: HostEntry[]): Promise<void>;
  /** The tail of a jail's output, for CrashLooping (readOutputTail on the jail's path). */
  readOutputTail(jail: JailNode): Promise<string>;
  onStatus(summary: HealthSummary): void | Promise<void>;
  /** Milliseconds; any monotonic origin. */
  now(): number;
  timers: MonitorTimers;
  nodeSelfHeal: boolean;
  logger?: Logger;
}

/** Loop timing; every field has a default. */
export interface MonitorOptions {
  /** How often the loop wakes up; probes still follow each check's interval. */
  tickMs: number;
  driftIntervalMs: number;
  /** A status must hold this long to be shown, and updates go out at most once per window. */
  debounceMs: number;
  /** Probes open at the same time. */
  probeConcurrency: number;
  restart: Partial<RestartOptions>;
}

export const MONITOR_DEFAULTS: MonitorOptions = {
  tickMs: 1_000,
  driftIntervalMs: 30_000,
  debounceMs: 10_000,
  probeConcurrency: 32,
  restart: {},
};

/** The running loop. */
export interface HealthMonitor {
  /** Starts ticking at once; a second call does nothing. */
  start(): void;
  /** Stops ticking and resolves when the tick in flight, if any, is done. */
  stop(): Promise<void>;
  /** Runs one pass now; used by start and by tests. */
  tick(): Promise<void>;
  /**
   * Forgets what the service tables hold; the engine calls it after an apply, which writes the
   * tables whole, so the next pass takes unhealthy endpoints out again.
   */
  resetTables(): void;
  /**
   * Puts the next drift check a whole drift interval away; the daemon calls it after a run that
   * has just read the host and converged it, which makes an immediate check redundant.
   */
  deferDrift(): void;
}
