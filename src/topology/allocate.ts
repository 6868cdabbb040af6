// SPDX-License-Identifier: BSD-2-Clause
// Deterministic address allocation. Fixed addresses and gateways are reserved first, then every
// jail keeps the address the last applied topology gave it, then the rest get a hash slot with
// linear probing, in name order. The same commit and history always give the same addresses.

import type { NetworkDoc } from '../manifest/types.js';
import { TopologyError } from '../errors/topology-error.js';
import {
  countHosts,
  formatAddress,
  hostAt,
  indexOfHost,
  parseAddress,
  parsePrefix,
  stripPrefix,
  type Prefix,
} from './addresses.js';
import { hashBigInt, memoize } from './hash.js';

const slotHash = memoize(hashBigInt);
import type { Replica } from './placement.js';
import type { Topology } from './types.js';

/** What allocation decided for one network. */
export interface NetworkAddressing {
  prefix: Prefix;
  /** Gateway address without prefix length. */
  gateway: string;
  /** Jail name to address without prefix length. */
  addresses: Map<string, string>;
}

/**
 * Addresses for every replica attached to each network, keyed by network name. `replicas` must
 * be every replica of the commit (on any node), so that nodes never hand out the same address.
 */
export function allocateAddresses(
  networks: NetworkDoc[],
  replicas: Replica[],
  previous?: Topology,
  hostAddresses: string[] = [],
): Map<string, NetworkAddressing> {
  const result = new Map<string, NetworkAddressing>();
  const membersByNetwork = new Map<string, Replica[]>();
  for (const replica of replicas) {
    for (const ref of replica.doc.spec.networks ?? []) {
      const list = membersByNetwork.get(ref.name) ?? [];
      list.push(replica);
      membersByNetwork.set(ref.name, list);
    }
  }

  for (const network of networks) {
    const members = membersByNetwork.get(network.metadata.name) ?? [];
    result.set(network.metadata.name, allocateNetwork(network, members, previous, hostAddresses));
  }
  return result;
}

function allocateNetwork(
  network: NetworkDoc,
  members: Replica[],
  previous: Topology | undefined,
  hostAddresses: string[],
): NetworkAddressing {
  const name = network.metadata.name;
  const prefix = parsePrefix(network.spec.cidr);
  const count = countHosts(prefix);
  const taken = new Map<bigint, string>();
  const addresses = new Map<string, string>();

  // Addresses the host itself already uses are never handed to a jail: stopping that jail would
  // take the host's own address away.
  for (const text of hostAddresses) {
    const parsed = parseAddress(stripPrefix(text));
    if (parsed.family === prefix.family && indexOfHost(prefix, parsed.value) !== undefined) {
      taken.set(parsed.value, '(host)');
    }
  }

  // The gateway is reserved first; it defaults to the first host of the prefix.
  const gatewayValue =
    network.spec.gateway === undefined
      ? hostAt(prefix, BigInt(0))
      : requireInside(prefix, network.spec.gateway, name, 'gateway');
  taken.set(gatewayValue, '(gateway)');

  // Fixed addresses next: they win over anything allocated.
  for (const replica of members) {
    const fixed = replica.doc.spec.networks?.find((n) => n.name === name)?.address;
    if (fixed === undefined) continue;

    const value = requireInside(prefix, stripPrefix(fixed), name, replica.name);
    const holder = taken.get(value);
    if (holder !== undefined) {
      throw new TopologyError(
        'ADDRESS_CONFLICT',
        `address ${fixed} of jail '${replica.name}' ` +
          `is already used by '${holder}' on network '${name}'`,
        {
          network: name,
          address: fixed,
          jail: replica.name,
          holder,
        },
      );
    }
    taken.set(value, replica.name);
    addresses.set(replica.name, formatAddress(prefix.family, value));
  }

  // Then every jail keeps the address it had in the last applied topology.
  for (const replica of members) {
    if (addresses.has(replica.name)) continue;

    const value = previousAddress(previous, replica.name, name, prefix);
    if (value === undefined || taken.has(value)) continue;
    taken.set(value, replica.name);
    addresses.set(replica.name, formatAddress(prefix.family, value));
  }

  // The rest get their hash slot, probing forward past taken addresses.
  for (const replica of members) {
    if (addresses.has(replica.name)) continue;

    if (BigInt(taken.size) >= count) {
      throw new TopologyError(
        'ADDRESS_EXHAUSTED',
        `network '${name}' (${network.spec.cidr}) ` +
          `has no free address for jail '${replica.name}'`,
        {
          network: name,
          cidr: network.spec.cidr,
          jail: replica.name,
        },
      );
    }
    let index = slotHash(`${name}:${replica.name}`) % count;
    let value = hostAt(prefix, index);
    while (taken.has(value)) {
      index = (index + BigInt(1)) % count;
      value = hostAt(prefix, index);
    }
    taken.set(value, replica.name);
    addresses.set(replica.name, formatAddress(prefix.family, value));
  }

  return { prefix, gateway: formatAddress(prefix.family, gatewayValue), addresses };
}

function requireInside(prefix: Prefix, text: string, network: string, owner: string): bigint {
  const { family, value } = parseAddress(text);
  if (family !== prefix.family || indexOfHost(prefix, value) === undefined) {
    throw new TopologyError(
      'INVALID_ADDRESS',
      `address ${text} of '${owner}' is not a host ` +
        `address of network '${network}' (${prefix.text})`,
      { network, address: text, owner },
    );
  }
  return value;
}

function previousAddress(
  previous: Topology | undefined,
  jail: string,
  network: string,
  prefix: Prefix,
): bigint | undefined {
  const iface = previous?.jails[jail]?.interfaces.find((i) => i.network === network);
  if (iface === undefined) return undefined;

  const parsed = parseAddress(stripPrefix(iface.address));
  if (parsed.family !== prefix.family || indexOfHost(prefix, parsed.value) === undefined) {
    return undefined;
  }
  return parsed.value;
}
