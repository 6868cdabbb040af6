// SPDX-License-Identifier: BSD-2-Clause
// The HostDriver the sync engine drives, built from the node config: observe, apply a step,
// rollback points and exec inside jails, all through one runner.

import type { NodeConfig } from '../config/types.js';
import { HostCommandError } from '../errors/host-command-error.js';
import { HostRefusedError } from '../errors/host-refused-error.js';
import { silentLogger, type Logger } from '../log/logger.js';
import type { PlanStep } from '../plan/types.js';
import type { HostDriver } from '../run/ports.js';
import type { ObservedHost } from '../topology/types.js';
import { applyStep } from './actions.js';
import type { HostContext } from './context.js';
import { createRunner, type Runner } from './exec.js';
import { getJid, jexec } from './jail.js';
import { observeHost } from './observe.js';
import * as zfs from './zfs.js';

/** Options a caller or a test may pass. */
export interface HostDriverOptions {
  runner?: Runner;
  logger?: Logger;
  /** Pause between checks of a dying jail; tests pass 0. */
  pollDelayMs?: number;
}

/** Makes the host driver for `config`; the runner defaults to execa with config.tools. */
export function createHostDriver(
  config: NodeConfig,
  options: HostDriverOptions = {},
): HostDriver & { context: HostContext } {
  const logger = (options.logger ?? silentLogger).child({ node: config.name });
  const runner = options.runner ?? createRunner({ tools: config.tools, logger });
  const ctx: HostContext = {
    runner,
    root: config.zfs.root,
    stateDir: config.stateDir,
    anchor: config.pf.anchor,
    releases: config.releases,
    logger,
    pollDelayMs: options.pollDelayMs ?? 1000,
  };

  return {
    context: ctx,
    observe: (): Promise<ObservedHost> => observeHost(ctx),
    applyStep: (step: PlanStep): Promise<void> => applyStep(ctx, step),
    snapshotRecursive: (datasets, snapshot) => snapshotRecursive(ctx, datasets, snapshot),
    rollbackRecursive: (parent, snapshot) => rollbackRecursive(ctx, parent, snapshot),
    destroySnapshotRecursive: (dataset, snapshot) =>
      destroySnapshotRecursive(ctx, dataset, snapshot),
    listSnapshots: (dataset) => listSnapshots(ctx, dataset),
    exec: (jail, argv, opts) => execInJail(ctx, jail, argv, opts),
  };
}

/** One atomic `zfs snapshot -r` of every dataset that does not have the snapshot yet. */
export async function snapshotRecursive(
  ctx: HostContext,
  datasets: string[],
  snapshot: string,
): Promise<void> {
  const missing: string[] = [];
  for (const dataset of datasets) {
    if ((await zfs.exists(ctx, dataset)) && !(await zfs.exists(ctx, `${dataset}@${snapshot}`))) {
      missing.push(`${dataset}@${snapshot}`);
    }
  }
  if (missing.length === 0) {
    return;
  }

  try {
    await zfs.snapshot(ctx, missing, { recursive: true });
  } catch (err) {
    if (missing.length === 1 || !takesOneSnapshot(err)) throw err;
    // Old ZFS (pool v28 era, zfs-fuse) takes one name per command: each tree is still one
    // atomic recursive snapshot, but the trees are taken one after the other.
    for (const name of missing) await zfs.snapshot(ctx, [name], { recursive: true });
  }
}

/** The usage error of a `zfs snapshot` that accepts a single FS@SNAP. */
function takesOneSnapshot(err: unknown): boolean {
  return (
    err instanceof HostCommandError &&
    /too many arguments/.test(String(err.data['stderrTail'] ?? ''))
  );
}

/** `zfs rollback -r` of each dataset under `parent` that has `snapshot`. */
export async function rollbackRecursive(
  ctx: HostContext,
  parent: string,
  snapshot: string,
): Promise<void> {
  const rows = await zfs.listTree(ctx, parent);
  const targets = rows.map((r) => r['name'] ?? '').filter((name) => name.endsWith(`@${snapshot}`));
  for (const target of targets) {
    await zfs.rollback(ctx, target);
  }
}

/** `zfs destroy -r DATASET@SNAPSHOT` (that snapshot on the dataset and its children) if present. */
export async function destroySnapshotRecursive(
  ctx: HostContext,
  dataset: string,
  snapshot: string,
): Promise<void> {
  const rows = await zfs.listTree(ctx, dataset);
  if (!rows.some((r) => (r['name'] ?? '').endsWith(`@${snapshot}`))) {
    return;
  }

  await zfs.destroy(ctx, `${dataset}@${snapshot}`, { recursive: true });
}

/** Snapshots of `dataset` itself with their creation time, read with `zfs get -p`. */
export async function listSnapshots(
  ctx: HostContext,
  dataset: string,
): Promise<{ name: string; created: number }[]> {
  const rows = await zfs.getProperties(ctx, dataset, ['creation'], { recursive: true });
  return rows
    .filter((r) => r.name.startsWith(`${dataset}@`))
    .map((r) => ({ name: r.name.slice(dataset.length + 1), created: Number(r.value) }))
    .sort((a, b) => a.created - b.created);
}

/** Runs argv in the jail after checking it exists (jexec's own errors share exit code 1). */
export async function execInJail(
  ctx: HostContext,
  jail: string,
  argv: string[],
  options: { timeoutMs?: number } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  if ((await getJid(ctx, jail)) === undefined) {
    throw new HostRefusedError('HOST_STATE_UNEXPECTED', `jail '${jail}': jail is not running`, {
      jail,
      detail: 'not running',
    });
  }
  const allCodes = Array.from({ length: 255 }, (_, i) => i + 1);
  const result = await jexec(ctx, jail, argv, {
    okExitCodes: allCodes,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}
