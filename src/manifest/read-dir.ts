// SPDX-License-Identifier: BSD-2-Clause
// Reads a manifest folder from disk into the map loadManifests takes. Skips dot-files, reads
// only regular files, follows symlinks only while they stay inside the folder, and bounds the
// number and size of files. The only module of the manifest folder that does I/O.

import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';

import { ManifestDirError } from '../errors/manifest-dir-error.js';

/** Most files read from one folder. */
export const MAX_DIR_FILES = 10000;

/** Most bytes read from one folder, all files together. */
export const MAX_DIR_BYTES = 64 * 1024 * 1024;

/** Largest single file read; the loader refuses smaller limits with a position. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Every regular file under `dir`, keyed by its path relative to `dir` with `/`. Names starting
 * with a dot (files and folders) are skipped; FIFOs, sockets and devices are skipped. Throws
 * ManifestDirError when a symlink resolves outside `dir` or cannot be resolved, when the folder
 * holds too much, or when a read fails.
 */
export async function readManifestDir(dir: string): Promise<Map<string, Uint8Array>> {
  const root = await resolveRoot(dir);
  const files = new Map<string, Uint8Array>();
  const visited = new Set<string>([root]);
  const pending: { real: string; rel: string }[] = [{ real: root, rel: '' }];
  let total = 0;

  while (pending.length > 0) {
    const { real, rel } = pending.pop() as { real: string; rel: string };
    const entries = await guard(dir, rel, () => readdir(real, { withFileTypes: true }));
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) {
        continue;
      }
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      let target = path.join(real, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();

      if (entry.isSymbolicLink()) {
        target = await resolveLink(dir, root, target, relPath);
        const st = await guard(dir, relPath, () => stat(target));
        isDir = st.isDirectory();
        isFile = st.isFile();
      }

      if (isDir) {
        // A symlink back up the tree would loop; each real folder is read once.
        if (!visited.has(target)) {
          visited.add(target);
          pending.push({ real: target, rel: relPath });
        }
      } else if (isFile) {
        const content = await readRegularFile(dir, target, relPath);
        total += content.byteLength;
        files.set(relPath, content);
        if (files.size > MAX_DIR_FILES || total > MAX_DIR_BYTES) {
          const message = `manifest folder holds more than ${MAX_DIR_FILES} files or ${MAX_DIR_BYTES} bytes`;
          throw new ManifestDirError('too-large', message, { dir, path: relPath });
        }
      }
    }
  }
  return files;
}

async function resolveRoot(dir: string): Promise<string> {
  const root = await guard(dir, '', () => realpath(dir));
  const st = await guard(dir, '', () => stat(root));
  if (!st.isDirectory()) {
    throw new ManifestDirError('unreadable', `'${dir}' is not a folder`, { dir, path: '' });
  }
  return root;
}

async function resolveLink(
  dir: string,
  root: string,
  link: string,
  relPath: string,
): Promise<string> {
  let target: string;
  try {
    target = await realpath(link);
  } catch (err) {
    const message = `symlink '${relPath}' cannot be resolved`;
    throw new ManifestDirError('symlink-escape', message, { dir, path: relPath }, err);
  }
  if (target !== root && !target.startsWith(root + path.sep)) {
    const message = `symlink '${relPath}' leads outside the manifest folder`;
    throw new ManifestDirError('symlink-escape', message, { dir, path: relPath, target });
  }
  return target;
}

// O_NOFOLLOW refuses a file swapped for a symlink after the folder was listed, and O_NONBLOCK
// keeps a FIFO swapped in from blocking the read; fstat then confirms a regular file.
async function readRegularFile(dir: string, file: string, relPath: string): Promise<Uint8Array> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await guard(dir, relPath, () => open(file, flags));
  try {
    const st = await handle.stat();
    if (!st.isFile()) {
      throw new ManifestDirError('unreadable', `'${relPath}' is not a regular file`, {
        dir,
        path: relPath,
      });
    }
    if (st.size > MAX_FILE_BYTES) {
      const message = `'${relPath}' is ${st.size} bytes; files are limited to ${MAX_FILE_BYTES}`;
      throw new ManifestDirError('too-large', message, { dir, path: relPath, size: st.size });
    }
    return new Uint8Array(await handle.readFile());
  } finally {
    await handle.close();
  }
}

async function guard<T>(dir: string, relPath: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof ManifestDirError) {
      throw err;
    }
    const shown = relPath === '' ? dir : relPath;
    const message = `failed to read '${shown}': ${err instanceof Error ? err.message : String(err)}`;
    throw new ManifestDirError('unreadable', message, { dir, path: relPath }, err);
  }
}
