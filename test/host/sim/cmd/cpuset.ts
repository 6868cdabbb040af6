// SPDX-License-Identifier: BSD-2-Clause
// cpuset(1) of the simulated host, for jails only: `-l LIST -j JID` and `-g -j JID`. The JID
// goes through atoi() as in the real tool, so a jail name becomes 0 and matches no jail.

import type { Io } from '../state/io.js';
import { readState, updateState } from '../state/store.js';

const USAGE =
  'usage: cpuset [-l cpu-list] [-n policy:domain-list] [-s setid] cmd ...\n' +
  '       cpuset [-l cpu-list] [-n policy:domain-list] [-s setid] -p pid\n' +
  '       cpuset [-c] [-l cpu-list] [-n policy:domain-list] -C -p pid\n' +
  '       cpuset [-c] [-l cpu-list] [-n policy:domain-list]\n' +
  '              [-j jailid | -p pid | -t tid | -s setid | -x irq]\n' +
  '       cpuset -g [-cir]\n' +
  '              [-d domain | -j jailid | -p pid | -t tid | -s setid | -x irq]\n';
const CPU_SETSIZE = 1024;

/** Runs `cpuset argv`. */
export function runCpuset(argv: string[], io: Io): number {
  let list: string | null = null;
  let jid: string | null = null;
  let get = false;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '-g') {
      get = true;
    } else if (a === '-l' || a === '-j') {
      const v = argv[++i];
      if (v === undefined) {
        io.err(`cpuset: option requires an argument -- ${a[1]}\n${USAGE}`);
        return 1;
      }
      if (a === '-l') list = v;
      else jid = v;
    } else if (a.startsWith('-l') || a.startsWith('-j')) {
      if (a[1] === 'l') list = a.slice(2);
      else jid = a.slice(2);
    } else {
      io.err(USAGE);
      return 1;
    }
  }
  if (jid === null || (get && list !== null) || (!get && list === null)) {
    io.err(USAGE);
    return 1;
  }
  const id = atoi(jid);
  const ncpu = Number(process.env['STOCKADE_SIM_NCPU'] ?? '2');
  if (get) {
    const state = readState();
    const jail = state.jails.find((j) => j.jid === id);
    if (jail === undefined) {
      io.err('cpuset: getaffinity: No such process\n');
      return 1;
    }
    const cpus = state.cpusets[String(id)] ?? [...Array(ncpu).keys()];
    io.out(`jail ${id} mask: ${cpus.join(', ')}\n`);
    io.out(`jail ${id} domain policy: first-touch mask: 0\n`);
    return 0;
  }
  let cpus: number[];
  try {
    cpus = parseList(list as string, ncpu);
  } catch (error) {
    io.err(`cpuset: ${(error as Error).message}\n`);
    return 1;
  }
  return updateState((state) => {
    if (!state.jails.some((j) => j.jid === id)) {
      io.err('cpuset: setaffinity: No such process\n');
      return 1;
    }
    if (cpus.some((c) => c >= ncpu) || cpus.length === 0) {
      io.err('cpuset: setaffinity: Resource deadlock avoided\n');
      return 1;
    }
    state.cpusets[String(id)] = cpus;
    return 0;
  });
}

/** C atoi(): leading digits (after an optional sign), anything else is 0. */
function atoi(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number(m[1]);
}

function parseList(text: string, ncpu: number): number[] {
  if (text === 'all') return [...Array(ncpu).keys()];
  const set = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new Error(`Malformed list ${text}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`Malformed list ${text}`);
    if (hi >= CPU_SETSIZE)
      throw new Error(`List entry ${hi} exceeds maximum of ${CPU_SETSIZE - 1}`);
    for (let c = lo; c <= hi; c += 1) set.add(c);
  }
  return [...set].sort((a, b) => a - b);
}
