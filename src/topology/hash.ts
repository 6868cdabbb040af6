// SPDX-License-Identifier: BSD-2-Clause
// Short, stable content hashes for names and change detection. Pure: the same input gives the
// same hex on every node and every release, because names derived from it live on hosts.

import { createHash } from 'node:crypto';

/** Hex SHA-256 of `input`, cut to `length` characters. */
export function hashHex(input: string | Uint8Array, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
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
