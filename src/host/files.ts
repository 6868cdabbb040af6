// SPDX-License-Identifier: BSD-2-Clause
// Writes files and creates directories inside a jail root without ever following a symlink:
// every component below the root is checked with lstat, the file itself is opened with
// O_NOFOLLOW|O_EXCL under a temporary name and renamed into place. A symlink, a `..` or a
// non-directory on the way is refused, so a jail cannot redirect a write onto the host.

import { constants, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

import { HostRefusedError } from '../errors/host-refused-error.js';
import type { JailFile } from '../topology/types.js';

/** Writes each file whose content or mode differs; returns the paths written. */
export async function writeJailFiles(root: string, files: JailFile[]): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    const target = await resolveInside(root, file.path);
    await ensureDirectories(root, posix.dirname(file.path));
    const content = Buffer.from(file.content, 'base64');
    if (await isSameFile(target, content, file.mode)) {
      continue;
    }
    await replaceFile(target, content, file.mode);
    written.push(file.path);
  }
  return written;
}

/**
 * Creates `path` (absolute inside the jail) and its parents below `root`, refusing when any
 * existing component is a symlink or not a directory. Returns the host path.
 */
export async function ensureDirectories(root: string, path: string): Promise<string> {
  const parts = splitInside(root, path);
  let current = root;
  for (const part of parts) {
    current = join(current, part);
    const stat = await lstatOrUndefined(current);
    if (stat === undefined) {
      await mkdir(current, { mode: 0o755 });
      continue;
    }
    if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw unsafe(root, path, current, stat.isSymbolicLink() ? 'symlink' : 'not a directory');
    }
  }
  return current;
}

/** The host path of `path` inside `root`, refusing `..` components and a final symlink. */
export async function resolveInside(root: string, path: string): Promise<string> {
  const target = join(root, ...splitInside(root, path));
  const stat = await lstatOrUndefined(target);
  if (stat !== undefined && (stat.isSymbolicLink() || !stat.isFile())) {
    throw unsafe(root, path, target, stat.isSymbolicLink() ? 'symlink' : 'not a regular file');
  }
  return target;
}

function splitInside(root: string, path: string): string[] {
  if (!path.startsWith('/')) {
    throw unsafe(root, path, path, 'not absolute');
  }
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) {
    throw unsafe(root, path, path, 'parent reference');
  }
  return parts;
}

async function isSameFile(target: string, content: Buffer, mode: number): Promise<boolean> {
  const stat = await lstatOrUndefined(target);
  if (stat === undefined || (stat.mode & 0o7777) !== mode) {
    return false;
  }
  return (await readFile(target, { flag: constants.O_RDONLY | constants.O_NOFOLLOW })).equals(
    content,
  );
}

async function replaceFile(target: string, content: Buffer, mode: number): Promise<void> {
  const tmp = join(dirname(target), `.stockade-${process.pid}-${Date.now()}.tmp`);
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await open(tmp, flags, 0o600);
  try {
    await handle.writeFile(content);
  } catch (err) {
    await handle.close();
    await unlink(tmp);
    throw err;
  }
  await handle.close();
  await chmod(tmp, mode);
  await rename(tmp, target);
}

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
}

function unsafe(root: string, path: string, at: string, why: string): HostRefusedError {
  return new HostRefusedError(
    'UNSAFE_PATH',
    `refused to write '${path}' in '${root}': ${at} is ${why === 'symlink' ? 'a symlink' : why}`,
    {
      root,
      path,
      at,
      why,
    },
  );
}
