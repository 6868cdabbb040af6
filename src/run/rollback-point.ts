// SPDX-License-Identifier: BSD-2-Clause
// Rollback points: one atomic recursive snapshot of the jails and volumes trees taken before a
// commit changes anything, named c-<short oid>-<UTC time>. Retention keeps the newest `keep`
// points younger than `maxAgeSeconds` and destroys the rest after a successful run, so the
// snapshots hold at most `keep` generations of changed blocks.

import type { ObservedHost } from '../topology/types.js';
import type { HostDriver } from './ports.js';

const POINT = /^c-[0-9a-f]{7,40}-\d{8}T\d{6}Z$/;

/** The snapshot name of the rollback point for `oid` taken at `nowMs`. */
export function rollbackPointName(oid: string, nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `c-${oid.slice(0, 12)}-${stamp}`;
}

/** True when `snapshot` is a name rollbackPointName makes; other snapshots are never touched. */
export function isRollbackPoint(snapshot: string): boolean {
  return POINT.test(snapshot);
}

/** The datasets a rollback point covers. */
export function rollbackDatasets(root: string): { jails: string; volumes: string } {
  return { jails: `${root}/jails`, volumes: `${root}/volumes` };
}

/**
 * The trees of rollbackDatasets that exist on the observed host. `zfs create -p` makes them as
 * unmarked parents of the jail roots and volumes, so observe lists them as foreign, not owned.
 */
export function existingTrees(observed: ObservedHost, root: string): string[] {
  const owned = Object.keys(observed.topology.datasets);
  const trees = rollbackDatasets(root);
  return [trees.jails, trees.volumes].filter(
    (tree) =>
      observed.topology.datasets[tree] !== undefined ||
      observed.foreign.datasets.includes(tree) ||
      owned.some((name) => name.startsWith(`${tree}/`)),
  );
}

/** Rollback points on the jails tree, newest first. */
export async function listRollbackPoints(
  host: HostDriver,
  root: string,
): Promise<{ name: string; created: number }[]> {
  const snapshots = await host.listSnapshots(rollbackDatasets(root).jails);
  return snapshots
    .filter((s) => isRollbackPoint(s.name))
    .sort((a, b) => b.created - a.created || b.name.localeCompare(a.name));
}

/** Which of `points` (newest first) retention destroys; `protect` are always kept. */
export function selectExpiredPoints(
  points: { name: string; created: number }[],
  policy: { keep: number; maxAgeSeconds: number },
  nowMs: number,
  protect: ReadonlySet<string>,
): string[] {
  const nowSeconds = Math.floor(nowMs / 1000);
  const expired: string[] = [];
  let kept = 0;
  for (const point of points) {
    if (protect.has(point.name)) {
      kept += 1;
      continue;
    }
    const tooOld = policy.maxAgeSeconds > 0 && nowSeconds - point.created > policy.maxAgeSeconds;
    if (kept >= policy.keep || tooOld) {
      expired.push(point.name);
    } else {
      kept += 1;
    }
  }
  return expired;
}

/** Destroys expired rollback points on both trees; resolves with the names destroyed. */
export async function pruneRollbackPoints(options: {
  host: HostDriver;
  root: string;
  policy: { keep: number; maxAgeSeconds: number };
  nowMs: number;
  protect: ReadonlySet<string>;
  existing: ReadonlySet<string>;
}): Promise<string[]> {
  const { host, root, policy, nowMs, protect, existing } = options;
  const points = await listRollbackPoints(host, root);
  const expired = selectExpiredPoints(points, policy, nowMs, protect);
  const trees = rollbackDatasets(root);
  for (const name of expired) {
    await host.destroySnapshotRecursive(trees.jails, name);
    if (existing.has(trees.volumes)) await host.destroySnapshotRecursive(trees.volumes, name);
  }
  return expired;
}
