// SPDX-License-Identifier: BSD-2-Clause
// Records kept in ZFS user properties: split under the 8192-byte value limit, read back whole,
// and never mixed with chunks left over from a longer earlier record.

import { describe, expect, it } from 'vitest';

import { decodeRecord, encodeRecord, isDriverMark } from '../../src/host/marks.js';

describe('encodeRecord and decodeRecord', () => {
  it('round-trips a small record in one property, escaping non-ASCII', () => {
    const marks = encodeRecord('stockade:jail', { name: 'web', motd: 'grüße' });

    expect(Object.keys(marks)).toEqual(['stockade:jail']);
    expect(marks['stockade:jail']).toBe('1|{"name":"web","motd":"gr\\u00fc\\u00dfe"}');
    expect(decodeRecord(marks, 'stockade:jail')).toEqual({ name: 'web', motd: 'grüße' });
  });

  it('splits a large record into chunks below 8192 bytes', () => {
    const value = { blob: 'x'.repeat(20000) };

    const marks = encodeRecord('stockade:jail', value);

    expect(Object.keys(marks)).toEqual(['stockade:jail', 'stockade:jail.1', 'stockade:jail.2']);
    expect(Object.values(marks).every((v) => Buffer.byteLength(v) <= 8192)).toBe(true);
    expect(decodeRecord(marks, 'stockade:jail')).toEqual(value);
  });

  it('ignores chunks a longer earlier record left behind', () => {
    const old = encodeRecord('stockade:jail', { blob: 'x'.repeat(20000) });
    const marks = { ...old, ...encodeRecord('stockade:jail', { short: true }) };

    expect(decodeRecord(marks, 'stockade:jail')).toEqual({ short: true });
  });

  it('reads an absent, unset (-) or truncated record as undefined', () => {
    const two = encodeRecord('stockade:jail', { blob: 'y'.repeat(9000) });

    expect(decodeRecord({}, 'stockade:jail')).toBeUndefined();
    expect(decodeRecord({ 'stockade:jail': '-' }, 'stockade:jail')).toBeUndefined();
    expect(
      decodeRecord({ 'stockade:jail': two['stockade:jail'] ?? '' }, 'stockade:jail'),
    ).toBeUndefined();
  });

  it('refuses a record too large for the chunks it may use', () => {
    expect(() => encodeRecord('stockade:jail', { blob: 'z'.repeat(70000) })).toThrow(/above 64000/);
  });

  it('tells driver marks from marks the planner sets', () => {
    expect(
      ['stockade:jail', 'stockade:jail.3', 'stockade:jid', 'stockade:build', 'stockade:role'].every(
        isDriverMark,
      ),
    ).toBe(true);
    expect(
      ['stockade:managed', 'stockade:spec', 'stockade:image', 'stockade:reclaim'].some(
        isDriverMark,
      ),
    ).toBe(false);
  });
});
