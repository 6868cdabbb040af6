// SPDX-License-Identifier: BSD-2-Clause
// Real ZFS for the test host: starts the zfs-fuse daemon when none runs, creates a pool backed
// by a sparse file under the test host's temp folder, and destroys both again, retrying while
// datasets are busy. A daemon is stopped only if a test host started it (it carries a marker in
// its environment) and no pool is left on it.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';

import { isProcessAlive, sleep, unmountUnder } from './leftovers.js';
import { TestHostError } from './test-host-error.js';

/** The real zfs-fuse programs, as found by ensureSystemPackages. */
export interface ZfsTools {
  zfs: string;
  zpool: string;
  zfsFuse: string;
}

/** Everything needed to destroy a pool later, even from another process; JSON-safe. */
export interface PoolRecord {
  name: string;
  /** The sparse file that backs the pool. */
  file: string;
  /** Where the pool's root dataset is mounted; datasets mount below it. */
  mountpoint: string;
}

/** Prefix of every pool a test host makes, so leftovers can be recognised. */
export const POOL_PREFIX = 'sttest';

/** A fresh pool name: the prefix and 8 random hex digits. */
export function makePoolName(): string {
  return `${POOL_PREFIX}${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a pool named `name` (default: a fresh one) on a sparse file of `sizeBytes` in `dir`,
 * mounted at `dir/mnt`, starting the daemon first if needed. If the pool cannot be made, the
 * file and a daemon started here are removed again before it rejects.
 */
export async function createFilePool(options: {
  dir: string;
  tools: ZfsTools;
  name?: string;
  sizeBytes?: number;
}): Promise<PoolRecord> {
  const { dir, tools, name = makePoolName(), sizeBytes = 1024 ** 3 } = options;
  await ensureZfsDaemon(tools);
  const record: PoolRecord = {
    name,
    file: path.join(dir, `${name}.img`),
    mountpoint: path.join(dir, 'mnt'),
  };

  try {
    await mkdir(dir, { recursive: true });
    // A file full of holes: it takes disk space only as ZFS writes to it.
    await writeFile(record.file, '');
    await execa('truncate', ['-s', String(sizeBytes), record.file]);
    await execa(tools.zpool, ['create', '-m', record.mountpoint, name, record.file]);
  } catch (err) {
    await destroyFilePool(record, tools).catch(() => undefined);
    throw new TestHostError('TEST_HOST_POOL_FAILED', `failed to create pool '${name}'`, {
      data: { pool: name, file: record.file },
      cause: err,
    });
  }
  return record;
}

/**
 * Destroys the pool and its file, then stops the daemon if a test host started it and no other
 * pool remains. Works after a failure halfway: busy mounts under the mountpoint are unmounted
 * between retries, a pool that no longer exists is not an error, and a daemon that died is
 * started again for the destroy so the pool does not come back from zfs-fuse's cache file.
 */
export async function destroyFilePool(record: PoolRecord, tools: ZfsTools): Promise<void> {
  await ensureZfsDaemon(tools);
  const exists = (await listPools(tools)).includes(record.name);
  let lastError = '';
  for (let attempt = 0; exists && attempt < 8; attempt++) {
    await unmountUnder(record.mountpoint);
    const result = await execa(tools.zpool, ['destroy', '-f', record.name], { reject: false });
    if (result.exitCode === 0 && !(await listPools(tools)).includes(record.name)) break;
    lastError = result.stderr;
    await sleep(250 * (attempt + 1));
  }

  // The file stays while the pool does, so a later teardown can still destroy it cleanly.
  const stillThere = (await listPools(tools)).includes(record.name);
  if (!stillThere) await rm(record.file, { force: true });
  await stopTestHostDaemon(tools);
  if (stillThere) {
    throw new TestHostError(
      'TEST_HOST_TEARDOWN_FAILED',
      `failed to destroy pool '${record.name}'`,
      {
        data: { pool: record.name, stderr: lastError },
      },
    );
  }
}

/** Names of the pools the daemon has imported; none when no daemon runs. */
export async function listPools(tools: Pick<ZfsTools, 'zpool'>): Promise<string[]> {
  const result = await execa(tools.zpool, ['list', '-H', '-o', 'name'], { reject: false });
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** True when a zfs-fuse daemon answers on its socket. */
export async function isZfsDaemonRunning(tools: Pick<ZfsTools, 'zpool'>): Promise<boolean> {
  // zpool exits 0 even when it cannot reach the daemon; only stderr tells.
  const result = await execa(tools.zpool, ['list', '-H', '-o', 'name'], { reject: false });
  return result.exitCode === 0 && !/connect:|daemon is running/.test(result.stderr);
}

/** The environment variable that marks a zfs-fuse daemon as started by a test host. */
export const DAEMON_MARKER = 'STOCKADE_TESTHOST_ZFS_DAEMON';

/**
 * Starts `zfs-fuse --no-daemon` detached, so it outlives this process (`testhost up`), unless a
 * daemon already answers. `startedPid` is set only when the daemon that now answers is the one
 * started here.
 */
export async function ensureZfsDaemon(tools: ZfsTools): Promise<{ startedPid?: number }> {
  if (await isZfsDaemonRunning(tools)) return {};

  await checkFuseDevice();
  // No kstat mount: it would add /zfs-kstat to the host, which teardown would have to undo.
  const child = spawn(tools.zfsFuse, ['--no-daemon', '--no-kstat-mount'], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [DAEMON_MARKER]: '1' },
  });
  child.unref();
  const pid = child.pid;
  let exitCode: number | null = null;
  child.on('exit', (code) => {
    exitCode = code;
  });
  child.on('error', () => undefined);

  for (let waited = 0; waited < 15_000; waited += 100) {
    if (await isZfsDaemonRunning(tools)) {
      // Another test host may have won a race to start it; then ours has exited.
      const ours = pid !== undefined && (await isProcessAlive(pid));
      return ours ? { startedPid: pid } : {};
    }
    if (exitCode !== null) break;
    await sleep(100);
  }
  throw new TestHostError('TEST_HOST_ZFS_DAEMON_FAILED', 'failed to start the zfs-fuse daemon', {
    data: { program: tools.zfsFuse, exitCode },
  });
}

/**
 * Stops (SIGTERM, then SIGKILL) every zfs-fuse daemon that a test host started, unless a pool
 * is still imported. A daemon started some other way is never touched. Returns the ids stopped.
 */
export async function stopTestHostDaemon(tools: Pick<ZfsTools, 'zpool'>): Promise<number[]> {
  const ours = await findTestHostDaemons();
  if (ours.length === 0 || (await listPools(tools)).length > 0) return [];

  for (const pid of ours) process.kill(pid, 'SIGTERM');
  // zfs-fuse takes several seconds to exit after SIGTERM even with no pool.
  for (let waited = 0; waited < 20_000; waited += 100) {
    const alive = await Promise.all(ours.map(isProcessAlive));
    if (!alive.includes(true)) return ours;
    await sleep(100);
  }
  for (const pid of ours) {
    if (await isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  return ours;
}

/** Ids of the live zfs-fuse processes whose environment carries DAEMON_MARKER. */
export async function findTestHostDaemons(): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (comm.trim() !== 'zfs-fuse') continue;
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (environ.split('\0').includes(`${DAEMON_MARKER}=1`) && (await isProcessAlive(pid))) {
      found.push(pid);
    }
  }
  return found;
}

async function checkFuseDevice(): Promise<void> {
  const info = await stat('/dev/fuse').catch(() => undefined);
  if (info?.isCharacterDevice() !== true) {
    throw new TestHostError(
      'TEST_HOST_FUSE_MISSING',
      'zfs-fuse needs /dev/fuse, which this machine lacks: load the fuse module (modprobe fuse) ' +
        'or give the container the device (--device /dev/fuse)',
      { data: { device: '/dev/fuse' } },
    );
  }
}
