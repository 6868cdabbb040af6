// SPDX-License-Identifier: BSD-2-Clause
// Adapter for jail(8), jls(8) and jexec(8): typed operations and the parser of jls's libxo JSON.
// Jails are created with parameters as separate argv entries; no jail.conf is ever generated.

import { hasCode } from '../errors/stockade-error.js';
import type { HostCommandError } from '../errors/host-command-error.js';
import type { HostContext } from './context.js';
import type { RunOptions, RunResult } from './exec.js';

/** One jail as `jls --libxo json -n` reports it. */
export interface JlsJail {
  jid: number;
  name: string;
  path: string;
  hostname: string;
  vnet: boolean;
  dying: boolean;
}

/** The parameters observe asks jls for, in order. */
export const JLS_PARAMS = ['jid', 'name', 'path', 'host.hostname', 'vnet', 'dying'];

/**
 * Parses `jls --libxo json -n ...` output (values are strings except booleans). Also accepts the
 * default layout, where jid is a number and the hostname field is `hostname`.
 */
export function parseJlsJson(text: string): JlsJail[] {
  const doc = JSON.parse(text) as { 'jail-information'?: { jail?: Record<string, unknown>[] } };
  const rows = doc['jail-information']?.jail ?? [];
  return rows.map((row) => ({
    jid: Number(row['jid']),
    name: String(row['name'] ?? row['jid'] ?? ''),
    path: String(row['path'] ?? ''),
    hostname: String(row['host.hostname'] ?? row['hostname'] ?? ''),
    vnet: isVnet(row['vnet']),
    dying: row['dying'] === true || row['dying'] === 'true' || row['state'] === 'DYING',
  }));
}

function isVnet(value: unknown): boolean {
  // jailsys parameters print new/inherit; some builds print the numeric jailsys value.
  return value === 'new' || value === true || value === 1 || value === '1';
}

/** Every jail on the host, dying ones included, in one command. */
export async function listJails(ctx: HostContext): Promise<JlsJail[]> {
  const { stdout } = await ctx.runner.run('jls', ['--libxo', 'json', '-d', '-n', ...JLS_PARAMS]);
  return parseJlsJson(stdout);
}

/** The JID of the running jail `name`, or undefined when no such jail is running. */
export async function getJid(ctx: HostContext, name: string): Promise<number | undefined> {
  try {
    const { stdout } = await ctx.runner.run('jls', ['-j', name, 'jid']);
    const jid = Number(stdout.trim());
    return Number.isInteger(jid) ? jid : undefined;
  } catch (err) {
    if (isNotFound(err)) {
      return undefined;
    }
    throw err;
  }
}

/** Whether a jail named `name` still exists in the dying state. */
export async function isDying(ctx: HostContext, name: string): Promise<boolean> {
  try {
    const { stdout } = await ctx.runner.run('jls', [
      '--libxo',
      'json',
      '-d',
      '-j',
      name,
      '-n',
      'jid',
      'dying',
    ]);
    return parseJlsJson(stdout).some((jail) => jail.dying);
  } catch (err) {
    if (isNotFound(err)) {
      return false;
    }
    throw err;
  }
}

/** `jail -q -c name=... <params...>`: params are name=value strings or bare booleans. */
export async function createJail(ctx: HostContext, params: string[]): Promise<void> {
  await ctx.runner.run('jail', ['-q', '-c', ...params]);
}

/** `jail -q -r NAME`: stops every process of the jail and removes it. */
export async function removeJail(ctx: HostContext, name: string): Promise<void> {
  await ctx.runner.run('jail', ['-q', '-r', name]);
}

/** Runs argv inside the jail; its exit status is returned, not thrown, when listed in ok. */
export function jexec(
  ctx: HostContext,
  name: string,
  argv: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return ctx.runner.run('jexec', [name, ...argv], options);
}

/** True for jls/jail/jexec's `jail "X" not found` error. */
export function isNotFound(err: unknown): boolean {
  return (
    hasCode(err, 'HOST_COMMAND_FAILED') && /not found/.test((err as HostCommandError).stderrTail)
  );
}
