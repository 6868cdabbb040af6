// SPDX-License-Identifier: BSD-2-Clause
// Shared setup for the engine tests: a temporary state directory and topology comparison.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Topology } from '../../src/topology/types.js';

/** A fresh temporary directory. */
export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'stockade-run-'));
}

/** A topology without what only observation adds (JIDs), for exact comparison. */
export function stable(topology: Topology): Topology {
  const copy = structuredClone(topology);
  for (const jail of Object.values(copy.jails)) delete jail.jid;
  return copy;
}
