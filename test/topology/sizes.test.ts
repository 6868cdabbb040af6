// SPDX-License-Identifier: BSD-2-Clause
// Size strings to the byte counts zfs get -p and rctl print.

import { describe, expect, it } from 'vitest';

import { normalizeZfsProperty, parseSize } from '../../src/topology/sizes.js';

describe('parseSize', () => {
  it('reads binary suffixes as expand_number does', () => {
    expect(parseSize('512')).toBe(512n);
    expect(parseSize('512M')).toBe(536870912n);
    expect(parseSize('1G')).toBe(1073741824n);
    expect(parseSize('1.5G')).toBe(1610612736n);
    expect(parseSize('10GiB')).toBe(10737418240n);
    expect(parseSize('128k')).toBe(131072n);
  });

  it('refuses anything else with INVALID_SIZE', () => {
    expect(() => parseSize('ten')).toThrow(
      expect.objectContaining({ code: 'INVALID_SIZE', data: { value: 'ten' } }),
    );
  });

  it('normalizes only size properties', () => {
    expect(normalizeZfsProperty('quota', 'none')).toBe('0');
    expect(normalizeZfsProperty('recordsize', '1M')).toBe('1048576');
    expect(normalizeZfsProperty('compression', 'lz4')).toBe('lz4');
  });
});
