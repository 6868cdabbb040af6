// SPDX-License-Identifier: BSD-2-Clause
// Real processes "inside" simulated jails: they run under chroot(8) with marker variables in
// their environment, which is how jail -r, jls and reaping find them again via /proc.

import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';

import { getStateDir, sleepMs } from './store.js';

/** Environment variable carrying the JID of the simulated jail a process belongs to. */
export const JID_MARKER = 'STOCKADE_SIM_JID';
/** Environment variable carrying the state folder, so separate simulated hosts never mix. */
export const HOST_MARKER = 'STOCKADE_SIM_HOST';

/** The real chroot; never looked up on PATH, where a wrapper could stand in front of it. */
const CHROOT = '/usr/sbin/chroot';

/** Variables a clean (`exec.clean`, `jexec -l`) environment keeps besides the markers. */
export function buildJailEnv(
  jid: number,
  clean: boolean,
  user = 'root',
  home = '/root',
): Record<string, string> {
  const marker = { [JID_MARKER]: String(jid), [HOST_MARKER]: getStateDir() };
  if (clean) {
    return {
      HOME: home,
      SHELL: '/bin/sh',
      TERM: process.env['TERM'] ?? 'dumb',
      USER: user,
      PATH: '/bin:/usr/bin',
      ...marker,
    };
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && k !== 'STOCKADE_SIM_STATE') {
      env[k] = v;
    }
  }
  return { ...env, ...marker };
}

/**
 * Process ids of jail `jid`: those whose environment carries this simulated host's marker for
 * it, and, when `root` (the jail's path) is given, those chrooted to it without any marker. A
 * command can clear its environment (`env -i`) without leaving the jail, as on FreeBSD, where
 * membership is a property of the process and not of its variables.
 */
export function findJailPids(jid: number, root?: string): number[] {
  const want = `${JID_MARKER}=${jid}`;
  const host = `${HOST_MARKER}=${getStateDir()}`;
  const realRoot = resolveRoot(root);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue;
    }
    const vars = environ.split('\0');
    const marked = vars.includes(want) && vars.includes(host);
    const unmarked = !vars.some((v) => v.startsWith(`${JID_MARKER}=`));
    const member = marked || (unmarked && realRoot !== undefined && rootOf(entry) === realRoot);
    if (member && !isZombie(Number(entry))) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

/**
 * Kills every process of a jail: SIGTERM, up to `timeoutSec` for them to go, then SIGKILL.
 * A timeout of 0 skips SIGTERM, as jail(8) does. `root` is the jail's path, as for findJailPids.
 */
export function killJailProcesses(jid: number, timeoutSec: number, root?: string): void {
  let pids = findJailPids(jid, root);
  if (pids.length > 0 && timeoutSec > 0) {
    signalAll(pids, 'SIGTERM');
    const deadline = Date.now() + timeoutSec * 1000;
    while (Date.now() < deadline) {
      pids = findJailPids(jid, root);
      if (pids.length === 0) {
        return;
      }
      sleepMs(50);
    }
  }
  for (let round = 0; round < 100; round += 1) {
    pids = findJailPids(jid, root);
    if (pids.length === 0) {
      return;
    }
    signalAll(pids, 'SIGKILL');
    sleepMs(20);
  }
}

/** How a command is run in (or for) a jail. */
export interface RunSpec {
  argv: string[];
  /** Jail root for chroot, or null to run on the host. */
  root: string | null;
  env: Record<string, string>;
  /** Append stdout and stderr to this file instead of inheriting them. */
  logFile?: string | null;
  background?: boolean;
  timeoutSec?: number;
  /** `uid:gid` for chroot --userspec. */
  userspec?: string;
  cwd?: string;
}

/** The result of a finished command. */
export type RunResult =
  | { kind: 'exited'; status: number }
  | { kind: 'signaled'; signal: number }
  | { kind: 'timeout' }
  | { kind: 'noexec'; error: string };

/** Runs a command to completion (or starts it in the background) and reports how it ended. */
export function runCommand(spec: RunSpec): RunResult {
  const [prog] = spec.argv;
  if (prog === undefined) {
    return { kind: 'noexec', error: 'No such file or directory' };
  }
  const missing = checkExecutable(prog, spec.root, spec.env['PATH'] ?? '/bin:/usr/bin');
  if (missing !== null) {
    return { kind: 'noexec', error: missing };
  }
  const cmd = spec.root === null ? prog : CHROOT;
  const args =
    spec.root === null
      ? spec.argv.slice(1)
      : [...(spec.userspec ? [`--userspec=${spec.userspec}`] : []), spec.root, ...spec.argv];
  let logFd: number | null = null;
  if (spec.logFile) {
    logFd = openSync(spec.logFile, 'a');
  }
  const out = logFd ?? 'inherit';
  try {
    if (spec.background) {
      const child = spawn(cmd, args, {
        env: spec.env,
        stdio: ['ignore', logFd ?? 'ignore', logFd ?? 'ignore'],
        detached: true,
        cwd: spec.cwd ?? '/',
      });
      child.unref();
      return { kind: 'exited', status: 0 };
    }
    const res = spawnSync(cmd, args, {
      env: spec.env,
      stdio: ['inherit', out, out],
      cwd: spec.cwd ?? '/',
      ...(spec.timeoutSec
        ? { timeout: spec.timeoutSec * 1000, killSignal: 'SIGKILL' as const }
        : {}),
    });
    if (res.error && (res.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') {
      return { kind: 'timeout' };
    }
    if (res.signal !== null) {
      return { kind: 'signaled', signal: signalNumber(res.signal) };
    }
    return { kind: 'exited', status: res.status ?? 1 };
  } finally {
    if (logFd !== null) {
      closeSync(logFd);
    }
  }
}

/** FreeBSD signal numbers for the signals a test can meet. */
export function signalNumber(name: string): number {
  const table: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGILL: 4,
    SIGTRAP: 5,
    SIGABRT: 6,
    SIGFPE: 8,
    SIGKILL: 9,
    SIGBUS: 10,
    SIGSEGV: 11,
    SIGSYS: 12,
    SIGPIPE: 13,
    SIGALRM: 14,
    SIGTERM: 15,
    SIGUSR1: 30,
    SIGUSR2: 31,
  };
  return table[name] ?? 0;
}

/**
 * Looks the program up the way execvp would, but from inside the jail root, so a missing
 * program gives FreeBSD's error line instead of chroot(8)'s.
 */
function checkExecutable(prog: string, root: string | null, pathVar: string): string | null {
  const base = root ?? '/';
  const candidates = prog.includes('/')
    ? [prog]
    : pathVar
        .split(':')
        .filter((d) => d !== '')
        .map((d) => `${d}/${prog}`);
  let lastError = 'No such file or directory';
  for (const candidate of candidates) {
    const full = join(base, candidate);
    try {
      if (statSync(full).isDirectory()) {
        lastError = 'Permission denied';
        continue;
      }
      accessSync(full, constants.X_OK);
      return null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EACCES') {
        lastError = 'Permission denied';
      }
    }
  }
  return lastError;
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** The real path of a jail root, or undefined for `/` or a path that does not exist. */
function resolveRoot(root: string | undefined): string | undefined {
  if (root === undefined) return undefined;
  try {
    const real = realpathSync(root);
    return real === '/' ? undefined : real;
  } catch {
    return undefined;
  }
}

/** Where process `pid` is chrooted, or undefined when it cannot be read. */
function rootOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/root`);
  } catch {
    return undefined;
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}
