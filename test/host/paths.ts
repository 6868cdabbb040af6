// SPDX-License-Identifier: BSD-2-Clause
// Where the test host finds the repository it belongs to, whether it runs from the TypeScript
// sources (vitest) or from the compiled copy under dist/.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this module that holds package.json. */
export function findRepoRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** The folder, git-ignored, where `npm run testhost` and the release cache keep their state. */
export function testHostStateDir(repoRoot: string = findRepoRoot()): string {
  return path.join(repoRoot, '.testhost');
}
