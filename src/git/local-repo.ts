// SPDX-License-Identifier: BSD-2-Clause
// The local bare repository under the state directory. It lives in a generation folder that a
// `current` symlink points to, so a fresh shallow clone can replace a repository that piled up
// pack files with one atomic rename.

import { mkdir, mkdtemp, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';

import type { GitTransport } from './transport.js';

/** Name of the symlink to the generation in use. */
const CURRENT = 'current';

/**
 * Makes sure `dir` holds an initialised bare repository behind `dir/current` and removes
 * generations a crash left behind. Resolves with the gitdir path (through the symlink).
 */
export async function openLocalRepo(dir: string, transport: GitTransport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const link = path.join(dir, CURRENT);
  let target: string | undefined;
  try {
    target = await readlink(link);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
  }
  if (target === undefined) {
    await switchGeneration(dir, await createGeneration(dir, transport));
  } else {
    await removeStaleGenerations(dir, path.basename(target));
  }
  return link;
}

/** Creates and initialises an unused generation folder inside `dir`. */
export async function createGeneration(dir: string, transport: GitTransport): Promise<string> {
  const generation = await mkdtemp(path.join(dir, 'gen-'));
  await transport.init(generation);
  return generation;
}

/** Points `dir/current` at `generation` atomically, then deletes the other generations. */
export async function switchGeneration(dir: string, generation: string): Promise<void> {
  const next = path.join(dir, `${CURRENT}.next`);
  await rm(next, { force: true });
  await symlink(path.basename(generation), next);
  await rename(next, path.join(dir, CURRENT));
  await removeStaleGenerations(dir, path.basename(generation));
}

/** Number of pack files in the repository; each fetch adds one. */
export async function countPacks(gitdir: string): Promise<number> {
  try {
    const names = await readdir(path.join(gitdir, 'objects', 'pack'));
    return names.filter((name) => name.endsWith('.pack')).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return 0;
    }
    throw err;
  }
}

/** Number of loose objects; isomorphic-git writes every status blob, tree and commit loose. */
export async function countLooseObjects(gitdir: string): Promise<number> {
  const objects = path.join(gitdir, 'objects');
  let count = 0;
  for (const name of await readdir(objects)) {
    if (/^[0-9a-f]{2}$/.test(name)) {
      count += (await readdir(path.join(objects, name))).length;
    }
  }
  return count;
}

async function removeStaleGenerations(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith('gen-') && name !== keep) {
      await rm(path.join(dir, name), { recursive: true, force: true });
    }
  }
}
