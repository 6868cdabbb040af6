// SPDX-License-Identifier: BSD-2-Clause
// Ancestry in a shallow clone. isomorphic-git's isDescendent answers "no" when it reaches the
// shallow boundary, which would turn every unfetched history into a false force-push alarm;
// this walk says "unknown" instead, so the caller can deepen and ask again.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import git, { Errors } from 'isomorphic-git';

import { createSnapshotFs } from './snapshot-fs.js';

/** `yes` and `no` are certain; `unknown` means the walk reached the shallow boundary. */
export type Ancestry = 'yes' | 'no' | 'unknown';

/**
 * Whether `ancestor` is reachable from `descendant` (a commit is its own ancestor), walking the
 * local history breadth-first. Resolves `unknown` when a path ended at a shallow commit or a
 * missing object before the answer was certain.
 */
export async function checkAncestry(options: {
  gitdir: string;
  ancestor: string;
  descendant: string;
  cache: object;
}): Promise<Ancestry> {
  const { gitdir, ancestor, descendant, cache } = options;
  if (ancestor === descendant) {
    return 'yes';
  }

  const shallow = await readShallow(gitdir);
  const fs = createSnapshotFs();
  const queue = [descendant];
  const seen = new Set(queue);
  let truncated = false;
  for (let oid = queue.shift(); oid !== undefined; oid = queue.shift()) {
    let parents: string[];
    try {
      parents = (await git.readCommit({ fs, gitdir, oid, cache })).commit.parent;
    } catch (err) {
      if (!(err instanceof Errors.NotFoundError)) {
        throw err;
      }
      truncated = true;
      continue;
    }
    for (const parent of parents) {
      if (parent === ancestor) {
        return 'yes';
      }
    }
    // A shallow commit still names its parents, but their objects were never fetched.
    if (shallow.has(oid) && parents.length > 0) {
      truncated = true;
      continue;
    }
    for (const parent of parents) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return truncated ? 'unknown' : 'no';
}

/** Commit ids listed in the repository's `shallow` file. */
async function readShallow(gitdir: string): Promise<Set<string>> {
  try {
    const text = await readFile(path.join(gitdir, 'shallow'), 'utf8');
    return new Set(text.split('\n').filter((line) => /^[0-9a-f]{40}$/.test(line)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return new Set();
    }
    throw err;
  }
}
