// SPDX-License-Identifier: BSD-2-Clause
// Renders a plan for people and machines: terraform-like text for a terminal, Markdown for a
// pull-request comment (destructive changes first, then a table per resource kind) and JSON.
// Pure: returns strings; the caller decides where they go.

import type { ChangeReason, Plan, PlanChange, ResourceKind } from './types.js';

/** Output formats of `stockade plan`. */
export type PlanFormat = 'text' | 'markdown' | 'json';

/** Most rows a Markdown table shows before the rest is counted, to stay under forge limits. */
export const MARKDOWN_MAX_ROWS = 200;

/** Resource kinds in the order plans show them. */
const KIND_ORDER: ResourceKind[] = [
  'jail',
  'volume',
  'image',
  'network',
  'pf',
  'dataset',
  'limits',
];

const KIND_TITLES: Record<ResourceKind, string> = {
  jail: 'Jails',
  volume: 'Volumes',
  image: 'Images',
  network: 'Networks',
  pf: 'Packet filter',
  dataset: 'Datasets',
  limits: 'Limits',
};

/** Renders `plan` in `format`; every format ends with a newline. */
export function renderPlan(plan: Plan, format: PlanFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(plan, null, 2)}\n`;
    case 'markdown':
      return renderMarkdown(plan);
    default:
      return renderText(plan);
  }
}

/** The summary line, e.g. `Plan: 2 to create, 1 to change, 0 to destroy, 1 to replace.` */
export function summaryLine(plan: Plan): string {
  const { create, change, destroy, replace } = plan.summary;
  return `Plan: ${create} to create, ${change} to change, ${destroy} to destroy, ${replace} to replace.`;
}

/** One reason in words, e.g. `rctl changed: memoryuse:deny=1 -> memoryuse:deny=2`. */
export function describeReason(reason: ChangeReason): string {
  switch (reason.kind) {
    case 'new':
      return 'new in the repository';
    case 'removed':
      return 'removed from the repository';
    case 'drift':
      return `drift: ${reason.detail}`;
    case 'changed':
      return `${reason.field} changed: ${formatValue(reason.from)} -> ${formatValue(reason.to)}`;
  }
}

function renderText(plan: Plan): string {
  if (plan.changes.length === 0)
    return withWarnings(['No changes. The host already matches.'], plan).join('\n') + '\n';

  const lines = ['Stockade will perform the following actions:', ''];
  for (const change of sortChanges(plan.changes)) {
    lines.push(`  ${change.symbol.padEnd(3)} ${change.resource} ${change.name}`);
    for (const reason of change.reasons) lines.push(`        ${describeReason(reason)}`);
  }
  lines.push('', summaryLine(plan));
  return withWarnings(lines, plan).join('\n') + '\n';
}

function withWarnings(lines: string[], plan: Plan): string[] {
  if (plan.warnings.length === 0) return lines;
  return [...lines, '', 'Warnings:', ...plan.warnings.map((w) => `  - ${w}`)];
}

function renderMarkdown(plan: Plan): string {
  const lines = ['### Stockade plan', ''];
  if (plan.changes.length === 0) {
    lines.push('No changes. The host already matches this commit.');
  } else {
    lines.push(`**${summaryLine(plan)}**`);
  }

  const destructive = sortChanges(
    plan.changes.filter((c) => c.symbol === '-' || c.symbol === '-/+'),
  );
  if (destructive.length > 0) {
    lines.push('', '> [!WARNING]', `> **${destructive.length} destructive change(s):**`);
    for (const change of destructive.slice(0, MARKDOWN_MAX_ROWS)) {
      const why = change.reasons.map(describeReason).map(escapeMarkdown).join('; ');
      lines.push(`> - \`${change.symbol}\` ${change.resource} ${code(change.name)}: ${why}`);
    }
    if (destructive.length > MARKDOWN_MAX_ROWS) {
      lines.push(`> - ... and ${destructive.length - MARKDOWN_MAX_ROWS} more`);
    }
  }

  for (const kind of KIND_ORDER) {
    const rows = sortChanges(plan.changes.filter((c) => c.resource === kind));
    if (rows.length === 0) continue;

    lines.push('', `#### ${KIND_TITLES[kind]}`, '', '| | Name | Why |', '|---|---|---|');
    for (const change of rows.slice(0, MARKDOWN_MAX_ROWS)) {
      const why = change.reasons.map(describeReason).map(escapeMarkdown).join('<br>');
      lines.push(`| \`${change.symbol}\` | ${code(change.name)} | ${why} |`);
    }
    if (rows.length > MARKDOWN_MAX_ROWS)
      lines.push(`| | ... | and ${rows.length - MARKDOWN_MAX_ROWS} more |`);
  }

  if (plan.warnings.length > 0) {
    lines.push('', '#### Warnings', '', ...plan.warnings.map((w) => `- ${escapeMarkdown(w)}`));
  }
  return `${lines.join('\n')}\n`;
}

function sortChanges(changes: PlanChange[]): PlanChange[] {
  const rank = (c: PlanChange): number => KIND_ORDER.indexOf(c.resource);
  return [...changes].sort(
    (a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '(none)';
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
    return value.join(', ') || '(none)';
  if (Array.isArray(value) && value.every(isRctlRule)) {
    return value.map((r) => `${r.resource}:${r.action}=${r.amount}`).join(', ') || '(none)';
  }
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function isRctlRule(value: unknown): value is { resource: string; action: string; amount: string } {
  return typeof value === 'object' && value !== null && 'resource' in value && 'amount' in value;
}

// Reasons carry values from manifests (commands, environment), so they must not be able to
// break out of a table cell or inject HTML into the comment.
function escapeMarkdown(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()#+!|<>~]/g, (c) => `\\${c}`);
}

function code(name: string): string {
  return `\`${name.replace(/`/g, "'")}\``;
}
