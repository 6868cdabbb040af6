// SPDX-License-Identifier: BSD-2-Clause
// Finds and removes what a test host can leave under its temp folder: processes whose root,
// working folder or program lies there (simulated jails are chrooted processes) and mounts
// (zfs-fuse datasets, the simulator's bind mounts). Linux only: it reads /proc.

import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';

/** One line of /proc/self/mountinfo, reduced to what teardown needs. */
export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Every mount of this process's namespace, in the kernel's order. */
export async function listMounts(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map(parseMountInfoLine);
}

/** Parses one mountinfo line; the optional fields end at the lone `-`. */
export function parseMountInfoLine(line: string): MountEntry {
  const fields = line.split(' ');
  const dash = fields.indexOf('-', 6);
  return {
    mountPoint: unescapeMountPath(fields[4] ?? ''),
    fsType: fields[dash + 1] ?? '',
    source: unescapeMountPath(fields[dash + 2] ?? ''),
  };
}

/** True when `candidate` is `dir` or lies below it. */
export function isInside(candidate: string, dir: string): boolean {
  const rel = path.relative(dir, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Mounts at or below `dir`, deepest first, so they can be unmounted in that order. */
export async function mountsUnder(dir: string): Promise<MountEntry[]> {
  const mounts = (await listMounts()).filter((m) => isInside(m.mountPoint, dir));
  return mounts.reverse().sort((a, b) => depth(b.mountPoint) - depth(a.mountPoint));
}

/**
 * Unmounts everything at or below `dir`, deepest first; a mount that stays busy is detached
 * lazily so nothing below `dir` still reaches another file system. Returns the mount points
 * that could not be removed at all.
 */
export async function unmountUnder(dir: string): Promise<string[]> {
  for (const mount of await mountsUnder(dir)) {
    const plain = await execa('umount', [mount.mountPoint], { reject: false, env: SYSTEM_ENV });
    if (plain.exitCode !== 0) {
      await execa('umount', ['-l', mount.mountPoint], { reject: false, env: SYSTEM_ENV });
    }
  }
  return (await mountsUnder(dir)).map((m) => m.mountPoint);
}

/**
 * Ids of processes whose root, cwd or program lies under `dir`, or whose environment holds one
 * of `markers` (`NAME=value`). This process and its ancestors are left out: the shell that
 * runs `testhost down` from inside the pool must survive it.
 */
export async function processesUnder(dir: string, markers: string[] = []): Promise<number[]> {
  const spared = await ancestorsOfSelf();
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || spared.has(pid)) continue;

    if ((await isRootedUnder(pid, dir)) || (await hasMarker(pid, markers))) found.push(pid);
  }
  return found;
}

/**
 * Kills (SIGKILL) every process processesUnder finds and waits until they are gone, for up to
 * `timeoutMs`. Returns the ids that were still alive at the end.
 */
export async function killProcessesUnder(
  dir: string,
  markers: string[] = [],
  timeoutMs = 10_000,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = await processesUnder(dir, markers);
  while (alive.length > 0 && Date.now() < deadline) {
    for (const pid of alive) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // It exited between the scan and the signal, which is what we want.
      }
    }
    await sleep(100);
    alive = await processesUnder(dir, markers);
  }
  return alive;
}

/** True while `pid` exists and is not a zombie waiting to be reaped. */
export async function isProcessAlive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  // The state letter follows the parenthesised command name, which may itself hold spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function isRootedUnder(pid: number, dir: string): Promise<boolean> {
  for (const link of ['root', 'cwd', 'exe']) {
    const target = await readlink(`/proc/${pid}/${link}`).catch(() => undefined);
    if (target !== undefined && target !== '/' && isInside(target, dir)) return true;
  }
  return false;
}

async function hasMarker(pid: number, markers: string[]): Promise<boolean> {
  if (markers.length === 0) return false;
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  const vars = environ.split('\0');
  return markers.some((marker) => vars.includes(marker));
}

async function ancestorsOfSelf(): Promise<Set<number>> {
  const chain = new Set<number>([process.pid]);
  let pid = process.ppid;
  while (pid > 1 && !chain.has(pid)) {
    chain.add(pid);
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Field 4, after the state letter, is the parent id.
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] ?? 0);
  }
  return chain;
}

// The real mount tools, never the simulated ones a test may have put first on PATH.
const SYSTEM_ENV = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };

function depth(p: string): number {
  return p.split('/').length;
}

function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
