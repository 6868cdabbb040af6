// SPDX-License-Identifier: BSD-2-Clause
// Reads the end of a jail's output file from the host for the CrashLooping status. The file lives
// inside the jail root, where the jail's own processes can plant symlinks, so no path component
// may be a symlink and the file read must be the one checked.

import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { join } from 'node:path';

import { UnsafeOutputPathError } from '../errors/unsafe-output-path-error.js';

/** Where the driver sends the output of a jail's command, relative to the jail root. */
export const OUTPUT_FILE = 'var/log/stockade.out';

/** Bytes of output kept for the status. */
export const OUTPUT_TAIL_BYTES = 4096;

/**
 * Returns the last `maxBytes` bytes of `<root>/var/log/stockade.out` as text, with control
 * characters other than newline and tab replaced, or '' when the file does not exist. Throws
 * UnsafeOutputPathError when a component is a symlink, the file is not a regular file with one
 * link, or it changed between the check and the open.
 */
export async function readOutputTail(root: string, maxBytes = OUTPUT_TAIL_BYTES): Promise<string> {
  const realRoot = await realpath(root);
  const parts = OUTPUT_FILE.split('/');
  const path = join(realRoot, ...parts);

  let current = realRoot;
  let fileStat;
  for (const part of parts) {
    current = join(current, part);
    try {
      fileStat = await lstat(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return '';
      }
      throw err;
    }
    if (fileStat.isSymbolicLink()) {
      throw new UnsafeOutputPathError(root, current, 'symlink');
    }
  }

  // O_NOFOLLOW closes the gap for the last component, O_NONBLOCK keeps a planted FIFO from
  // hanging the open; the checks below catch a directory swapped in between.
  const handle = await openNoFollow(root, path);
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) {
      throw new UnsafeOutputPathError(root, path, 'not a regular file');
    }
    if (opened.nlink !== 1) {
      throw new UnsafeOutputPathError(root, path, 'hard linked');
    }
    if (opened.ino !== fileStat?.ino || opened.dev !== fileStat.dev) {
      throw new UnsafeOutputPathError(root, path, 'changed while opening');
    }
    if ((await realpath(join(realRoot, 'var', 'log'))) !== join(realRoot, 'var', 'log')) {
      throw new UnsafeOutputPathError(root, path, 'changed while opening');
    }

    const length = Math.min(opened.size, maxBytes);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, opened.size - length);
    return sanitize(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}

async function openNoFollow(root: string, path: string) {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafeOutputPathError(root, path, 'symlink');
    }
    throw err;
  }
}

/** Replaces terminal escapes and other control characters: the tail ends up in STATUS.md. */
function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\ufffd');
}
