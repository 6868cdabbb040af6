// SPDX-License-Identifier: BSD-2-Clause
// Adapter for pfctl(8), restricted to Stockade's anchors and their tables: the main ruleset is
// never loaded or flushed from here. Includes parsers for anchor lists, rules, tables and errors.

import type { HostCommandError } from '../errors/host-command-error.js';
import { hasCode } from '../errors/stockade-error.js';
import type { HostContext } from './context.js';

/** Parses `pfctl -s Anchors` (two leading spaces per anchor path). */
export function parseAnchors(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Parses `pfctl -s rules` or `-s nat`: one rule per non-empty line, as pfctl prints it. */
export function parseRules(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '');
}

/** Parses `pfctl -T show`: one address per line behind three spaces. */
export function parseTable(text: string): string[] {
  return parseAnchors(text);
}

/** The first `FILE:LINE: message` of a pfctl parse failure. */
export function parsePfError(stderr: string): { line: number; message: string } | undefined {
  const match = /^[^:\n]+:(\d+): (.*)$/m.exec(stderr);
  if (match === null) {
    return undefined;
  }
  return { line: Number(match[1]), message: match[2] ?? '' };
}

/** Anchors under `parent`, recursively; empty when the parent anchor does not exist. */
export async function listAnchors(ctx: HostContext, parent: string): Promise<string[]> {
  try {
    const { stdout } = await ctx.runner.run('pfctl', ['-a', parent, '-v', '-s', 'Anchors']);
    return parseAnchors(stdout);
  } catch (err) {
    if (isMissingAnchor(err)) {
      return [];
    }
    throw err;
  }
}

/** The filter rules and then the translation rules loaded in `anchor`. */
export async function showAnchor(ctx: HostContext, anchor: string): Promise<string[]> {
  const nat = await ctx.runner.run('pfctl', ['-a', anchor, '-s', 'nat']);
  const rules = await ctx.runner.run('pfctl', ['-a', anchor, '-s', 'rules']);
  return [...parseRules(nat.stdout), ...parseRules(rules.stdout)];
}

/** Parses `rules` without loading anything: `pfctl -n -a ANCHOR -f -`. */
export async function checkRules(ctx: HostContext, anchor: string, rules: string): Promise<void> {
  await ctx.runner.run('pfctl', ['-n', '-a', anchor, '-f', '-'], { stdin: rules });
}

/** Replaces the anchor's rules atomically: `pfctl -a ANCHOR -f -`. */
export async function loadRules(ctx: HostContext, anchor: string, rules: string): Promise<void> {
  await ctx.runner.run('pfctl', ['-a', anchor, '-f', '-'], { stdin: rules });
}

/** `pfctl -a ANCHOR -F all`: rules, nat and tables of that anchor only. */
export async function flushAnchor(ctx: HostContext, anchor: string): Promise<void> {
  await ctx.runner.run('pfctl', ['-a', anchor, '-F', 'all']);
}

/** Addresses of a table; empty when the table does not exist. */
export async function showTable(
  ctx: HostContext,
  anchor: string,
  table: string,
): Promise<string[] | undefined> {
  try {
    const { stdout } = await ctx.runner.run('pfctl', ['-a', anchor, '-t', table, '-T', 'show']);
    return parseTable(stdout);
  } catch (err) {
    if (hasCode(err, 'HOST_COMMAND_FAILED')) {
      // NOTE: pfctl reports a missing table or anchor as an ioctl failure whose wording varies.
      ctx.logger.debug({ err }, 'pf table not readable');
      return undefined;
    }
    throw err;
  }
}

/** One call that sets the table to exactly `addresses`, creating it if needed. */
export async function replaceTable(
  ctx: HostContext,
  anchor: string,
  table: string,
  addresses: string[],
): Promise<void> {
  await ctx.runner.run('pfctl', ['-a', anchor, '-t', table, '-T', 'replace', ...addresses]);
}

/** `pfctl -a ANCHOR -t T -T kill`. */
export async function killTable(ctx: HostContext, anchor: string, table: string): Promise<void> {
  await ctx.runner.run('pfctl', ['-a', anchor, '-t', table, '-T', 'kill']);
}

function isMissingAnchor(err: unknown): boolean {
  return (
    hasCode(err, 'HOST_COMMAND_FAILED') &&
    /Anchor '.*' not found/.test((err as HostCommandError).stderrTail)
  );
}
