// SPDX-License-Identifier: BSD-2-Clause
// What Stockade has made on the test host, read back with the host's own tools: datasets,
// interfaces, mounts, pf anchors with their rules and tables, rctl rules, jails and the
// processes running in jail roots. Two snapshots compare equal when nothing was added, lost or
// left behind, which is how the end-to-end tests check "nothing leaked". Also the status and
// journal readers those tests share.

import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

import { isInside, processesUnder } from '../host/leftovers.js';
import { readDaemonLog, waitFor, type Stack } from '../host/stack.js';
import type { NodeStatus } from '../../src/status/node-status.js';
import type { Journal } from '../../src/run/state-store.js';

/** One jail as jls reports it. */
export interface JailSeen {
  jid: number;
  name: string;
  path: string;
}

/** One pf anchor with what it holds. */
export interface AnchorSeen {
  rules: string[];
  nat: string[];
  tables: Record<string, string[]>;
}

/** Everything Stockade-owned the test host holds, sorted so snapshots compare with toEqual. */
export interface HostSnapshot {
  /** `zfs list -r <root>`, without snapshots. */
  datasets: string[];
  /** Interfaces by name, with their description and addresses (`ifconfig -a`). */
  interfaces: Record<string, { description: string | null; inet: string[] }>;
  /** `mount -p` lines below the pool's mount root: source, mount point, type. */
  mounts: string[];
  /** Every pf anchor (`pfctl -v -sA`) with its rules, nat rules and table contents. */
  anchors: Record<string, AnchorSeen>;
  /** `rctl` rules. */
  rctl: string[];
  /** `jls -N jid name path`. */
  jails: JailSeen[];
  /** Jail root names (the folder below `jails/`) that at least one live process runs in. */
  processRoots: string[];
}

/** Reads the host's current state; `jailsDir` is where Stockade mounts jail roots. */
export async function snapshotHost(stack: Stack): Promise<HostSnapshot> {
  const tool = stack.hostTool.bind(stack);
  const root = stack.host.root;
  const mountRoot = stack.host.mountRoot;
  const jailsDir = path.join(mountRoot, 'stockade', 'jails');

  const datasets = lines(await tool('zfs', ['list', '-H', '-o', 'name', '-r', root])).sort();
  const interfaces = parseIfconfig(await tool('ifconfig', ['-a']));
  const mounts = lines(await tool('mount', ['-p']))
    .map((line) => line.split(/\s+/))
    .filter((f) => f[1] !== undefined && isInside(f[1], mountRoot))
    .map((f) => `${f[0]} ${f[1]} ${f[2]}`)
    .sort();
  const anchors: Record<string, AnchorSeen> = {};
  for (const anchor of lines(await tool('pfctl', ['-v', '-sA']))
    .map((l) => l.trim())
    .sort()) {
    anchors[anchor] = await readAnchor(stack, anchor);
  }
  const rctl = lines(await tool('rctl', [])).sort();
  const jails = lines(await tool('jls', ['-N', 'jid', 'name', 'path']))
    .map((line) => line.trim().split(/\s+/))
    .map(([jid, name, where]) => ({ jid: Number(jid), name: name ?? '', path: where ?? '' }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return {
    datasets,
    interfaces,
    mounts,
    anchors,
    rctl,
    jails,
    processRoots: await listProcessRoots(jailsDir),
  };
}

/** The snapshot without jail ids, for comparing a host whose jails were restarted. */
export function withoutJids(snapshot: HostSnapshot): Omit<HostSnapshot, 'jails'> & {
  jails: Omit<JailSeen, 'jid'>[];
} {
  return {
    ...snapshot,
    jails: snapshot.jails.map(({ name, path: where }) => ({ name, path: where })),
  };
}

/** Rollback point snapshot names (`zfs list -t snapshot`) on `<root>/jails`, sorted. */
export async function listPointSnapshots(stack: Stack): Promise<string[]> {
  const text = await stack.hostTool('zfs', [
    'list',
    '-H',
    '-t',
    'snapshot',
    '-o',
    'name',
    '-d',
    '1',
    `${stack.host.root}/jails`,
  ]);
  return lines(text).sort();
}

/** The node's status file on the status branch, parsed, or undefined before the first push. */
export async function readNodeStatus(stack: Stack): Promise<NodeStatus | undefined> {
  const text = await stack.readStatus('nodes/testhost.json');
  return text === undefined ? undefined : (JSON.parse(text) as NodeStatus);
}

/**
 * Waits until the status says the last run looked at `commit` and `accept` agrees; fails with
 * the daemon's last log lines after `timeoutMs`.
 */
export async function waitForStatus(
  stack: Stack,
  commit: string,
  accept: (status: NodeStatus) => boolean = () => true,
  timeoutMs = 120_000,
): Promise<NodeStatus> {
  try {
    return await waitFor(
      `a status for ${commit.slice(0, 7)}`,
      async () => {
        const status = await readNodeStatus(stack);
        return status !== undefined && status.observed === commit && accept(status)
          ? status
          : undefined;
      },
      timeoutMs,
      500,
    );
  } catch (err) {
    const last = await readNodeStatus(stack).catch(() => undefined);
    throw new Error(
      `${(err as Error).message}\nlast status: ${JSON.stringify(last)}\n` +
        `daemon log:\n${await readDaemonLog(stack, 30)}`,
    );
  }
}

/** The engine's journal of the run in progress, or undefined between runs. */
export async function readJournal(stack: Stack): Promise<Journal | undefined> {
  const text = await readFile(path.join(stack.host.stockadeStateDir, 'journal.json'), 'utf8').catch(
    () => undefined,
  );
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Journal;
  } catch {
    return undefined;
  }
}

async function readAnchor(stack: Stack, anchor: string): Promise<AnchorSeen> {
  const tool = stack.hostTool.bind(stack);
  const tables: Record<string, string[]> = {};
  for (const table of lines(await tool('pfctl', ['-a', anchor, '-sTables'])).map((t) => t.trim())) {
    tables[table] = lines(await tool('pfctl', ['-a', anchor, '-t', table, '-T', 'show']))
      .map((l) => l.trim())
      .sort();
  }
  return {
    rules: await readRules(stack, anchor, '-sr'),
    nat: await readRules(stack, anchor, '-sn'),
    tables,
  };
}

/** An anchor that only holds other anchors has no ruleset: pfctl refuses, shown as no rules. */
async function readRules(stack: Stack, anchor: string, flag: '-sr' | '-sn'): Promise<string[]> {
  try {
    return lines(await stack.hostTool('pfctl', ['-a', anchor, flag]));
  } catch (err) {
    if (/DIOCGETRULES: Invalid argument/.test(String((err as { stderr?: unknown }).stderr))) {
      return [];
    }
    throw err;
  }
}

function parseIfconfig(text: string): HostSnapshot['interfaces'] {
  const found: HostSnapshot['interfaces'] = {};
  let current: { description: string | null; inet: string[] } | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\S+?):\s/.exec(line);
    if (head !== null) {
      current = { description: null, inet: [] };
      found[head[1]!] = current;
      continue;
    }
    const description = /^\s+description: (.*)$/.exec(line);
    if (description !== null && current !== undefined) current.description = description[1]!;
    const inet = /^\s+(inet6?) (\S+)/.exec(line);
    if (inet !== null && current !== undefined) current.inet.push(`${inet[1]} ${inet[2]}`);
  }
  return found;
}

async function listProcessRoots(jailsDir: string): Promise<string[]> {
  const names = new Set<string>();
  for (const pid of await processesUnder(jailsDir)) {
    const where = await readlink(`/proc/${pid}/root`).catch(() => undefined);
    if (where === undefined || !isInside(where, jailsDir)) continue;
    const name = path.relative(jailsDir, where).split(path.sep)[0];
    if (name !== undefined && name !== '') names.add(name);
  }
  return [...names].sort();
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}
