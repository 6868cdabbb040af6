// SPDX-License-Identifier: BSD-2-Clause
// Address rules: each network's prefix and gateway, overlaps between networks, fixed jail
// addresses (inside the prefix, not reserved, not duplicated, not the host's own) and whether
// the replicas fit. IPv4 and IPv6 alike, through cidr.ts. Pure.

import {
  addressIndex,
  broadcastOf,
  cidrContains,
  cidrOverlaps,
  formatAddress,
  formatCidr,
  hostCount,
  nthHost,
  parseAddress,
  parseCidr,
  type Cidr,
  type IpAddress,
} from './cidr.js';
import { diagAt, ofKind, whereDefined, type CheckedDoc } from './check-context.js';
import type { Diagnostic } from './diagnostic.js';
import type { LoadOptions } from './options.js';
import type { NetworkDoc } from './types.js';

/** Shortest IPv4 and IPv6 prefixes a network may use. */
export const MIN_PREFIX = { 4: 8, 6: 16 } as const;

/** One network with its parsed prefix and gateway. */
interface NetInfo {
  entry: CheckedDoc<NetworkDoc>;
  cidr: Cidr;
  gateway: IpAddress;
}

/** Diagnostics of every address rule. */
export function checkAddresses(docs: readonly CheckedDoc[], options: LoadOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const host = (options.hostAddresses ?? [])
    .map((a) => parseAddress(a))
    .filter((a): a is IpAddress => a !== undefined);

  // Each network on its own, then overlaps between pairs.
  const nets = new Map<string, NetInfo>();
  for (const entry of ofKind(docs, 'Network')) {
    const info = checkNetwork(entry, host, out);
    if (info !== undefined && !nets.has(entry.doc.metadata.name)) {
      nets.set(entry.doc.metadata.name, info);
    }
  }
  const list = [...nets.values()];
  list.forEach((b, j) => {
    const a = list.slice(0, j).find((x) => cidrOverlaps(x.cidr, b.cidr));
    if (a !== undefined) {
      const message =
        `${formatCidr(b.cidr)} overlaps ${formatCidr(a.cidr)} of network ` +
        `'${a.entry.doc.metadata.name}' (${whereDefined(a.entry)})`;
      out.push(diagAt(b.entry, ['spec', 'cidr'], 'NETWORK_CIDR_OVERLAP', message));
    }
  });

  out.push(...checkJailAddresses(docs, nets, host));
  return out;
}

function checkNetwork(
  entry: CheckedDoc<NetworkDoc>,
  host: readonly IpAddress[],
  out: Diagnostic[],
): NetInfo | undefined {
  const spec = entry.doc.spec;
  const cidr = parseCidr(spec.cidr);
  if (cidr === undefined) {
    out.push(
      diagAt(
        entry,
        ['spec', 'cidr'],
        'CIDR_INVALID',
        `'${spec.cidr}' is not an IPv4 or IPv6 prefix`,
      ),
    );
    return undefined;
  }
  if (cidr.hostBitsSet) {
    const message = `'${spec.cidr}' has host bits set; the network is ${formatCidr(cidr)}`;
    out.push(diagAt(entry, ['spec', 'cidr'], 'CIDR_HOST_BITS', message));
  }
  if (cidr.prefix < MIN_PREFIX[cidr.family] || hostCount(cidr) < 2n) {
    const longest = cidr.family === 4 ? 30 : 126;
    const message =
      `prefix length /${cidr.prefix} is outside /${MIN_PREFIX[cidr.family]} to /${longest}; a ` +
      'network needs room for its gateway and at least one jail';
    out.push(diagAt(entry, ['spec', 'cidr'], 'CIDR_PREFIX_RANGE', message));
    return undefined;
  }

  let gateway = nthHost(cidr, 0);
  if (spec.gateway !== undefined) {
    const parsed = parseAddress(spec.gateway);
    const problem = parsed === undefined ? 'is not an address' : reservedReason(cidr, parsed);
    if (problem !== undefined) {
      const message = `gateway '${spec.gateway}' ${problem}`;
      out.push(diagAt(entry, ['spec', 'gateway'], 'NETWORK_GATEWAY_INVALID', message));
      return undefined;
    }
    gateway = parsed as IpAddress;
  }
  if (host.some((h) => h.family === gateway.family && h.value === gateway.value)) {
    const at = spec.gateway === undefined ? ['spec', 'cidr'] : ['spec', 'gateway'];
    const message =
      `gateway ${formatAddress(gateway)} is already an address of this host; taking it over ` +
      'would cut the host off when the network is removed';
    out.push(diagAt(entry, at, 'ADDRESS_HOST_OWNED', message));
  }
  return { entry, cidr, gateway };
}

// Why `a` cannot be a host address of `cidr`, or undefined when it can.
function reservedReason(cidr: Cidr, a: IpAddress): string | undefined {
  if (!cidrContains(cidr, a)) {
    return `is outside ${formatCidr(cidr)}`;
  }
  if (a.value === cidr.network) {
    return `is the network address of ${formatCidr(cidr)}`;
  }
  if (a.value === broadcastOf(cidr)?.value) {
    return `is the broadcast address of ${formatCidr(cidr)}`;
  }
  return addressIndex(cidr, a) === undefined
    ? `is not a host address of ${formatCidr(cidr)}`
    : undefined;
}

function checkJailAddresses(
  docs: readonly CheckedDoc[],
  nets: ReadonlyMap<string, NetInfo>,
  host: readonly IpAddress[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const fixed = new Map<string, string>();
  const demand = new Map<string, { fixed: number; allocated: number }>();

  for (const entry of ofKind(docs, 'Jail')) {
    const spec = entry.doc.spec;
    const replicas = spec.replicas ?? 1;
    const seen = new Map<string, number>();
    let modes = new Set<string>();

    (spec.networks ?? []).forEach((ref, i) => {
      const at = ['spec', 'networks', i];
      const net = nets.get(ref.name);
      const first = seen.get(ref.name);
      if (first !== undefined) {
        const message = `network '${ref.name}' is already attached as networks[${first}]`;
        out.push(diagAt(entry, [...at, 'name'], 'JAIL_NETWORK_DUPLICATE', message));
        return;
      }
      seen.set(ref.name, i);
      if (net === undefined) {
        return;
      }
      modes = new Set([...modes, net.entry.doc.spec.mode]);
      if (modes.size > 1) {
        const message =
          'a jail cannot join both vnet and shared networks: it either has its own network ' +
          "stack or shares the host's";
        out.push(diagAt(entry, [...at, 'name'], 'JAIL_NETWORK_MODE_MIXED', message));
      }

      const count = demand.get(ref.name) ?? { fixed: 0, allocated: 0 };
      demand.set(ref.name, count);
      if (ref.address === undefined) {
        count.allocated += replicas;
        return;
      }
      count.fixed += 1;
      const where = `${entry.doc.metadata.name} networks[${i}]`;
      out.push(
        ...checkFixedAddress(entry, [...at, 'address'], ref.address, net, host, fixed, where),
      );
      if (replicas > 1) {
        const message =
          `a fixed address needs replicas: 1 (replicas is ${replicas}); leave address out to ` +
          'have one allocated per replica';
        out.push(diagAt(entry, [...at, 'address'], 'ADDRESS_FIXED_WITH_REPLICAS', message));
      }
    });
  }

  for (const [name, count] of demand) {
    const net = nets.get(name) as NetInfo;
    const room = hostCount(net.cidr) - 1n;
    const needed = BigInt(count.fixed + count.allocated);
    if (needed > room) {
      const message =
        `${formatCidr(net.cidr)} holds ${room} jail addresses besides the gateway, but ` +
        `${count.fixed} fixed addresses and ${count.allocated} replicas need ${needed}`;
      out.push(diagAt(net.entry, ['spec', 'cidr'], 'NETWORK_FULL', message));
    }
  }
  return out;
}

function checkFixedAddress(
  entry: CheckedDoc,
  at: (string | number)[],
  text: string,
  net: NetInfo,
  host: readonly IpAddress[],
  fixed: Map<string, string>,
  where: string,
): Diagnostic[] {
  const a = parseAddress(text);
  if (a === undefined) {
    return [diagAt(entry, at, 'ADDRESS_INVALID', `'${text}' is not an IPv4 or IPv6 address`)];
  }
  if (!cidrContains(net.cidr, a)) {
    const message = `${text} is outside ${formatCidr(net.cidr)} of network '${net.entry.doc.metadata.name}'`;
    return [diagAt(entry, at, 'ADDRESS_OUTSIDE_CIDR', message)];
  }
  const reason =
    a.value === net.gateway.value
      ? `is the gateway of network '${net.entry.doc.metadata.name}'`
      : reservedReason(net.cidr, a);
  if (reason !== undefined) {
    return [diagAt(entry, at, 'ADDRESS_RESERVED', `${text} ${reason}`)];
  }
  if (host.some((h) => h.family === a.family && h.value === a.value)) {
    const message =
      `${text} is already an address of this host; a jail taking it would remove it from ` +
      'the host when it stops';
    return [diagAt(entry, at, 'ADDRESS_HOST_OWNED', message)];
  }

  const key = `${a.family}/${a.value}`;
  const owner = fixed.get(key);
  if (owner !== undefined) {
    return [diagAt(entry, at, 'ADDRESS_DUPLICATE', `${text} is already the address of ${owner}`)];
  }
  fixed.set(key, where);
  return [];
}
