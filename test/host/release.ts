// SPDX-License-Identifier: BSD-2-Clause
// Builds the test host's release archive: a base.txz shaped like FreeBSD's (xz-compressed tar,
// entries under ./) whose userland is Debian's static busybox. The archive is deterministic
// (sorted entries, fixed owners, modes and times) and cached under a hash of its inputs.

import { createHash } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';

import { testHostStateDir } from './paths.js';
import { TestHostError } from './test-host-error.js';

/** Busybox applets linked into the archive, by the folder FreeBSD keeps each program in. */
export const RELEASE_APPLETS: Readonly<Record<string, readonly string[]>> = {
  bin: [
    '[',
    'cat',
    'chmod',
    'cp',
    'date',
    'echo',
    'hostname',
    'kill',
    'ln',
    'ls',
    'mkdir',
    'mv',
    'ps',
    'pwd',
    'realpath',
    'rm',
    'rmdir',
    'sh',
    'sleep',
    'sync',
    'test',
  ],
  'usr/bin': [
    'awk',
    'basename',
    'cut',
    'dirname',
    'du',
    'env',
    'expr',
    'false',
    'find',
    'grep',
    'head',
    'id',
    'nc',
    'printf',
    'sed',
    'seq',
    'sort',
    'tail',
    'tee',
    'timeout',
    'touch',
    'tr',
    'true',
    'uname',
    'uniq',
    'wc',
    'wget',
    'which',
    'whoami',
    'xargs',
    'yes',
  ],
  'usr/sbin': ['chroot', 'httpd', 'nologin'],
};

/** Empty folders of the archive besides those that hold applets or files. */
export const RELEASE_DIRS = ['dev', 'root', 'sbin', 'tmp', 'var/log', 'var/run', 'var/tmp', 'www'];

/** The fixed time every entry carries: 2024-01-01T00:00:00Z. */
export const RELEASE_MTIME = 1_704_067_200;

/** The text files of the archive, by path; users: root, www (80) and nobody. */
export const RELEASE_FILES: Readonly<Record<string, string>> = {
  'etc/passwd': [
    'root:*:0:0:Charlie &:/root:/bin/sh',
    'www:*:80:80:World Wide Web Owner:/nonexistent:/usr/sbin/nologin',
    'nobody:*:65534:65534:Unprivileged user:/nonexistent:/usr/sbin/nologin',
    '',
  ].join('\n'),
  'etc/group': ['wheel:*:0:root', 'www:*:80:', 'nogroup:*:65533:', 'nobody:*:65534:', ''].join(
    '\n',
  ),
  'etc/hosts': ['::1\t\tlocalhost', '127.0.0.1\tlocalhost', ''].join('\n'),
  // jail(8) runs `/bin/sh /etc/rc` when a jail asks for a full boot; there is nothing to boot.
  'etc/rc': '#!/bin/sh\nexit 0\n',
};

/** Programs the builder runs; absolute paths from ensureSystemPackages. */
export interface ReleaseTools {
  busybox: string;
  tar: string;
  xz: string;
}

/**
 * Returns the path of the base.txz for `tools.busybox`, building it when the cache under
 * `cacheDir` (default `.testhost/cache/releases` in the repository) has none for the same
 * inputs. Building happens in a scratch folder and ends with a rename, so concurrent builders
 * and interrupted builds never leave a partial archive in the cache.
 */
export async function buildReleaseArchive(options: {
  tools: ReleaseTools;
  cacheDir?: string;
}): Promise<string> {
  const { tools, cacheDir = path.join(testHostStateDir(), 'cache', 'releases') } = options;
  const busybox = await readFile(tools.busybox);
  const key = hashInputs(busybox);
  const archive = path.join(cacheDir, key, 'base.txz');
  if (await isFile(archive)) return archive;

  await mkdir(path.dirname(archive), { recursive: true });
  const scratch = await mkdtemp(path.join(cacheDir, '.build-'));
  try {
    const staging = path.join(scratch, 'root');
    await stageRelease(staging, busybox, await listApplets(tools.busybox));
    const tarFile = path.join(scratch, 'base.tar');
    await execa(tools.tar, [
      '--create',
      '--file',
      tarFile,
      '--format',
      'ustar',
      '--sort',
      'name',
      '--mtime',
      `@${RELEASE_MTIME}`,
      '--owner',
      '0',
      '--group',
      '0',
      '--numeric-owner',
      '--directory',
      staging,
      '.',
    ]);
    // One thread: multi-threaded xz splits the stream into blocks and changes the bytes.
    const partial = path.join(scratch, 'base.txz');
    await execa(tools.xz, ['--threads', '1', '-6', '--stdout', tarFile], {
      stdout: { file: partial },
    });
    await rename(partial, archive);
  } catch (err) {
    throw new TestHostError('TEST_HOST_RELEASE_FAILED', 'failed to build the release archive', {
      data: { archive, busybox: tools.busybox },
      cause: err,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return archive;
}

async function stageRelease(staging: string, busybox: Buffer, available: Set<string>) {
  for (const dir of ['etc', ...Object.keys(RELEASE_APPLETS), ...RELEASE_DIRS]) {
    await mkdir(path.join(staging, dir), { recursive: true });
  }
  await writeFile(path.join(staging, 'bin/busybox'), busybox);
  for (const [dir, applets] of Object.entries(RELEASE_APPLETS)) {
    const target = path.relative(path.join('/', dir), '/bin/busybox');
    for (const applet of applets) {
      if (!available.has(applet)) {
        throw new Error(`busybox lacks the applet '${applet}' the release needs`);
      }
      await symlink(target, path.join(staging, dir, applet));
    }
  }
  for (const [file, text] of Object.entries(RELEASE_FILES)) {
    await writeFile(path.join(staging, file), text);
  }
  await setModes(staging);
}

/** Modes are set here, not left to the umask, so every machine packs the same bytes. */
async function setModes(staging: string): Promise<void> {
  const dirs = ['.', 'etc', ...Object.keys(RELEASE_APPLETS), 'usr', 'var', ...RELEASE_DIRS];
  for (const dir of dirs) await chmod(path.join(staging, dir), 0o755);
  for (const dir of ['tmp', 'var/tmp']) await chmod(path.join(staging, dir), 0o1777);
  await chmod(path.join(staging, 'root'), 0o700);
  await chmod(path.join(staging, 'bin/busybox'), 0o755);
  for (const file of Object.keys(RELEASE_FILES)) await chmod(path.join(staging, file), 0o644);
  await chmod(path.join(staging, 'etc/rc'), 0o755);
}

async function listApplets(busybox: string): Promise<Set<string>> {
  const { stdout } = await execa(busybox, ['--list']);
  return new Set(stdout.split('\n'));
}

// Bump when the layout code changes in a way the tables below do not show.
const FORMAT_VERSION = 1;

function hashInputs(busybox: Buffer): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ FORMAT_VERSION, RELEASE_APPLETS, RELEASE_DIRS, RELEASE_FILES }));
  hash.update(String(RELEASE_MTIME));
  hash.update(busybox);
  return hash.digest('hex').slice(0, 16);
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}
