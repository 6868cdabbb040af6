// SPDX-License-Identifier: BSD-2-Clause
// Minimal IPv4/IPv6 prefix arithmetic for address allocation. Kept private to the topology
// compiler: addresses are numbers (bigint) here and text everywhere else. Pure.

import { TopologyError } from '../errors/topology-error.js';

/** A parsed prefix: family, network number, prefix length. */
export interface Prefix {
  family: 4 | 6;
  network: bigint;
  length: number;
  /** Text as written, e.g. 10.77.1.0/24. */
  text: string;
}

/** Parses `a.b.c.d/n` or `x:y::/n`; the host bits are cleared. Throws INVALID_ADDRESS. */
export function parsePrefix(text: string): Prefix {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const { family, value } = parseAddress(addressText);
  const bits = family === 4 ? 32 : 128;
  const length = slash < 0 ? bits : Number(text.slice(slash + 1));
  if (!Number.isInteger(length) || length < 0 || length > bits) {
    throw new TopologyError('INVALID_ADDRESS', `invalid prefix '${text}'`, { value: text });
  }

  const hostMask = (BigInt(1) << BigInt(bits - length)) - BigInt(1);
  return { family, network: value & ~hostMask, length, text };
}

/** Parses an IPv4 or IPv6 address without prefix. Throws INVALID_ADDRESS. */
export function parseAddress(text: string): { family: 4 | 6; value: bigint } {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };

  const v6 = parseIpv6(text);
  if (v6 !== undefined) return { family: 6, value: v6 };

  throw new TopologyError('INVALID_ADDRESS', `invalid address '${text}'`, { value: text });
}

/** Number of usable host addresses: IPv4 drops network and broadcast, IPv6 the anycast zero. */
export function countHosts(prefix: Prefix): bigint {
  const bits = prefix.family === 4 ? 32 : 128;
  const size = BigInt(1) << BigInt(bits - prefix.length);
  if (prefix.family === 4 && prefix.length >= 31) return size;
  if (prefix.family === 4) return size - BigInt(2);
  return size - BigInt(1);
}

/** The address of host `index` (from 0): the first host follows the network address. */
export function hostAt(prefix: Prefix, index: bigint): bigint {
  const offset = prefix.family === 4 && prefix.length >= 31 ? BigInt(0) : BigInt(1);
  return prefix.network + offset + index;
}

/** Host index of `value` inside `prefix`, or undefined when it is not a usable host there. */
export function indexOfHost(prefix: Prefix, value: bigint): bigint | undefined {
  const offset = prefix.family === 4 && prefix.length >= 31 ? BigInt(0) : BigInt(1);
  const index = value - prefix.network - offset;
  if (index < BigInt(0) || index >= countHosts(prefix)) return undefined;
  return index;
}

/** Text of an address number in its family's canonical short form. */
export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }

  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & BigInt(0xffff)));
  return compressIpv6(groups);
}

/** Address text without its prefix length: `10.0.0.2/24` gives `10.0.0.2`. */
export function stripPrefix(address: string): string {
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(0, slash);
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;

  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return BigInt(value);
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split('::').length > 2) return undefined;

  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;

  const fill = Array<string>(tail === undefined ? 0 : missing).fill('0');
  const groups = [...headGroups, ...fill, ...tailGroups];
  let value = BigInt(0);
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << BigInt(16)) | BigInt(parseInt(group, 16));
  }
  return value;
}

function compressIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i > 1) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }

  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
