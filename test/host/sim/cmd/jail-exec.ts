// SPDX-License-Identifier: BSD-2-Clause
// How the simulated jail(8) runs exec.* commands and mount lines: the shell-or-argv rule,
// simulated tools standing in for FreeBSD binaries, and jail(8)'s failure lines.

import { lstatSync, realpathSync } from 'node:fs';

import { type Io, processIo } from '../state/io.js';
import { mountNullfs } from '../state/mounts.js';
import { runCommand, type RunResult } from '../state/procs.js';
import { updateState } from '../state/store.js';
import { runCpuset } from './cpuset.js';
import { runIfconfig, runRoute } from './ifconfig.js';
import { runMount, runUmount } from './mount.js';
import { runPfctl } from './pfctl.js';
import { runRctl } from './rctl.js';

const SHELL_META = /[!"$&'()*;<>?[\\\]`{|}~]/;

/**
 * `NAME: ` for jails that come from a config file, '' for command-line jails: jail(8) only
 * names jails in its messages when they have a config name.
 */
export const note = { prefix: '' };

/**
 * Mounts one fstab(5) line of the `mount` pseudo-parameter (nullfs only). Returns the target
 * or the error text after `jail: NAME: `.
 */
export function mountFstabLine(line: string, jailPath: string): { target: string } | string {
  const fields = line.trim().split(/\s+/).map(unvis);
  if (fields.length < 3) return `mount: ${line}: missing information`;
  const [source = '', target = '', type = '', opts = ''] = fields;
  if (!target.startsWith('/')) return `mount: ${target}: not an absolute pathname`;
  if (target.startsWith(`${jailPath}/`)) {
    let cur = jailPath;
    for (const part of target.slice(jailPath.length + 1).split('/')) {
      cur = `${cur}/${part}`;
      try {
        if (lstatSync(cur).isSymbolicLink()) return `mount: ${cur} is a symbolic link`;
      } catch {
        break;
      }
    }
  }
  if (type !== 'nullfs') return `mount: ${line}: simulator mounts only nullfs`;
  const options = opts === '' ? [] : opts.split(',').filter((o) => o !== 'rw');
  const problem = updateState((state) => mountNullfs(state, source, target, options));
  if (problem !== null) return `mount_nullfs: ${problem}`;
  return { target: realpathSync(target) };
}

/** strunvis(3) for the escapes fstab lines use (`\040` for a space). */
export function unvis(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** exec.* strings: shell when a metacharacter is present, else whitespace-split argv. */
export function commandArgv(cmd: string): { argv: string[]; background: boolean } {
  let text = cmd.trim();
  let background = false;
  if (/\s&$/.test(text) || (text.endsWith('&') && !text.endsWith('&&'))) {
    const stripped = text.slice(0, -1).trim();
    if (!SHELL_META.test(stripped)) {
      text = stripped;
      background = true;
    }
  }
  if (SHELL_META.test(text)) {
    return { argv: ['/bin/sh', '-c', cmd], background: false };
  }
  return { argv: text.split(/\s+/).filter((x) => x !== ''), background };
}

export function runHostString(cmd: string, clean: boolean): RunResult {
  const spec = commandArgv(cmd);
  const simulated = runSimulatedTool(spec.argv, 0, true);
  if (simulated !== null) return simulated;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  void clean;
  return runCommand({ argv: spec.argv, root: null, env, background: spec.background });
}

/**
 * Commands naming a simulated tool are answered by the simulator instead of a Linux binary:
 * on the host (`vnet` 0, every simulated tool, so /sbin/ifconfig never reaches the real
 * network) and inside a vnet jail (`vnet` = JID, only ifconfig and route, the jail's own
 * stack). A `vnet` of -1 means a jail without its own stack: nothing is simulated there.
 * Returns null when the command is not one of them.
 */
export function runSimulatedTool(argv: string[], vnet: number, host: boolean): RunResult | null {
  const prog = argv[0];
  if (prog === undefined || vnet < 0) return null;
  const m = /^(?:\/(?:usr\/)?s?bin\/)?([a-z]+)$/.exec(prog);
  const name = m?.[1];
  if (name === undefined) return null;
  const io: Io = processIo;
  const args = argv.slice(1);
  let status: number | null = null;
  if (name === 'ifconfig') status = runIfconfig(args, io, vnet);
  else if (name === 'route') status = runRoute(args, io, vnet);
  else if (host && name === 'pfctl') status = runPfctl(args, io);
  else if (host && name === 'mount') status = runMount(args, io);
  else if (host && name === 'umount') status = runUmount(args, io);
  else if (host && name === 'rctl') status = runRctl(args, io);
  else if (host && name === 'cpuset') status = runCpuset(args, io);
  return status === null ? null : { kind: 'exited', status };
}

/** Prints jail(8)'s line for a failed command; true when the command succeeded. */
export function reportRun(cmd: string, res: RunResult, io: Io): boolean {
  switch (res.kind) {
    case 'exited':
      if (res.status === 0) return true;
      io.err(`jail: ${note.prefix}${cmd}: failed\n`);
      return false;
    case 'signaled':
      io.err(`jail: ${note.prefix}${cmd}: exited on signal ${res.signal}\n`);
      return false;
    case 'timeout':
      io.err(`jail: ${note.prefix}${cmd}: timed out\n`);
      return false;
    case 'noexec':
      io.err(`jail: ${note.prefix}exec ${commandArgv(cmd).argv[0] ?? cmd}: ${res.error}\n`);
      return false;
  }
}
