// SPDX-License-Identifier: BSD-2-Clause
// Short, stable content hashes for names and change detection. Pure: the same input gives the
// same hex on every node and every release, because names derived from it live on hosts.

import { createHash } from 'node:crypto';

/** Hex SHA-256 of `input`, cut to `length` characters. */
export function hashHex(input: string | Uint8Array, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/**
 * A fast 64-bit FNV-1a hash of `input` as 16 hex digits, for change detection where the input
 * is not adversarial and SHA-256 would cost more than everything else in a compile. Two 32-bit
 * lanes with different offset bases stand in for one 64-bit state.
 */
export function fastHash(input: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x01000193) ^ (a >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

/** An unsigned 64-bit number from SHA-256 of `input`, for slot and rendezvous hashing. */
export function hashBigInt(input: string): bigint {
  return createHash('sha256').update(input).digest().readBigUInt64BE(0);
}

/** Most entries a memo keeps before it starts over, so a long-running daemon stays bounded. */
const MEMO_LIMIT = 50_000;

/**
 * `fn` with its results remembered by input. Only for pure functions of a string: names and
 * slots derived from hashes are asked for again on every compile of an unchanged repository.
 */
export function memoize<T>(fn: (input: string) => T): (input: string) => T {
  const memo = new Map<string, T>();
  return (input) => {
    const known = memo.get(input);
    if (known !== undefined) return known;

    if (memo.size >= MEMO_LIMIT) memo.clear();
    const value = fn(input);
    memo.set(input, value);
    return value;
  };
}

/** A JSON encoding with object keys sorted, so equal values always hash the same. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (Array.isArray(value)) return `[${value.map((v) => stableStringify(v)).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
