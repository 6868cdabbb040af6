// SPDX-License-Identifier: BSD-2-Clause
// Dataset steps: create, clone, update, snapshot and the guarded destroy. Each reads first and
// changes only what differs. Destroy refuses while anything is mounted from or into the tree and
// while clones outside the tree depend on its snapshots; it never passes -R.

import { HostRefusedError } from '../errors/host-refused-error.js';
import type { DatasetNode } from '../topology/types.js';
import type { HostContext } from './context.js';
import { MARK_MANAGED, MARK_RECLAIM, MARK_ROLE } from './marks.js';
import { listMounts } from './mount.js';
import * as zfs from './zfs.js';

/** Creates the dataset with its properties and marks, or brings an existing one in line. */
export async function createDataset(ctx: HostContext, node: DatasetNode): Promise<void> {
  const wanted = wantedProperties(node);
  if (await reconcileExisting(ctx, node.name, wanted)) {
    return;
  }

  await zfs.create(ctx, node.name, wanted);
}

/** Clones node.origin into the dataset, refusing clearly when the origin snapshot is missing. */
export async function cloneDataset(ctx: HostContext, node: DatasetNode): Promise<void> {
  const wanted = wantedProperties(node);
  if (await reconcileExisting(ctx, node.name, wanted)) {
    return;
  }
  if (node.origin === undefined || !(await zfs.exists(ctx, node.origin))) {
    throw new HostRefusedError(
      'SNAPSHOT_MISSING',
      `failed to clone '${node.name}': snapshot '${node.origin ?? ''}' does not exist`,
      {
        dataset: node.name,
        snapshot: node.origin,
      },
    );
  }

  await zfs.clone(ctx, node.origin, node.name, wanted);
}

/** Sets the properties and marks that differ from what the dataset has. */
export async function updateDataset(
  ctx: HostContext,
  name: string,
  properties: Record<string, string>,
  marks: Record<string, string>,
): Promise<void> {
  const wanted = { ...properties, ...marks };
  if (!(await reconcileExisting(ctx, name, wanted))) {
    throw new HostRefusedError(
      'HOST_STATE_UNEXPECTED',
      `failed to update dataset '${name}': it does not exist`,
      {
        dataset: name,
      },
    );
  }
}

/** Takes NAME@SNAPSHOT unless it exists. */
export async function snapshotDataset(
  ctx: HostContext,
  name: string,
  snapshot: string,
): Promise<void> {
  if (await zfs.exists(ctx, `${name}@${snapshot}`)) {
    return;
  }

  await zfs.snapshot(ctx, [`${name}@${snapshot}`]);
}

/**
 * Destroys a dataset Stockade owns with its children and snapshots (`destroy -r`, never -R).
 * Refuses with DATASET_IN_USE when a non-ZFS mount has its source or target inside the tree,
 * DATASET_HAS_CLONES when a dataset outside the tree is a clone of one of its snapshots, and
 * FOREIGN_OBJECT when the dataset or a child lacks Stockade's mark. Nothing to do when gone.
 */
export async function destroyDataset(ctx: HostContext, name: string): Promise<void> {
  const rows = await zfs.getProperties(ctx, name, [MARK_MANAGED, 'mountpoint'], {
    recursive: true,
  });
  if (rows.length === 0) {
    return;
  }
  const filesystems = [...new Set(rows.map((r) => r.name).filter((n) => !n.includes('@')))];
  const foreign = filesystems.filter(
    (fs) =>
      !rows.some(
        (r) =>
          r.name === fs &&
          r.property === MARK_MANAGED &&
          r.value === 'true' &&
          r.source === 'local',
      ),
  );
  if (foreign.length > 0) {
    throw new HostRefusedError(
      'FOREIGN_OBJECT',
      `refused to destroy '${name}': not marked as Stockade's: ${foreign.join(', ')}`,
      {
        dataset: name,
        foreign,
      },
    );
  }

  const mountpoints = rows
    .filter((r) => r.property === 'mountpoint' && r.value.startsWith('/') && !r.name.includes('@'))
    .map((r) => r.value);
  const busy = (await listMounts(ctx)).filter(
    (m) =>
      m.fstype !== 'zfs' &&
      mountpoints.some((mp) => isInside(m.target, mp) || isInside(m.source, mp)),
  );
  if (busy.length > 0) {
    const paths = busy.map((m) => m.target);
    throw new HostRefusedError(
      'DATASET_IN_USE',
      `refused to destroy '${name}': still mounted: ${paths.join(', ')}`,
      {
        dataset: name,
        mounts: paths,
      },
    );
  }

  const clones = await clonesOutside(ctx, name);
  if (clones.length > 0) {
    throw new HostRefusedError(
      'DATASET_HAS_CLONES',
      `refused to destroy '${name}': dataset has dependent clones: ${clones.join(', ')}`,
      {
        dataset: name,
        clones,
      },
    );
  }

  await zfs.destroy(ctx, name, { recursive: rows.some((r) => r.name !== name) });
}

/** Datasets anywhere in the pool that are clones of a snapshot inside `name`'s tree. */
async function clonesOutside(ctx: HostContext, name: string): Promise<string[]> {
  const pool = name.split('/')[0] ?? name;
  const { stdout } = await ctx.runner.run('zfs', [
    'list',
    '-H',
    '-o',
    'name,origin',
    '-t',
    'filesystem',
    '-r',
    pool,
  ]);
  return zfs
    .parseZfsList(stdout, ['name', 'origin'])
    .filter((row) => {
      const origin = (row['origin'] ?? '-').split('@')[0] ?? '';
      return row['origin'] !== '-' && inTree(origin, name) && !inTree(row['name'] ?? '', name);
    })
    .map((row) => row['name'] ?? '');
}

function inTree(dataset: string, root: string): boolean {
  return dataset === root || dataset.startsWith(`${root}/`);
}

function isInside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

function wantedProperties(node: DatasetNode): Record<string, string> {
  return {
    ...node.properties,
    ...node.marks,
    [MARK_MANAGED]: 'true',
    [MARK_ROLE]: node.role,
    ...(node.reclaimPolicy === undefined ? {} : { [MARK_RECLAIM]: node.reclaimPolicy }),
  };
}

/**
 * When `name` exists: refuses if it is not Stockade's, sets what differs and returns true.
 * Returns false when it does not exist.
 */
async function reconcileExisting(
  ctx: HostContext,
  name: string,
  wanted: Record<string, string>,
): Promise<boolean> {
  const rows = await zfs.getProperties(ctx, name, [
    ...new Set([MARK_MANAGED, ...Object.keys(wanted)]),
  ]);
  if (rows.length === 0) {
    return false;
  }
  // Only local values count: an inherited value is not what Stockade set, and observe would not
  // report it.
  const current = new Map(
    rows.filter((r) => r.source === 'local').map((r) => [r.property, r.value]),
  );
  if (current.get(MARK_MANAGED) !== 'true') {
    throw new HostRefusedError(
      'FOREIGN_OBJECT',
      `refused to change dataset '${name}': it is not marked as Stockade's`,
      {
        dataset: name,
      },
    );
  }

  const changes = Object.fromEntries(
    Object.entries(wanted).filter(([key, value]) => current.get(key) !== value),
  );
  await zfs.setProperties(ctx, name, changes);
  return true;
}
