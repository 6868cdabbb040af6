// SPDX-License-Identifier: BSD-2-Clause
// The single-instance lock: a file in the state directory holding the owner's pid, created
// exclusively. A lock whose pid no longer runs is stale (the owner crashed) and is taken over.

import { mkdir, open, readFile, rm } from 'node:fs/promises';
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
  options: { pid?: number; isAlive?: (pid: number) => boolean } = {},
): Promise<Lock> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? isProcessAlive;
  const path = join(stateDir, LOCK_FILE);
  await mkdir(stateDir, { recursive: true, mode: 0o700 });

  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(`${pid}\n`);
      await handle.close();
      return { path, release: () => releaseIfOurs(path, pid) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(path);
    if (holder !== undefined && holder !== pid && isAlive(holder)) throw new LockHeldError(path, holder);
    // The holder is gone (or the file is unreadable): the lock is stale.
    await rm(path, { force: true });
  }
  throw new LockHeldError(path, (await readHolder(path)) ?? -1);
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

async function readHolder(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function releaseIfOurs(path: string, pid: number): Promise<void> {
  if ((await readHolder(path)) === pid) await rm(path, { force: true });
}
