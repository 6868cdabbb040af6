// SPDX-License-Identifier: BSD-2-Clause
// The Mermaid flowchart of one node's jails, networks, services and volumes, as GitHub, GitLab,
// Gitea and Forgejo render it. Node ids are generated, never taken from names; names appear
// only inside quoted labels, with every character that Mermaid or Markdown could read as syntax
// written as a Mermaid entity code. Pure.

import type { StatusGraph } from './node-status.js';

/** The lines of a fenced `mermaid` block drawing `graph`; ids are prefixed with `prefix`. */
export function renderFlowchart(graph: StatusGraph, prefix: string): string[] {
  const lines = ['```mermaid', 'flowchart LR'];
  const ids = new Map<string, string>();
  const id = (kind: string, name: string): string => {
    const key = `${kind}:${name}`;
    let value = ids.get(key);
    if (value === undefined) {
      value = `${prefix}${kind}${ids.size}`;
      ids.set(key, value);
    }
    return value;
  };

  for (const name of graph.networks)
    lines.push(`  ${id('n', name)}{{"${escapeLabel(`net ${name}`)}"}}`);
  for (const name of graph.volumes) lines.push(`  ${id('v', name)}[("${escapeLabel(name)}")]`);
  for (const jail of graph.jails)
    lines.push(`  ${id('j', jail.name)}["${escapeLabel(jail.name)}"]`);
  for (const service of graph.services)
    lines.push(`  ${id('s', service.name)}(["${escapeLabel(`svc ${service.name}`)}"])`);
  for (const jail of graph.jails) {
    for (const net of jail.networks) lines.push(`  ${id('j', jail.name)} --- ${id('n', net)}`);
    for (const vol of jail.volumes) {
      lines.push(`  ${id('j', jail.name)} ${vol.readonly ? '-.->' : '-->'} ${id('v', vol.name)}`);
    }
  }
  for (const service of graph.services) {
    for (const jail of service.jails) lines.push(`  ${id('s', service.name)} --> ${id('j', jail)}`);
  }
  if (ids.size === 0) lines.push(`  ${prefix}empty["no jails"]`);
  lines.push('```');
  return lines;
}

/** A label safe inside Mermaid double quotes: anything but [A-Za-z0-9 ._:/-] becomes #code;. */
export function escapeLabel(text: string): string {
  return [...text].map((c) => (/[A-Za-z0-9 ._:/-]/.test(c) ? c : `#${c.codePointAt(0)};`)).join('');
}
