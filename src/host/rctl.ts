// SPDX-License-Identifier: BSD-2-Clause
// Adapter for rctl(8): reads rules in their exact form, adds and removes them. Removal of a
// filter that matches nothing fails on FreeBSD (ESRCH), so callers read before they remove.

import type { HostContext } from './context.js';

/** One rule as `rctl` prints it without -h. */
export interface RctlEntry {
  subject: string;
  id: string;
  resource: string;
  action: string;
  amount: string;
  /** Only when it differs from the subject. */
  per?: string;
}

/** Parses rctl's listing: `subject:id:resource:action=amount[/per]` per line. */
export function parseRctl(text: string): RctlEntry[] {
  const entries: RctlEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-z]+):(.*):([a-z]+):([a-z0-9]+)=([^/\s]+)(?:\/([a-z]+))?$/.exec(line.trim());
    if (match === null) {
      continue;
    }
    const [, subject = '', id = '', resource = '', action = '', amount = '', per] = match;
    entries.push({ subject, id, resource, action, amount, ...(per === undefined ? {} : { per }) });
  }
  return entries;
}

/** The rule text rctl takes and prints: `jail:NAME:resource:action=amount`. */
export function formatJailRule(
  jail: string,
  rule: { resource: string; action: string; amount: string },
): string {
  return `jail:${jail}:${rule.resource}:${rule.action}=${rule.amount}`;
}

/** Rules matching `filter` (all rules when omitted). */
export async function listRules(ctx: HostContext, filter?: string): Promise<RctlEntry[]> {
  const { stdout } = await ctx.runner.run('rctl', filter === undefined ? [] : [filter]);
  return parseRctl(stdout);
}

/** `rctl -a RULE...`. */
export async function addRules(ctx: HostContext, rules: string[]): Promise<void> {
  await ctx.runner.run('rctl', ['-a', ...rules]);
}

/** `rctl -r FILTER...`; each filter must match at least one rule. */
export async function removeRules(ctx: HostContext, filters: string[]): Promise<void> {
  await ctx.runner.run('rctl', ['-r', ...filters]);
}
