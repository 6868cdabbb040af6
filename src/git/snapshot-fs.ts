// SPDX-License-Identifier: BSD-2-Clause
// A read-mostly file system view for isomorphic-git during one read of the local repository.
// For every object, isomorphic-git stats the gitdir, tries a loose file and lists the pack
// folder again; this view answers those repeated questions from memory.

import fs from 'node:fs';
import path from 'node:path';

import type { PromiseFsClient } from 'isomorphic-git';

/**
 * A file system for one operation during which no other writer changes the repository (the
 * source serializes its operations). Listings and stats are read once; a loose-object read
 * whose fan-out folder does not exist fails without touching the disk.
 */
export function createSnapshotFs(): PromiseFsClient {
  const real = fs.promises;
  const listings = new Map<string, Promise<string[]>>();
  const list = (dir: string): Promise<string[]> => {
    let names = listings.get(dir);
    if (names === undefined) {
      names = real.readdir(dir);
      listings.set(dir, names);
    }
    return names;
  };

  const stats = new Map<string, ReturnType<typeof real.stat>>();
  const stat = (file: string): ReturnType<typeof real.stat> => {
    let result = stats.get(file);
    if (result === undefined) {
      result = real.stat(file);
      stats.set(file, result);
    }
    return result;
  };

  return {
    promises: {
      readFile: async (file: string, options?: unknown) => {
        // isomorphic-git probes each file system with an argument-less call on every API call.
        if (typeof file !== 'string') {
          throw new TypeError('path must be a string');
        }

        const loose = /^(.*)[/\\]objects[/\\]([0-9a-f]{2})[/\\][0-9a-f]{38}$/.exec(file);
        if (loose !== null) {
          const folders = await list(path.join(loose[1] ?? '', 'objects')).catch(
            (): string[] => [],
          );
          if (!folders.includes(loose[2] ?? '')) {
            throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
          }
        }
        return real.readFile(file, options as Parameters<typeof real.readFile>[1]);
      },
      readdir: (dir: string) => list(dir).then((names) => [...names]),
      writeFile: real.writeFile,
      mkdir: real.mkdir,
      rmdir: real.rmdir,
      unlink: real.unlink,
      // Asked once per API call, for the gitdir.
      stat: (file: string) => stat(file),
      lstat: real.lstat,
      readlink: real.readlink,
      symlink: real.symlink,
      chmod: real.chmod,
    },
  } as unknown as PromiseFsClient;
}
