// SPDX-License-Identifier: BSD-2-Clause
// The single-instance lock: a file in the state directory holding the owner's pid and boot
// time, created exclusively. A lock whose pid no longer runs, or that was written before the
// last boot (the pid may since belong to another process), is stale and is taken over.

import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { uptime } from 'node:os';
import { join } from 'node:path';

import { LockHeldError } from '../errors/lock-held-error.js';

/** A held lock. */
export interface Lock {
  readonly path: string;
  release(): Promise<void>;
}

/** Name of the lock file in the state directory. */
export const LOCK_FILE = 'stockade.lock';

/**
 * Takes the lock of `stateDir` for `pid`. Rejects with LockHeldError (LOCK_HELD) while another
 * live process holds it; removes a stale lock left by a dead one.
 */
export async function acquireLock(
  stateDir: string,
  options: { pid?: number; isAlive?: (pid: number) => boolean; boot?: number } = {},
): Promise<Lock> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? isProcessAlive;
  const boot = options.boot ?? bootMinute();
  const path = join(stateDir, LOCK_FILE);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });

  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${pid}\nboot=${boot}\n`);
      await handle.close();
      return { path, release: () => releaseIfOurs(path, pid) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(path);
    if (holder !== undefined && Math.abs(holder.boot - boot) <= 1 && isAlive(holder.pid)) {
      throw new LockHeldError(path, holder.pid);
    }
    // The holder is gone (or the file is unreadable): the lock is stale.
    await rm(path, { force: true });
  }
  throw new LockHeldError(path, (await readHolder(path))?.pid ?? -1);
}

/** True when a process with `pid` exists (signal 0 probes without sending anything). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The minute the host booted; the same for every process of one boot. */
export function bootMinute(): number {
  // Rounded so that the clock moving between two reads does not change it.
  return Math.round((Date.now() / 1000 - uptime()) / 60);
}

async function readHolder(path: string): Promise<{ pid: number; boot: number } | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const pid = Number.parseInt(text, 10);
    const boot = Number(/^boot=(-?\d+)$/m.exec(text)?.[1] ?? Number.NaN);
    return Number.isInteger(pid) && pid > 0 && Number.isInteger(boot) ? { pid, boot } : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function releaseIfOurs(path: string, pid: number): Promise<void> {
  if ((await readHolder(path))?.pid === pid) await rm(path, { force: true });
}
