// SPDX-License-Identifier: BSD-2-Clause
// nullfs mounts of the simulated host, made as real Linux bind mounts with the real mount(8)
// at an absolute path (never the simulator's own wrapper on PATH), and listed from state.

import { spawnSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import type { SimMount, SimState } from './types.js';

const REAL_MOUNT = '/bin/mount';
const REAL_UMOUNT = '/bin/umount';

/** Options that map onto a Linux bind remount; others are recorded and shown only. */
const REMOUNT_FLAGS = new Set(['ro', 'nosuid', 'noexec', 'nodev']);

/** Why a path cannot be used as a nullfs source or target, or null if it can. */
export function checkDirectory(path: string): string | null {
  try {
    return statSync(path).isDirectory() ? null : 'Not a directory';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOTDIR' ? 'Not a directory' : 'No such file or directory';
  }
}

/**
 * Bind-mounts `source` on `target` (read-only with `ro`) and records it. Returns an error
 * line without the program prefix, or null on success.
 */
export function mountNullfs(
  state: SimState,
  source: string,
  target: string,
  options: string[],
): string | null {
  for (const p of [source, target]) {
    const problem = checkDirectory(p);
    if (problem !== null) {
      return `${p}: ${problem}`;
    }
  }
  const src = realpathSync(source);
  const dst = realpathSync(target);
  const bind = spawnSync(REAL_MOUNT, ['--bind', src, dst], { encoding: 'utf8' });
  if (bind.status !== 0) {
    return `${dst}: ${bind.stderr.trim() || 'Operation not permitted'}`;
  }
  const flags = options.filter((o) => REMOUNT_FLAGS.has(o));
  if (flags.length > 0) {
    const re = spawnSync(REAL_MOUNT, ['-o', `remount,bind,${flags.join(',')}`, dst], {
      encoding: 'utf8',
    });
    if (re.status !== 0) {
      spawnSync(REAL_UMOUNT, [dst]);
      return `${dst}: ${re.stderr.trim() || 'Operation not permitted'}`;
    }
  }
  state.mounts.push({ source: src, target: dst, readOnly: options.includes('ro'), options });
  return null;
}

/** Finds the simulator's mount at `target` (the last one, as mounts stack). */
export function findMount(state: SimState, target: string): SimMount | undefined {
  const abs = resolve(target);
  let real = abs;
  try {
    real = realpathSync(abs);
  } catch {
    // A vanished target can still be in the table.
  }
  return [...state.mounts].reverse().find((m) => m.target === real || m.target === abs);
}

/** Unmounts a recorded mount with the real umount(8); returns an error text or null. */
export function unmountNullfs(state: SimState, mount: SimMount, force: boolean): string | null {
  const res = spawnSync(REAL_UMOUNT, [...(force ? ['-l'] : []), mount.target], {
    encoding: 'utf8',
  });
  if (res.status !== 0) {
    return /busy/i.test(res.stderr) ? 'Device busy' : res.stderr.trim();
  }
  const idx = state.mounts.lastIndexOf(mount);
  state.mounts.splice(idx, 1);
  return null;
}

/** Option words as FreeBSD's mount -p prints them. */
export function mountOptionText(m: SimMount): string {
  const rest = m.options.filter((o) => o !== 'ro' && o !== 'rw');
  return [m.readOnly ? 'ro' : 'rw', ...rest].join(',');
}
