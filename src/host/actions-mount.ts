// SPDX-License-Identifier: BSD-2-Clause
// Volume mounts into jail roots: nullfs, with the mountpoint created inside the root without
// following symlinks; unmount only when mounted.

import { HostRefusedError } from '../errors/host-refused-error.js';
import type { JailMount } from '../topology/types.js';
import { jailDataset, type HostContext } from './context.js';
import { ensureDirectories } from './files.js';
import { listMounts, mountNullfs, unmount } from './mount.js';
import { getProperties } from './zfs.js';

/** Mounts the volume at its target unless that exact nullfs mount is already there. */
export async function addMount(ctx: HostContext, jail: string, mount: JailMount): Promise<void> {
  const present = (await listMounts(ctx)).find((m) => m.target === mount.target);
  if (present !== undefined) {
    if (present.fstype === 'nullfs' && present.source === mount.source) {
      return;
    }
    throw new HostRefusedError(
      'HOST_STATE_UNEXPECTED',
      `failed to mount '${mount.target}': ${present.fstype} from '${present.source}' is mounted there`,
      {
        jail,
        target: mount.target,
        mounted: present.source,
      },
    );
  }

  const root = await jailRoot(ctx, jail);
  if (!mount.target.startsWith(`${root}/`)) {
    throw new HostRefusedError(
      'UNSAFE_PATH',
      `refused to mount '${mount.target}': outside the jail root '${root}'`,
      {
        root,
        path: mount.target,
        at: mount.target,
        why: 'outside root',
      },
    );
  }
  await ensureDirectories(root, mount.target.slice(root.length));
  await mountNullfs(ctx, mount.source, mount.target, mount.readonly);
}

/** Unmounts `target` when something is mounted there. */
export async function removeMount(ctx: HostContext, target: string): Promise<void> {
  const present = (await listMounts(ctx)).some((m) => m.target === target);
  if (!present) {
    return;
  }

  await unmount(ctx, target);
}

/** Mountpoint of the jail's root dataset. */
export async function jailRoot(ctx: HostContext, jail: string): Promise<string> {
  const dataset = jailDataset(ctx, jail);
  const rows = await getProperties(ctx, dataset, ['mountpoint']);
  const mountpoint = rows[0]?.value;
  if (mountpoint === undefined || !mountpoint.startsWith('/')) {
    throw new HostRefusedError(
      'HOST_STATE_UNEXPECTED',
      `jail '${jail}': dataset '${dataset}' has no mountpoint`,
      {
        jail,
        dataset,
      },
    );
  }
  return mountpoint;
}
