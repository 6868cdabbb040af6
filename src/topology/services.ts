// SPDX-License-Identifier: BSD-2-Clause
// Services of a node: which local jails each one selects, its name entries and, when it
// publishes a port, its pf anchor and endpoint table. Pure.

import type { NodeConfig } from '../config/types.js';
import type { ServiceDoc } from '../manifest/types.js';
import { compareText, renderServiceAnchor, serviceTableName } from './pf-rules.js';
import type { Replica } from './placement.js';
import type { HostEntry, Topology } from './types.js';

/**
 * Adds the host entry of `service` and, when it publishes a port, its anchor and table, with
 * the first address of each endpoint.
 */
export function addService(
  topology: Topology,
  service: ServiceDoc,
  endpoints: Replica[],
  firstAddress: (replica: Replica) => string | undefined,
  config: NodeConfig,
): void {
  const addresses: string[] = [];
  for (const replica of endpoints) {
    const address = firstAddress(replica);
    if (address !== undefined) addresses.push(address);
  }
  addresses.sort(compareText);
  topology.hosts.push({ name: service.metadata.name, addresses } satisfies HostEntry);

  const families = [...new Set(addresses.map((a) => (a.includes(':') ? 6 : 4) as 4 | 6))].sort();
  const anchor = renderServiceAnchor(service, {
    anchor: config.pf.anchor,
    externalInterface: config.pf.externalInterface,
    families: families.length === 0 ? [4] : families,
  });
  if (anchor === undefined) return;

  const table = serviceTableName(service.metadata.name);
  topology.anchors[anchor.path] = anchor;
  topology.tables[`${anchor.path}:${table}`] = { anchor: anchor.path, name: table, addresses };
}

/** Replicas by `key=value` of each label, so selectors do not scan every jail. */
export function indexByLabel(replicas: Replica[]): Map<string, Replica[]> {
  const index = new Map<string, Replica[]>();
  for (const replica of replicas) {
    for (const [key, value] of Object.entries(replica.doc.metadata.labels ?? {})) {
      const list = index.get(`${key}=${value}`) ?? [];
      list.push(replica);
      index.set(`${key}=${value}`, list);
    }
  }
  return index;
}

/** The replicas whose labels hold every entry of `selector`. */
export function selectReplicas(
  index: Map<string, Replica[]>,
  all: Replica[],
  selector: Record<string, string>,
): Replica[] {
  const entries = Object.entries(selector);
  const [first, ...rest] = entries;
  if (first === undefined) return all;

  const candidates = index.get(`${first[0]}=${first[1]}`) ?? [];
  return candidates.filter((r) => rest.every(([k, v]) => r.doc.metadata.labels?.[k] === v));
}
