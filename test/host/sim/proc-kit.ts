// SPDX-License-Identifier: BSD-2-Clause
// Process helpers for the simulator tests: find the processes a simulated host started (by
// their marker environment) and poll for a condition without timing assertions.

import { readdirSync, readFileSync } from 'node:fs';

import { HOST_MARKER, JID_MARKER } from './state/procs.js';

/** Live (non-zombie) processes started in any jail of the simulated host at `stateDir`. */
export function findJailPidsIn(stateDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const vars = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (
        vars.includes(`${HOST_MARKER}=${stateDir}`) &&
        vars.some((v) => v.startsWith(`${JID_MARKER}=`)) &&
        state !== 'Z'
      ) {
        pids.push(Number(entry));
      }
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

/** Polls `check` until it holds or about 10 s pass; returns whether it held. */
export function waitFor(check: () => boolean): boolean {
  for (let i = 0; i < 200; i += 1) {
    if (check()) return true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  return false;
}
