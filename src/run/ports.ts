// SPDX-License-Identifier: BSD-2-Clause
// The two effectful edges the sync engine drives: the host and the Git repository. The engine
// depends only on these interfaces; src/host and src/git provide the real implementations and
// the tests provide fakes.

import type { PlanStep } from '../plan/types.js';
import type { ObservedHost } from '../topology/types.js';

/** Everything the engine asks of the host. Every method has its own deadline. */
export interface HostDriver {
  /** Reads the host in a number of commands that does not grow with the number of jails. */
  observe(): Promise<ObservedHost>;
  /** Carries out one plan step; idempotent. Rejects with a HostCommandError naming the command. */
  applyStep(step: PlanStep): Promise<void>;
  /** One atomic `zfs snapshot -r` of each dataset at `name`, e.g. tank/stockade/jails@c-1a2b3c. */
  snapshotRecursive(datasets: string[], snapshot: string): Promise<void>;
  /** Rolls each dataset under `parent` back to `snapshot` where that snapshot exists. */
  rollbackRecursive(parent: string, snapshot: string): Promise<void>;
  /** Destroys the snapshot `snapshot` on `dataset` and its children (never with -R). */
  destroySnapshotRecursive(dataset: string, snapshot: string): Promise<void>;
  /** Snapshot names under `dataset` (the part after @) with their creation time in seconds. */
  listSnapshots(dataset: string): Promise<{ name: string; created: number }[]>;
  /** Runs a command inside a jail through jexec; resolves with its exit code and output. */
  exec(
    jail: string,
    argv: string[],
    options?: { timeoutMs?: number },
  ): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

/** A commit as the engine sees it. */
export interface CommitInfo {
  oid: string;
  message: string;
  author: string;
  /** Seconds since the epoch. */
  timestamp: number;
}

/** Everything the engine asks of the Git remote and the local clone. */
export interface GitSource {
  /** Fetches the tracked branch; resolves with the tip. One round trip when nothing changed. */
  fetch(): Promise<CommitInfo>;
  /** Every file under the manifest folder of `oid`, keyed by path relative to that folder. */
  readTree(oid: string): Promise<Map<string, Uint8Array>>;
  /** True when `ancestor` is reachable from `descendant`. */
  isAncestor(ancestor: string, descendant: string): Promise<boolean>;
  /** Commits `files` (path to content) to the status branch and pushes, retrying on rejection. */
  writeStatus(files: Record<string, string>, message: string): Promise<string | undefined>;
}
