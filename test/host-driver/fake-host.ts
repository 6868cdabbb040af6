// SPDX-License-Identifier: BSD-2-Clause
// A fake host for driver tests: every command is recorded as `tool arg...` (tool by basename)
// and answered from a table of replies keyed by that exact line. Unlisted commands succeed
// with no output, so a test lists only what the host would print or refuse.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { silentLogger } from '../../src/log/logger.js';
import type { HostContext } from '../../src/host/context.js';
import { createRunner, type SpawnFn } from '../../src/host/exec.js';

export interface Reply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
}

/** A reply list is consumed in order; its last entry repeats. */
export type Replies = Record<string, Reply | Reply[]>;

export interface FakeHost {
  ctx: HostContext;
  /** Every command so far, as `tool arg...`. */
  calls: string[];
  /** stdin of each call, by index. */
  stdins: (string | undefined)[];
  /** Replaces the reply table (the host changed state) and forgets recorded calls. */
  reset(replies: Replies): void;
}

/** Makes a fake host answering from `replies`. */
export function fakeHost(replies: Replies = {}): FakeHost {
  let table = { ...replies };
  const calls: string[] = [];
  const stdins: (string | undefined)[] = [];
  const spawn: SpawnFn = async (file, args, options) => {
    const line = [basename(file), ...args].join(' ');
    calls.push(line);
    stdins.push(options.stdin);
    const entry = table[line];
    const reply = Array.isArray(entry) ? (entry.length > 1 ? entry.shift() : entry[0]) : entry;
    return {
      stdout: reply?.stdout ?? '',
      stderr: reply?.stderr ?? '',
      exitCode: reply?.exitCode ?? 0,
      signal: undefined,
      timedOut: false,
    };
  };
  const ctx: HostContext = {
    runner: createRunner({ spawn }),
    root: 'tank/stockade',
    stateDir: mkdtempSync(join(tmpdir(), 'stockade-host-')),
    anchor: 'stockade',
    releases: { '14.2-RELEASE': '/usr/freebsd-dist/base.txz' },
    logger: silentLogger,
    pollDelayMs: 0,
  };
  return {
    ctx,
    calls,
    stdins,
    reset(next: Replies) {
      table = { ...next };
      calls.length = 0;
      stdins.length = 0;
    },
  };
}

/** `cannot open 'X': dataset does not exist`, exit 1. */
export function noDataset(name: string): Reply {
  return { stderr: `cannot open '${name}': dataset does not exist\n`, exitCode: 1 };
}

/** `jls: jail "X" not found`, exit 1. */
export function noJail(name: string): Reply {
  return { stderr: `jls: jail "${name}" not found\n`, exitCode: 1 };
}

/** `ifconfig: interface X does not exist`, exit 1. */
export function noInterface(name: string): Reply {
  return { stderr: `ifconfig: interface ${name} does not exist\n`, exitCode: 1 };
}

/** The libxo JSON document jls prints for `jails` (values as strings, booleans as booleans). */
export function jlsJson(
  jails: {
    jid: number;
    name: string;
    path: string;
    hostname?: string;
    vnet?: boolean;
    dying?: boolean;
  }[],
): string {
  const rows = jails.map(
    (j) =>
      `{"jid":"${j.jid}","name":"${j.name}","path":"${j.path}","host.hostname":"${j.hostname ?? j.name}","vnet":"${j.vnet === true ? 'new' : 'inherit'}","dying":${j.dying === true}}`,
  );
  return `{"__version": "2", "jail-information": {"jail": [${rows.join(', ')}]}}\n`;
}

/** Lines of `zfs get -H -p -o name,property,value,source`. */
export function zfsGet(rows: [string, string, string, string][]): string {
  return rows.map((r) => `${r.join('\t')}\n`).join('');
}
