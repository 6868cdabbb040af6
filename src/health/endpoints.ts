// SPDX-License-Identifier: BSD-2-Clause
// Services follow health: the pf tables behind published services and the service names in
// /etc/hosts list only endpoints whose jail is healthy. Only `pf.replaceTable` steps come out of
// here, never an anchor load, so an endpoint change never reloads a ruleset. Pure.

import type { PlanStep } from '../plan/types.js';
import type { HostEntry, TableNode, Topology } from '../topology/types.js';
import type { HealthStatus } from './tracker.js';

/** A service whose endpoints are all out. */
export interface UnavailableService {
  service: string;
  /** Endpoints the topology gives it, none of them healthy. */
  endpoints: number;
}

/** Tables and names as health allows them, and the steps that bring the tables there. */
export interface EndpointResult {
  /** Only `pf.replaceTable` steps, one per table whose content must change. */
  steps: PlanStep[];
  /** Every table of the topology with only healthy endpoints, keyed like Topology.tables. */
  tables: Record<string, TableNode>;
  /** Service names with only healthy endpoints, in the topology's order. */
  hosts: HostEntry[];
  unavailable: UnavailableService[];
}

/**
 * Filters every table and host entry of `desired` down to healthy endpoints. An address is taken
 * out when the jail holding it is `unhealthy` or still `starting`; an address with no health
 * entry (no check, or not a jail address) stays in. A step is returned for each table whose
 * filtered content differs from `current` (keyed like Topology.tables; a missing key means the
 * content is unknown, so the table is written).
 */
export function computeEndpoints(input: {
  desired: Topology;
  health: Readonly<Record<string, HealthStatus>>;
  current: Readonly<Record<string, readonly string[]>>;
}): EndpointResult {
  const { desired, health, current } = input;
  const owners = addressOwners(desired);
  const isIn = (address: string): boolean => {
    const jail = owners.get(address);
    const status = jail === undefined ? undefined : health[jail];
    return status === undefined || status === 'healthy';
  };

  const tables: Record<string, TableNode> = {};
  const steps: PlanStep[] = [];
  for (const key of Object.keys(desired.tables).sort()) {
    const table = desired.tables[key] as TableNode;
    const addresses = table.addresses.filter(isIn).sort();
    tables[key] = { ...table, addresses };

    const before = current[key];
    if (before !== undefined && sameSet(before, addresses)) continue;

    steps.push(replaceStep(key, table, before, addresses));
  }

  const hosts = desired.hosts.map((entry) => ({
    ...entry,
    addresses: entry.addresses.filter(isIn),
  }));
  const unavailable = desired.hosts
    .filter((entry, i) => hosts[i]?.addresses.length === 0)
    .map((entry) => ({ service: entry.name, endpoints: entry.addresses.length }));
  return { steps, tables, hosts, unavailable };
}

/** Maps each jail address (without prefix length) to its jail. */
function addressOwners(topology: Topology): Map<string, string> {
  const owners = new Map<string, string>();
  for (const jail of Object.values(topology.jails)) {
    for (const iface of jail.interfaces) {
      owners.set(iface.address.split('/')[0] as string, jail.name);
    }
  }
  return owners;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((value, i) => value === b[i]);
}

function replaceStep(
  key: string,
  table: TableNode,
  before: readonly string[] | undefined,
  addresses: string[],
): PlanStep {
  return {
    id: `pf.replaceTable:${key}`,
    action: { type: 'pf.replaceTable', anchor: table.anchor, table: table.name, addresses },
    target: key,
    resource: 'pf',
    symbol: '~',
    reason: {
      kind: 'changed',
      field: 'addresses',
      from: before === undefined ? null : [...before].sort(),
      to: addresses,
    },
    dependsOn: [],
    wave: 0,
    destructive: false,
  };
}
