// SPDX-License-Identifier: BSD-2-Clause
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { acquireLock, isProcessAlive, LOCK_FILE } from '../../src/daemon/lock.js';
import { tempDir } from '../run/helpers.js';

describe('acquireLock', () => {
  it('lets one holder in and refuses a second while the first lives', async () => {
    const dir = await tempDir();

    const first = await acquireLock(dir, { pid: 1111, isAlive: () => true, boot: 7 });
    const second = acquireLock(dir, { pid: 2222, isAlive: () => true, boot: 7 });

    await expect(second).rejects.toMatchObject({
      code: 'LOCK_HELD',
      kind: 'waiting',
      data: { path: join(dir, LOCK_FILE), pid: 1111 },
    });
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe('1111\nboot=7\n');
    await first.release();
    const third = await acquireLock(dir, { pid: 2222, isAlive: () => true, boot: 7 });
    expect(await readFile(third.path, 'utf8')).toBe('2222\nboot=7\n');
  });

  it('takes over a stale lock whose pid is gone', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE), '999999\nboot=7\n');

    const lock = await acquireLock(dir, { pid: 3333, isAlive: (pid) => pid !== 999999, boot: 7 });

    expect(await readFile(lock.path, 'utf8')).toBe('3333\nboot=7\n');
  });

  it('takes over a lock written before the last boot even when its pid runs again', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOCK_FILE), '4242\nboot=3\n');

    const lock = await acquireLock(dir, { pid: 3333, isAlive: () => true, boot: 7 });

    expect(await readFile(lock.path, 'utf8')).toBe('3333\nboot=7\n');
  });

  it('refuses a second holder in the same process', async () => {
    const dir = await tempDir();
    await acquireLock(dir);

    await expect(acquireLock(dir)).rejects.toMatchObject({
      code: 'LOCK_HELD',
      data: { pid: process.pid },
    });
  });

  it('does not remove a lock another process took after ours was released', async () => {
    const dir = await tempDir();
    const ours = await acquireLock(dir, { pid: 4444 });
    await writeFile(join(dir, LOCK_FILE), '5555\nboot=1\n');

    await ours.release();

    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe('5555\nboot=1\n');
  });

  it('knows this process is alive', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});
