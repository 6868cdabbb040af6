// SPDX-License-Identifier: BSD-2-Clause
// STATUS.md on the status branch: one section per node with a summary table, its jails, its
// errors with file:line and a Mermaid diagram. Rendered from every node's JSON file, so any
// node's write regenerates the whole page. Pure.

import { renderFlowchart } from './mermaid.js';
import type { NodeStatus } from './node-status.js';

/** STATUS.md for `statuses`, sorted by node name. */
export function renderStatusMarkdown(statuses: NodeStatus[]): string {
  const nodes = [...statuses].sort((a, b) => a.node.localeCompare(b.node));
  const lines = ['# Stockade status', ''];
  if (nodes.length === 0) lines.push('No node has reported yet.', '');
  for (const [index, status] of nodes.entries()) lines.push(...renderNode(status, index), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The `renderStatus` callback of the Git source: parses nodes/*.json and renders them all. */
export function renderStatusIndex(nodeFiles: Map<string, string>): string {
  const statuses: NodeStatus[] = [];
  for (const [path, text] of nodeFiles) {
    if (!path.endsWith('.json')) continue;
    try {
      statuses.push(JSON.parse(text) as NodeStatus);
    } catch {
      // A damaged file of another node must not stop this node's status; the page omits it.
      continue;
    }
  }
  return renderStatusMarkdown(statuses);
}

function renderNode(s: NodeStatus, index: number): string[] {
  const ready = s.conditions.find((c) => c.type === 'Ready')?.status === 'True';
  const plan =
    s.plan === null
      ? '-'
      : `+${s.plan.create} ~${s.plan.change} -${s.plan.destroy} ±${s.plan.replace}`;
  const negatives = s.conditions
    .filter((c) => c.type !== 'Ready' && c.status === 'True')
    .map((c) => c.type);
  const lines = [
    `## ${cell(s.node)}`,
    '',
    '| Field | Value |',
    '| --- | --- |',
    `| Ready | ${ready ? 'yes' : 'no'} |`,
    `| Applied commit | ${s.applied === null ? '-' : `\`${s.applied.commit.slice(0, 7)}\` ${cell(s.applied.message)}`} |`,
    `| Last run | ${s.result} (${s.reason}): ${cell(s.message)} |`,
    `| Conditions | ${negatives.length === 0 ? '-' : negatives.join(', ')} |`,
    `| Pinned | ${s.pinned ? 'yes' : 'no'} |`,
    `| Plan | ${plan} |`,
    `| Rollback points | ${s.rollbackPoints.length === 0 ? '-' : s.rollbackPoints.map((p) => `\`${p}\``).join(' ')} |`,
    `| Updated | ${s.updatedAt} |`,
    '',
  ];
  if (s.jails.length > 0) {
    lines.push('| Jail | State | Health | JID | Addresses |', '| --- | --- | --- | --- | --- |');
    for (const j of s.jails) {
      const addresses = j.addresses === undefined ? '-' : j.addresses.map(cell).join(' ');
      lines.push(`| ${cell(j.name)} | ${j.state} | ${j.health} | ${j.jid ?? '-'} | ${addresses} |`);
    }
    lines.push('');
  }
  if (s.errors.length > 0) {
    lines.push('Errors:', '');
    for (const e of s.errors) lines.push(`- ${cell(errorLine(e))}`);
    lines.push('');
  }
  lines.push(...renderFlowchart(s.graph, `n${index}`));
  return lines;
}

function errorLine(e: NodeStatus['errors'][number]): string {
  const where = e.file === undefined ? '' : `${e.file}:${e.line ?? 0}:${e.column ?? 0}: `;
  const field = e.path === undefined ? '' : `${e.path}: `;
  const step = e.step === undefined ? '' : `${e.step}: `;
  const command = e.command === undefined ? '' : ` (\`${e.command.replace(/`/g, "'")}\`)`;
  return `${where}${step}${field}${e.message} [${e.code}]${command}`;
}

/** Text safe inside a Markdown table cell: no pipe, no line break, no HTML. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
