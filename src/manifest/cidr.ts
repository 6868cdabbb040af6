// SPDX-License-Identifier: BSD-2-Clause
// IPv4 and IPv6 addresses and prefixes as typed values: parse, contain, overlap, count and
// enumerate host addresses. Pure; addresses are BigInt so IPv6 needs no special path.

/** An address family. */
export type Family = 4 | 6;

/** One parsed address. */
export interface IpAddress {
  family: Family;
  /** The address as an unsigned integer of 32 or 128 bits. */
  value: bigint;
}

/** One parsed prefix: the network address with its host bits zero, and the prefix length. */
export interface Cidr {
  family: Family;
  network: bigint;
  prefix: number;
  /** True when the text had host bits set (10.0.0.5/24); `network` is masked anyway. */
  hostBitsSet: boolean;
}

/**
 * Parses `a.b.c.d` or an IPv6 address in any RFC 4291 text form (with `::` and an optional
 * trailing dotted quad). Returns undefined for anything else, including zone ids (`%em0`),
 * leading zeros in IPv4 octets and surrounding whitespace.
 */
export function parseAddress(text: string): IpAddress | undefined {
  if (text.length > 45) {
    return undefined;
  }

  if (text.includes(':')) {
    const value = parseV6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/** Parses `address/prefix`; the prefix is required. Returns undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || !/^[0-9]{1,3}$/.test(text.slice(slash + 1))) {
    return undefined;
  }

  const address = parseAddress(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  if (address === undefined || prefix > bitsOf(address.family)) {
    return undefined;
  }
  const network = address.value & maskOf(address.family, prefix);
  return { family: address.family, network, prefix, hostBitsSet: network !== address.value };
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lowercase, longest `::`). */
export function formatAddress(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  }
  return formatV6(address.value);
}

/** Canonical text of a prefix, e.g. `10.77.1.0/24` or `fd00:77:1::/64`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress({ family: cidr.family, value: cidr.network })}/${cidr.prefix}`;
}

/** True when `address` (text or parsed) lies inside `cidr`, network and broadcast included. */
export function cidrContains(cidr: Cidr, address: IpAddress | string): boolean {
  const a = typeof address === 'string' ? parseAddress(address) : address;
  if (a === undefined || a.family !== cidr.family) {
    return false;
  }
  return (a.value & maskOf(cidr.family, cidr.prefix)) === cidr.network;
}

/** True when the two prefixes share at least one address. Different families never overlap. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) {
    return false;
  }
  const shorter = Math.min(a.prefix, b.prefix);
  const mask = maskOf(a.family, shorter);
  return (a.network & mask) === (b.network & mask);
}

/**
 * How many addresses a jail could hold in `cidr`. IPv4 leaves out the network and broadcast
 * addresses (a /31 or /32 holds none); IPv6 leaves out the subnet-router anycast address (the
 * network address itself). The gateway is not subtracted: it is a host address like any other.
 */
export function hostCount(cidr: Cidr): bigint {
  const size = 1n << BigInt(bitsOf(cidr.family) - cidr.prefix);
  if (cidr.family === 4) {
    return size > 2n ? size - 2n : 0n;
  }
  return size > 1n ? size - 1n : 0n;
}

/** The `index`-th host address of `cidr`, from 0 (the network address plus one). */
export function nthHost(cidr: Cidr, index: bigint | number): IpAddress {
  const n = BigInt(index);
  if (n < 0n || n >= hostCount(cidr)) {
    throw new RangeError(`host index ${n} is outside ${formatCidr(cidr)}`);
  }
  return { family: cidr.family, value: cidr.network + 1n + n };
}

/**
 * The inverse of nthHost: the index of `address` among the host addresses of `cidr`, or
 * undefined when it is outside the prefix or is its network or broadcast address.
 */
export function addressIndex(cidr: Cidr, address: IpAddress | string): bigint | undefined {
  const a = typeof address === 'string' ? parseAddress(address) : address;
  if (a === undefined || !cidrContains(cidr, a)) {
    return undefined;
  }
  const index = a.value - cidr.network - 1n;
  return index >= 0n && index < hostCount(cidr) ? index : undefined;
}

/** The broadcast address of an IPv4 prefix; undefined for IPv6, which has none. */
export function broadcastOf(cidr: Cidr): IpAddress | undefined {
  if (cidr.family === 6) {
    return undefined;
  }
  const size = 1n << BigInt(32 - cidr.prefix);
  return { family: 4, value: cidr.network + size - 1n };
}

function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

function maskOf(family: Family, prefix: number): bigint {
  const bits = BigInt(bitsOf(family));
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefix))) & all;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) {
    return undefined;
  }

  let value = 0n;
  for (const part of parts) {
    // A leading zero is refused: some tools read 010 as octal, others as decimal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) {
      return undefined;
    }
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseV4(text.slice(lastColon + 1));
    if (tailV4 === undefined) {
      return undefined;
    }
    // Keep the colon so `::1.2.3.4` still splits into an empty group before the quad.
    head = text.slice(0, lastColon + 1) + '0:0';
  }

  const halves = head.split('::');
  if (halves.length > 2) {
    return undefined;
  }
  const left = splitGroups(halves[0] ?? '');
  const right = halves.length === 2 ? splitGroups(halves[1] ?? '') : [];
  if (left === undefined || right === undefined) {
    return undefined;
  }
  const missing = 8 - left.length - right.length;
  if ((halves.length === 2 && missing < 1) || (halves.length === 1 && missing !== 0)) {
    return undefined;
  }

  const groups = [...left, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  let value = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
  if (tailV4 !== undefined) {
    value = (value & ~0xffffffffn) | tailV4;
  }
  return value;
}

function splitGroups(text: string): number[] | undefined {
  if (text === '') {
    return [];
  }

  const groups: number[] = [];
  for (const g of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
      return undefined;
    }
    groups.push(parseInt(g, 16));
  }
  return groups;
}

function formatV6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((value >> BigInt(112 - 16 * i)) & 0xffffn),
  );

  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) {
      j++;
    }
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }

  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) {
    return hex.join(':');
  }
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLength).join(':');
  return `${left}::${right}`;
}
