// SPDX-License-Identifier: BSD-2-Clause
// The collaborators the engine is built from, injected so tests can use fakes and src/run/wire.ts
// the real modules. The pure functions are typed loosely at the manifest boundary because the
// engine only passes the loader's output through to the compiler.

import type { Logger } from '../log/logger.js';
import type { HealthCheck, ManifestSet } from '../manifest/types.js';
import type { NodeConfig } from '../config/types.js';
import type { Plan } from '../plan/types.js';
import type { JailNode, ObservedHost, Topology } from '../topology/types.js';
import type { GitSource, HostDriver } from './ports.js';

/** A positioned manifest problem, as the loader reports it. */
export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  file: string;
  line: number;
  column: number;
  path: string;
  message: string;
}

export type LoadResult =
  | { ok: true; manifests: ManifestSet; warnings: Diagnostic[] }
  | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

export type LoadFn = (
  files: ReadonlyMap<string, Uint8Array | string>,
  options?: { policy?: NodeConfig['policy']; hostAddresses?: string[] },
) => LoadResult;

export type CompileFn = (
  manifests: ManifestSet,
  config: NodeConfig,
  options: { previous?: Topology },
) => Topology;

export type PlanFn = (
  desired: Topology,
  observed: ObservedHost,
  options: { maxPruneRatio: number; allowPruneAll: boolean; applied?: Topology },
) => Plan;

/** Probes one health check of a running jail once. */
export type ProbeFn = (jail: JailNode, check: HealthCheck) => Promise<boolean>;

/** Time, injected so tests never wait. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Limits of one run; every host call gets `hostCallMs` and the run `runMs` in all. */
export interface Deadlines {
  hostCallMs: number;
  runMs: number;
  /** Health gate per jail when its check sets no timing of its own. */
  healthMs: number;
}

export interface EngineDeps {
  config: NodeConfig;
  source: GitSource;
  host: HostDriver;
  load: LoadFn;
  compile: CompileFn;
  plan: PlanFn;
  probe: ProbeFn;
  clock: Clock;
  logger: Logger;
  /** Directory for journal.json and friends; defaults to config.stateDir. */
  stateDir?: string;
  deadlines?: Partial<Deadlines>;
  /** Steps of one wave run at most this many at a time. */
  concurrency?: number;
}

export const DEFAULT_DEADLINES: Deadlines = {
  hostCallMs: 10 * 60_000,
  runMs: 60 * 60_000,
  healthMs: 120_000,
};

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
