// SPDX-License-Identifier: BSD-2-Clause
// Size strings from manifests (512M, 10G, 1.5T) turned into the plain byte counts that
// `zfs get -p` and `rctl` print, so desired and observed values compare as strings.

import { TopologyError } from '../errors/topology-error.js';

const UNITS: Record<string, number> = { '': 0, B: 0, K: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/** ZFS properties whose values are sizes and print as bytes with `zfs get -p`. */
export const SIZE_PROPERTIES = new Set([
  'quota',
  'refquota',
  'reservation',
  'refreservation',
  'recordsize',
  'volblocksize',
  'special_small_blocks',
]);

/**
 * Bytes of a size with an optional binary suffix (K, M, G, T, P, E, optionally followed by B or
 * iB), as expand_number(3) and zfs read them. Throws INVALID_SIZE for anything else.
 */
export function parseSize(text: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?\s*([KMGTPE]?)(?:i?B)?$/i.exec(text.trim());
  if (match === null) {
    throw new TopologyError('INVALID_SIZE', `invalid size '${text}'`, { value: text });
  }

  const [, whole = '0', fraction = '', unit = ''] = match;
  const power = BigInt(1024) ** BigInt(UNITS[unit.toUpperCase()] ?? 0);
  const scale = BigInt(10) ** BigInt(fraction.length);
  return (BigInt(`${whole}${fraction}`) * power) / scale;
}

/** A ZFS property value as `zfs get -p` prints it: sizes in bytes, `none` quota as 0. */
export function normalizeZfsProperty(name: string, value: string): string {
  if (!SIZE_PROPERTIES.has(name)) return value;
  if (value === 'none') return '0';
  return parseSize(value).toString();
}
