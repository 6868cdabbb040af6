// SPDX-License-Identifier: BSD-2-Clause
// jexec(8) of the simulated host: runs a real process chrooted into the jail's path with the
// jail marker in its environment and returns its exit status.
//
// One exception stands in for the jail's own binaries: inside a vnet jail the network stack
// is simulated, so `ifconfig`/`/sbin/ifconfig` and `route`/`/sbin/route` run by jexec are
// answered by the simulator against that jail's simulated interfaces and default route,
// instead of executing anything from the jail's root.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Io } from '../state/io.js';
import { findJail, isVnet, notFoundText } from '../state/jails.js';
import { buildJailEnv, runCommand } from '../state/procs.js';
import { readState } from '../state/store.js';
import { runIfconfig, runRoute } from './ifconfig.js';

const USAGE = 'usage: jexec [-l] [-u username | -U username] jail [command ...]\n';

/** Runs `jexec argv`; the exit status is the command's, or 1 for jexec's own failures. */
export function runJexec(argv: string[], io: Io): number {
  let clean = false;
  let hostUser: string | null = null;
  let jailUser: string | null = null;
  let i = 0;
  for (; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--') {
      i += 1;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (let k = 1; k < a.length; k += 1) {
      const c = a[k] as string;
      if (c === 'l') {
        clean = true;
        continue;
      }
      if (c === 'u' || c === 'U') {
        const v = a.slice(k + 1) || argv[++i];
        if (v === undefined) {
          io.err(`jexec: option requires an argument -- ${c}\n${USAGE}`);
          return 1;
        }
        if (c === 'u') hostUser = v;
        else jailUser = v;
        k = a.length;
        continue;
      }
      io.err(`jexec: illegal option -- ${c}\n${USAGE}`);
      return 1;
    }
  }
  const key = argv[i];
  if (key === undefined || (hostUser !== null && jailUser !== null)) {
    io.err(USAGE);
    return 1;
  }
  const state = readState();
  const jail = findJail(state, key);
  if (jail === undefined) {
    io.err(`jexec: ${notFoundText(key)}\n`);
    return 1;
  }
  let command = argv.slice(i + 1);
  let user = 'root';
  let userspec: string | undefined;
  let home = '/root';
  if (hostUser !== null || jailUser !== null) {
    const name = (hostUser ?? jailUser) as string;
    const passwd = hostUser !== null ? '/etc/passwd' : join(jail.path, 'etc/passwd');
    const entry = lookupUser(passwd, name);
    if (entry === null) {
      io.err(`jexec: ${name}: no such user\n`);
      return 1;
    }
    user = name;
    userspec = `${entry.uid}:${entry.gid}`;
    home = entry.home;
  }
  const prog = command[0];
  if (isVnet(jail) && prog !== undefined) {
    if (prog === 'ifconfig' || prog === '/sbin/ifconfig') {
      return runIfconfig(command.slice(1), io, jail.jid);
    }
    if (prog === 'route' || prog === '/sbin/route') {
      return runRoute(command.slice(1), io, jail.jid);
    }
  }
  if (command.length === 0) {
    command = ['/bin/sh', '-i'];
  }
  const env = buildJailEnv(jail.jid, clean, user, home);
  const res = runCommand({
    argv: command,
    root: jail.path,
    env,
    ...(userspec !== undefined ? { userspec } : {}),
  });
  switch (res.kind) {
    case 'exited':
      return res.status;
    case 'signaled':
      return 128 + res.signal;
    case 'timeout':
      return 1;
    case 'noexec':
      io.err(`jexec: execvp: ${command[0]}: ${res.error}\n`);
      return 1;
  }
}

function lookupUser(file: string, name: string): { uid: string; gid: string; home: string } | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 7) {
      return { uid: f[2] ?? '0', gid: f[3] ?? '0', home: f[5] ?? '/' };
    }
  }
  return null;
}
