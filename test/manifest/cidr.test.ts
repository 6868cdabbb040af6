// SPDX-License-Identifier: BSD-2-Clause
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

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
} from '../../src/manifest/cidr.js';

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (c === undefined) {
    throw new Error(`bad test prefix ${text}`);
  }
  return c;
}

describe('parseAddress', () => {
  it('parses IPv4 and IPv6 into family and value', () => {
    expect(parseAddress('10.77.1.10')).toEqual({ family: 4, value: 0x0a4d010an });
    expect(parseAddress('::1')).toEqual({ family: 6, value: 1n });
    expect(parseAddress('fd00:77:1::a')).toEqual({
      family: 6,
      value: (0xfd00n << 112n) | (0x77n << 96n) | (0x1n << 80n) | 0xan,
    });
    expect(parseAddress('::ffff:10.0.0.1')).toEqual({ family: 6, value: 0xffff0a000001n });
  });

  it.each([
    '10.0.0',
    '10.0.0.256',
    '010.0.0.1',
    '10.0.0.1 ',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    'fe80::1%em0',
    '12345::',
    '',
    '::ffff:1.2.3',
    '1:2:3:4:5:6:7::8:9',
  ])('refuses %j', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });

  it('formats IPv6 per RFC 5952', () => {
    expect(formatAddress({ family: 6, value: (0x2001n << 112n) | (0xdb8n << 96n) | 1n })).toBe(
      '2001:db8::1',
    );
    expect(formatAddress({ family: 6, value: 0n })).toBe('::');
    // A single zero group is not compressed; the first of two equal runs is.
    const v = parseAddress('1:0:2:0:0:3:0:0') as { family: 6; value: bigint };
    expect(formatAddress(v)).toBe('1:0:2::3:0:0');
  });

  it('round-trips any IPv6 value through format and parse', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
        expect(parseAddress(formatAddress({ family: 6, value }))).toEqual({ family: 6, value });
      }),
    );
  });
});

describe('parseCidr', () => {
  it('parses a prefix and flags host bits', () => {
    expect(parseCidr('10.77.1.0/24')).toEqual({
      family: 4,
      network: 0x0a4d0100n,
      prefix: 24,
      hostBitsSet: false,
    });
    expect(parseCidr('10.77.1.5/24')).toMatchObject({ network: 0x0a4d0100n, hostBitsSet: true });
    expect(formatCidr(cidr('FD00:77:1::/64'))).toBe('fd00:77:1::/64');
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/2a', '10.0.0.0/0024'])(
    'refuses %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );
});

describe('contains, overlaps, counts', () => {
  it('contains addresses of its own family only', () => {
    const c = cidr('10.77.1.0/24');
    expect(cidrContains(c, '10.77.1.0')).toBe(true);
    expect(cidrContains(c, '10.77.1.255')).toBe(true);
    expect(cidrContains(c, '10.77.2.0')).toBe(false);
    expect(cidrContains(c, '::ffff:10.77.1.1')).toBe(false);
    expect(cidrContains(cidr('fd00::/64'), 'fd00::ffff:1')).toBe(true);
    expect(cidrContains(cidr('fd00::/64'), 'fd00:0:0:1::1')).toBe(false);
  });

  it('overlaps when one prefix holds the other or they are equal', () => {
    expect(cidrOverlaps(cidr('10.0.0.0/8'), cidr('10.77.1.0/24'))).toBe(true);
    expect(cidrOverlaps(cidr('10.77.1.0/24'), cidr('10.77.1.0/24'))).toBe(true);
    expect(cidrOverlaps(cidr('10.77.1.0/24'), cidr('10.77.2.0/24'))).toBe(false);
    expect(cidrOverlaps(cidr('10.0.0.0/8'), cidr('::/0'))).toBe(false);
    expect(cidrOverlaps(cidr('fd00::/48'), cidr('fd00:0:0:7::/64'))).toBe(true);
  });

  it('counts host addresses without network and broadcast (IPv4) or anycast (IPv6)', () => {
    expect(hostCount(cidr('10.0.0.0/24'))).toBe(254n);
    expect(hostCount(cidr('10.0.0.0/30'))).toBe(2n);
    expect(hostCount(cidr('10.0.0.0/31'))).toBe(0n);
    expect(hostCount(cidr('fd00::/64'))).toBe((1n << 64n) - 1n);
    expect(hostCount(cidr('fd00::/127'))).toBe(1n);
  });

  it('enumerates hosts and maps them back to their index', () => {
    const c = cidr('10.77.1.0/24');
    expect(formatAddress(nthHost(c, 0))).toBe('10.77.1.1');
    expect(formatAddress(nthHost(c, 253n))).toBe('10.77.1.254');
    expect(() => nthHost(c, 254)).toThrow(RangeError);
    expect(addressIndex(c, '10.77.1.1')).toBe(0n);
    expect(addressIndex(c, '10.77.1.0')).toBeUndefined();
    expect(addressIndex(c, '10.77.1.255')).toBeUndefined();
    expect(addressIndex(c, '10.77.2.1')).toBeUndefined();
    expect(formatAddress(broadcastOf(c) as { family: 4; value: bigint })).toBe('10.77.1.255');
    expect(broadcastOf(cidr('fd00::/64'))).toBeUndefined();
    const v6 = cidr('fd00:77:1::/64');
    expect(formatAddress(nthHost(v6, (1n << 64n) - 2n))).toBe('fd00:77:1:0:ffff:ffff:ffff:ffff');
    expect(addressIndex(v6, 'fd00:77:1::10')).toBe(15n);
  });

  it('nthHost and addressIndex are inverse on every prefix', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 30 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (prefix, base, frac) => {
          const network = (BigInt(base) >> BigInt(32 - prefix)) << BigInt(32 - prefix);
          const c: Cidr = { family: 4, network, prefix, hostBitsSet: false };
          const n = BigInt(Math.floor(Number(hostCount(c) - 1n) * frac));
          expect(addressIndex(c, nthHost(c, n))).toBe(n);
        },
      ),
    );
  });
});
