// SPDX-License-Identifier: BSD-2-Clause
// Adapter for zfs(8) in the portable subset that both OpenZFS 2.2 and zfs-fuse accept: no
// `list -p`, no holds, no rename; numbers are read with `get -H -p`, one property per `set`.

import { HostCommandError } from '../errors/host-command-error.js';
import { hasCode } from '../errors/stockade-error.js';
import type { HostContext } from './context.js';

/** One row of `zfs get -H -p -o name,property,value,source`. */
export interface ZfsProperty {
  name: string;
  property: string;
  value: string;
  source: string;
}

/** Columns observe lists. */
export const LIST_COLUMNS = ['name', 'origin', 'mountpoint'] as const;

/** Parses `zfs list -H -o <columns>`: one TAB-separated row per line, `-` for not applicable. */
export function parseZfsList(text: string, columns: readonly string[]): Record<string, string>[] {
  return lines(text).map((line) => {
    const fields = line.split('\t');
    return Object.fromEntries(columns.map((column, i) => [column, fields[i] ?? '-']));
  });
}

/** Parses `zfs get -H -p -o name,property,value,source`. */
export function parseZfsGet(text: string): ZfsProperty[] {
  return lines(text).map((line) => {
    const [name = '', property = '', value = '', ...source] = line.split('\t');
    return { name, property, value, source: source.join('\t') };
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** Datasets and snapshots under `root`, or an empty list when root does not exist yet. */
export async function listTree(ctx: HostContext, root: string): Promise<Record<string, string>[]> {
  const args = ['list', '-H', '-o', LIST_COLUMNS.join(','), '-t', 'filesystem,snapshot', '-r'];
  try {
    const { stdout } = await ctx.runner.run('zfs', [...args, root]);
    return parseZfsList(stdout, LIST_COLUMNS);
  } catch (err) {
    if (isMissingDataset(err)) {
      return [];
    }
    throw err;
  }
}

/** `zfs get -H -p -o name,property,value,source [-r] props target`; empty when target is gone. */
export async function getProperties(
  ctx: HostContext,
  target: string,
  properties: string[],
  options: { recursive?: boolean } = {},
): Promise<ZfsProperty[]> {
  const args = ['get', '-H', '-p', '-o', 'name,property,value,source'];
  const recursive = options.recursive === true ? ['-r'] : [];
  try {
    const { stdout } = await ctx.runner.run('zfs', [
      ...args,
      ...recursive,
      properties.join(','),
      target,
    ]);
    return parseZfsGet(stdout);
  } catch (err) {
    if (isMissingDataset(err)) {
      return [];
    }
    throw err;
  }
}

/** Whether `name` (dataset or snapshot) exists. */
export async function exists(ctx: HostContext, name: string): Promise<boolean> {
  try {
    await ctx.runner.run('zfs', ['list', '-H', '-o', 'name', name]);
    return true;
  } catch (err) {
    if (isMissingDataset(err)) {
      return false;
    }
    throw err;
  }
}

/** `zfs create -p -o k=v ... NAME`. */
export async function create(
  ctx: HostContext,
  name: string,
  properties: Record<string, string>,
): Promise<void> {
  await withParentRace(name, () =>
    ctx.runner.run('zfs', ['create', '-p', ...optionArgs(properties), name]),
  );
}

/** `zfs clone -p -o k=v ... SNAPSHOT NAME`. */
export async function clone(
  ctx: HostContext,
  snapshot: string,
  name: string,
  properties: Record<string, string>,
): Promise<void> {
  await withParentRace(name, () =>
    ctx.runner.run('zfs', ['clone', '-p', ...optionArgs(properties), snapshot, name]),
  );
}

/**
 * Runs a `create -p` or `clone -p` again once when it lost a race on a missing parent: two
 * steps of one wave that share a new parent (jails/web-0 and jails/web-1) may both try to
 * create it, and the loser fails with "cannot create '<parent>': dataset already exists".
 */
async function withParentRace(name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!lostParentRace(err, name)) throw err;

    await run();
  }
}

function lostParentRace(err: unknown, name: string): boolean {
  if (!(err instanceof HostCommandError)) return false;

  const tail = String(err.data['stderrTail'] ?? '');
  const match = /cannot create '([^']+)': dataset already exists/.exec(tail);
  return match?.[1] !== undefined && match[1] !== name && name.startsWith(`${match[1]}/`);
}

/** `zfs snapshot [-r] NAME@SNAP...`: atomic over every name given. */
export async function snapshot(
  ctx: HostContext,
  names: string[],
  options: { recursive?: boolean } = {},
): Promise<void> {
  await ctx.runner.run('zfs', [
    'snapshot',
    ...(options.recursive === true ? ['-r'] : []),
    ...names,
  ]);
}

/** `zfs rollback -r NAME@SNAP`: later snapshots of that dataset go; clones never (no -R). */
export async function rollback(ctx: HostContext, name: string): Promise<void> {
  await ctx.runner.run('zfs', ['rollback', '-r', name]);
}

/** `zfs set k=v NAME`, one call per property (zfs-fuse takes one per call). */
export async function setProperties(
  ctx: HostContext,
  name: string,
  properties: Record<string, string>,
): Promise<void> {
  for (const [key, value] of Object.entries(properties)) {
    await ctx.runner.run('zfs', ['set', `${key}=${value}`, name]);
  }
}

/** `zfs destroy [-r] NAME`; never -R, so clones elsewhere are never taken along. */
export async function destroy(
  ctx: HostContext,
  name: string,
  options: { recursive?: boolean } = {},
): Promise<void> {
  await ctx.runner.run('zfs', ['destroy', ...(options.recursive === true ? ['-r'] : []), name]);
}

function optionArgs(properties: Record<string, string>): string[] {
  return Object.entries(properties).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

/** True for `cannot open 'X': dataset does not exist`. */
export function isMissingDataset(err: unknown): boolean {
  return (
    hasCode(err, 'HOST_COMMAND_FAILED') &&
    /dataset does not exist/.test((err as HostCommandError).stderrTail)
  );
}
