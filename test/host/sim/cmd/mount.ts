// SPDX-License-Identifier: BSD-2-Clause
// mount(8) and umount(8) of the simulated host for nullfs: real Linux bind mounts, listed in
// FreeBSD's formats from the simulator's own mount table.

import { existsSync } from 'node:fs';

import type { Io } from '../state/io.js';
import { findMount, mountNullfs, mountOptionText, unmountNullfs } from '../state/mounts.js';
import { readState, updateState } from '../state/store.js';

const MOUNT_USAGE =
  'usage: mount [-adflpruvw] [-F fstab] [-o options] [-t ufs | external_type]\n' +
  '       mount [-dfpruvw] special | node\n' +
  '       mount [-dfpruvw] [-o options] [-t ufs | external_type] special node\n';
const UMOUNT_USAGE =
  'usage: umount [-dfNnv] special ... | node ... | fsid ...\n' +
  '       umount -a | -A [-F fstab] [-dfnv] [-h host] [-t type]\n';

/** Runs `mount argv`. */
export function runMount(argv: string[], io: Io): number {
  let type: string | null = null;
  const options: string[] = [];
  let listFstab = false;
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '-t' || a === '-o') {
      const v = argv[++i];
      if (v === undefined) {
        io.err(`mount: option requires an argument -- ${a[1]}\n${MOUNT_USAGE}`);
        return 1;
      }
      if (a === '-t') type = v;
      else options.push(...v.split(',').filter((x) => x !== ''));
    } else if (a === '-p') {
      listFstab = true;
    } else if (a === '-r') {
      options.push('ro');
    } else if (a.startsWith('-') && a.length > 1) {
      io.err(`mount: illegal option -- ${a.slice(1)}\n${MOUNT_USAGE}`);
      return 1;
    } else {
      pos.push(a);
    }
  }
  if (pos.length === 0) {
    const state = readState();
    for (const m of state.mounts) {
      if (listFstab) {
        io.out(`${m.source}\t${m.target}\tnullfs\t${mountOptionText(m)}\t0 0\n`);
      } else {
        io.out(`${m.source} on ${m.target} (nullfs, local${m.readOnly ? ', read-only' : ''})\n`);
      }
    }
    return 0;
  }
  if (pos.length !== 2) {
    io.err(MOUNT_USAGE);
    return 1;
  }
  if (type !== 'nullfs') {
    io.err(`mount: simulator: only -t nullfs is simulated\n`);
    return 1;
  }
  const [source = '', target = ''] = pos;
  const opts = options.filter((o) => o !== 'rw' || !options.includes('ro'));
  return updateState((state) => {
    const problem = mountNullfs(state, source, target, opts);
    if (problem !== null) {
      io.err(`mount_nullfs: ${problem}\n`);
      return 64;
    }
    return 0;
  });
}

/** Runs `umount argv`. */
export function runUmount(argv: string[], io: Io): number {
  let force = false;
  let type: string | null = null;
  const targets: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '-f') force = true;
    else if (a === '-t') type = argv[++i] ?? '';
    else if (a.startsWith('-') && a.length > 1) {
      io.err(`umount: illegal option -- ${a.slice(1)}\n${UMOUNT_USAGE}`);
      return 1;
    } else targets.push(a);
  }
  if (targets.length === 0) {
    io.err(UMOUNT_USAGE);
    return 1;
  }
  let status = 0;
  for (const t of targets) {
    status |= updateState((state) => {
      const m = findMount(state, t);
      if (m === undefined && !existsSync(t)) {
        io.err(`umount: ${t}: statfs: No such file or directory\n`);
        return 1;
      }
      if (m === undefined || (type !== null && type !== 'nullfs')) {
        io.err(`umount: ${t}: not a file system root directory\n`);
        return 1;
      }
      const problem = unmountNullfs(state, m, force);
      if (problem !== null) {
        io.err(`umount: unmount of ${m.target} failed: ${problem}\n`);
        return 1;
      }
      return 0;
    });
  }
  return status;
}
