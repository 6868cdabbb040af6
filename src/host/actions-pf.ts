// SPDX-License-Identifier: BSD-2-Clause
// pf steps on Stockade's own anchors and tables. Rules are dry-run with `pfctl -n` before they
// are loaded, so a bad rule never replaces the last good ones; anchors outside Stockade's parent
// anchor, and the main ruleset, are refused.

import { HostRefusedError } from '../errors/host-refused-error.js';
import { PfRulesInvalidError } from '../errors/pf-rules-invalid-error.js';
import { hasCode } from '../errors/stockade-error.js';
import type { HostCommandError } from '../errors/host-command-error.js';
import type { HostContext } from './context.js';
import { readPfRecords, updatePfRecords } from './pf-records.js';
import * as pfctl from './pfctl.js';

/** Replaces the anchor's rules with `rules` unless they are what it already holds. */
export async function loadAnchor(ctx: HostContext, anchor: string, rules: string[]): Promise<void> {
  assertOwnAnchor(ctx, anchor);
  const records = await readPfRecords(ctx.stateDir);
  const record = records.anchors[anchor];
  const printed = await readAnchor(ctx, anchor);
  const unchanged =
    record !== undefined &&
    printed !== undefined &&
    sameLines(record.rules, rules) &&
    sameLines(record.printed, printed);
  if (unchanged) {
    return;
  }

  const text = rules.length === 0 ? '' : `${rules.join('\n')}\n`;
  try {
    await pfctl.checkRules(ctx, anchor, text);
  } catch (err) {
    if (!hasCode(err, 'HOST_COMMAND_FAILED')) {
      throw err;
    }
    const stderr = (err as HostCommandError).stderrTail;
    const where = pfctl.parsePfError(stderr);
    throw new PfRulesInvalidError(
      {
        anchor,
        line: where?.line,
        rule: where === undefined ? undefined : rules[where.line - 1],
        stderr,
      },
      { cause: err },
    );
  }
  await pfctl.loadRules(ctx, anchor, text);
  const loaded = await pfctl.showAnchor(ctx, anchor);
  await updatePfRecords(ctx.stateDir, (r) => {
    r.anchors[anchor] = { rules, printed: loaded };
  });
  ctx.logger.info({ action: 'pf.loadAnchor', anchor }, 'pf anchor loaded');
}

/** Flushes the anchor's rules and tables when it exists, and forgets its record. */
export async function flushAnchor(ctx: HostContext, anchor: string): Promise<void> {
  assertOwnAnchor(ctx, anchor);
  const listed = await pfctl.listAnchors(ctx, ctx.anchor);
  if (listed.includes(anchor)) {
    await pfctl.flushAnchor(ctx, anchor);
  }

  await updatePfRecords(ctx.stateDir, (r) => {
    delete r.anchors[anchor];
    for (const [key, table] of Object.entries(r.tables)) {
      if (table.anchor === anchor) delete r.tables[key];
    }
  });
}

/** Sets the table to exactly `addresses` in one pfctl call, unless it already holds them. */
export async function replaceTable(
  ctx: HostContext,
  anchor: string,
  table: string,
  addresses: string[],
): Promise<void> {
  assertOwnAnchor(ctx, anchor);
  const wanted = [...addresses].sort();
  const current = await pfctl.showTable(ctx, anchor, table);
  if (current === undefined || !sameLines([...current].sort(), wanted)) {
    await pfctl.replaceTable(ctx, anchor, table, wanted);
  }

  await recordTable(ctx, anchor, table, true);
}

/** Removes the table when it exists. */
export async function killTable(ctx: HostContext, anchor: string, table: string): Promise<void> {
  assertOwnAnchor(ctx, anchor);
  if ((await pfctl.showTable(ctx, anchor, table)) !== undefined) {
    await pfctl.killTable(ctx, anchor, table);
  }

  await recordTable(ctx, anchor, table, false);
}

async function recordTable(
  ctx: HostContext,
  anchor: string,
  table: string,
  present: boolean,
): Promise<void> {
  const key = `${anchor}:${table}`;
  const records = await readPfRecords(ctx.stateDir);
  if ((records.tables[key] !== undefined) === present) {
    return;
  }
  await updatePfRecords(ctx.stateDir, (r) => {
    if (present) r.tables[key] = { anchor, table };
    else delete r.tables[key];
  });
}

/** The anchor's printed rules; an anchor that was never loaded reads as empty. */
async function readAnchor(ctx: HostContext, anchor: string): Promise<string[] | undefined> {
  try {
    return await pfctl.showAnchor(ctx, anchor);
  } catch (err) {
    if (!hasCode(err, 'HOST_COMMAND_FAILED')) {
      throw err;
    }
    // NOTE: pfctl reports reading a missing anchor as an ioctl failure whose wording varies.
    ctx.logger.debug({ err }, 'pf anchor not readable');
    return undefined;
  }
}

function assertOwnAnchor(ctx: HostContext, anchor: string): void {
  const parts = anchor.split('/');
  if (
    !anchor.startsWith(`${ctx.anchor}/`) ||
    parts.some((p) => p === '' || p.startsWith('_') || p === '*')
  ) {
    throw new HostRefusedError(
      'FOREIGN_OBJECT',
      `refused to change pf anchor '${anchor}': not under '${ctx.anchor}/'`,
      {
        anchor,
      },
    );
  }
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
