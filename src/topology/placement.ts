// SPDX-License-Identifier: BSD-2-Clause
// Which node runs which jail. Without Node documents a jail runs wherever its nodeSelector
// matches the node's labels. With them, every node computes the same assignment from the commit
// alone: rendezvous hashing of the jail name over the matching nodes, respecting capacity. Pure.

import type { JailDoc, NodeDoc } from '../manifest/types.js';
import { hashBigInt } from './hash.js';

/** A jail replica to place: its expanded name and the manifest it came from. */
export interface Replica {
  name: string;
  doc: JailDoc;
  index: number;
}

/**
 * Names of the replicas that run on node `nodeName`. `replicas` must be sorted by name: capacity
 * is filled in that order, so the answer is the same on every node.
 */
export function placeReplicas(
  replicas: Replica[],
  nodes: NodeDoc[],
  node: { name: string; labels: Record<string, string> },
): Set<string> {
  const here = new Set<string>();
  if (nodes.length === 0) {
    for (const replica of replicas) {
      if (matchesSelector(replica.doc.spec.nodeSelector, node.labels)) here.add(replica.name);
    }
    return here;
  }

  const remaining = new Map(
    nodes.map((n) => [n.metadata.name, n.spec.capacity?.jails ?? Infinity]),
  );
  for (const replica of replicas) {
    const winner = chooseNode(replica.name, replica.doc.spec.nodeSelector, nodes, remaining);
    if (winner === undefined) continue;

    remaining.set(winner, (remaining.get(winner) ?? 0) - 1);
    if (winner === node.name) here.add(replica.name);
  }
  return here;
}

/** True when every selector label is present with the same value. */
export function matchesSelector(
  selector: Record<string, string> | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined) return true;
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

function chooseNode(
  jail: string,
  selector: Record<string, string> | undefined,
  nodes: NodeDoc[],
  remaining: Map<string, number>,
): string | undefined {
  let best: string | undefined;
  let bestScore = BigInt(-1);
  for (const candidate of nodes) {
    const name = candidate.metadata.name;
    if (!matchesSelector(selector, candidate.metadata.labels)) continue;
    if ((remaining.get(name) ?? 0) <= 0) continue;

    const score = hashBigInt(`${jail}\u0000${name}`);
    if (score > bestScore || (score === bestScore && best !== undefined && name < best)) {
      best = name;
      bestScore = score;
    }
  }
  return best;
}
