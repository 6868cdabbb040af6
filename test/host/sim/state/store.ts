// SPDX-License-Identifier: BSD-2-Clause
// Loads and saves the simulated host's state: one JSON file in $STOCKADE_SIM_STATE, changed
// only under an exclusive lock file and written by temp-file-then-rename, because several
// simulator processes run at once.

import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { reapJails } from './jails.js';
import type { SimIface, SimState } from './types.js';

/** Exit status when the simulator is run without its state folder (EX_SOFTWARE). */
export const EXIT_NO_STATE = 70;

const STATE_FILE = 'host.json';
const LOCK_FILE = 'host.lock';
const LOCK_RETRY_MS = 10;
const LOCK_STALE_MS = 30_000;

/** Raised when STOCKADE_SIM_STATE is missing; the tool entry point turns it into exit 70. */
export class MissingStateDirError extends Error {}

/** The state folder, from STOCKADE_SIM_STATE. */
export function getStateDir(): string {
  const dir = process.env['STOCKADE_SIM_STATE'];
  if (dir === undefined || dir === '') {
    throw new MissingStateDirError('STOCKADE_SIM_STATE is not set');
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Reads the state without the lock (a rename is atomic, so the document is whole). */
export function readState(): SimState {
  const file = join(getStateDir(), STATE_FILE);
  const state = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as SimState)
    : createInitialState();
  reapJails(state);
  return state;
}

/**
 * Runs `change` on the current state under the lock and saves what it leaves behind.
 * `change` must be quick: no waiting on processes while the lock is held.
 */
export function updateState<T>(change: (state: SimState) => T): T {
  const dir = getStateDir();
  const release = acquireLock(dir);
  try {
    const state = readState();
    const result = change(state);
    const tmp = join(dir, `${STATE_FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(state, null, 1));
    renameSync(tmp, join(dir, STATE_FILE));
    return result;
  } finally {
    release();
  }
}

/** The starting host: lo0 and one external interface with a documentation address. */
export function createInitialState(): SimState {
  const extName = process.env['STOCKADE_SIM_EXTIF'] ?? 'em0';
  const extAddr = process.env['STOCKADE_SIM_EXTADDR'] ?? '192.0.2.10/24';
  const [addr = '192.0.2.10', prefixText] = extAddr.split('/');
  // Without a prefix, the classful mask ifconfig would pick (127.0.0.1 gets /8).
  const first = Number(addr.split('.')[0]);
  const prefix = prefixText ?? (first < 128 ? '8' : first < 192 ? '16' : '24');
  const ext: SimIface = {
    ...blankIface(extName, 1, 'ether'),
    ether: '52:54:00:12:34:56',
    up: true,
    inet: [{ addr, prefix: Number(prefix) }],
  };
  const lo: SimIface = {
    ...blankIface('lo0', 2, 'loopback'),
    mtu: 16384,
    up: true,
    inet: [{ addr: '127.0.0.1', prefix: 8 }],
    groups: ['lo'],
    cloner: 'lo',
    nd6Disabled: false,
  };
  return {
    version: 1,
    nextJid: 1,
    nextCpusetId: 2,
    nextIfIndex: 3,
    jails: [],
    ifaces: [ext, lo],
    routes: {},
    pf: { enabled: false, main: blankRuleset(), anchors: {} },
    rctl: [],
    cpusets: {},
    mounts: [],
    sysctls: {},
  };
}

/** A fresh interface record with no addresses, down, in the host vnet. */
export function blankIface(name: string, index: number, kind: SimIface['kind']): SimIface {
  return {
    name,
    index,
    kind,
    cloner: null,
    unit: 0,
    peer: null,
    vnet: 0,
    up: false,
    mtu: 1500,
    ether: null,
    description: null,
    inet: [],
    inet6: [],
    groups: [],
    members: [],
    memberOf: null,
    nd6Disabled: true,
  };
}

/** An empty pf ruleset. */
export function blankRuleset(): SimState['pf']['main'] {
  return { rules: [], nat: [], anchorRefs: [], tables: {} };
}

/** Sleeps without an event loop (the simulators are short synchronous programs). */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function acquireLock(dir: string): () => void {
  const lock = join(dir, LOCK_FILE);
  for (;;) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid} ${Date.now()}`);
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
      breakStaleLock(lock);
      sleepMs(LOCK_RETRY_MS);
    }
  }
}

/** A lock whose owner died (or that is very old) would block every later simulator. */
function breakStaleLock(lock: string): void {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch {
    return;
  }
  const [pidText = '', sinceText = ''] = text.split(' ');
  const pid = Number(pidText);
  const since = Number(sinceText);
  let alive = true;
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
  }
  if (!alive || (since > 0 && Date.now() - since > LOCK_STALE_MS)) {
    rmSync(lock, { force: true });
  }
}
