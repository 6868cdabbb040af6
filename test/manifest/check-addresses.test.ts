// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { errorsOf, jailYaml, loadWithBase } from './helpers.js';

const network = (name: string, body: string): string =>
  `apiVersion: stockade/v1\nkind: Network\nmetadata:\n  name: ${name}\nspec:\n  mode: vnet\n${body}`;

const attach = (net: string, address?: string): string =>
  `  networks:\n    - name: ${net}\n` +
  (address === undefined ? '' : `      address: ${address}\n`);

describe('network prefixes and gateways', () => {
  it.each([
    ['not a prefix', '  cidr: 10.0.0.300/24\n', 'CIDR_INVALID t.yaml:7:9 spec.cidr'],
    ['host bits set', '  cidr: 10.9.0.5/24\n', 'CIDR_HOST_BITS t.yaml:7:9 spec.cidr'],
    [
      'too small for a gateway and a jail',
      '  cidr: 10.9.0.0/31\n',
      'CIDR_PREFIX_RANGE t.yaml:7:9 spec.cidr',
    ],
    ['too wide', '  cidr: 10.0.0.0/7\n', 'CIDR_PREFIX_RANGE t.yaml:7:9 spec.cidr'],
    ['IPv6 too small', '  cidr: fd00:9::/127\n', 'CIDR_PREFIX_RANGE t.yaml:7:9 spec.cidr'],
    [
      'gateway outside',
      '  cidr: 10.9.0.0/24\n  gateway: 10.9.1.1\n',
      'NETWORK_GATEWAY_INVALID t.yaml:8:12 spec.gateway',
    ],
    [
      'gateway is the broadcast',
      '  cidr: 10.9.0.0/24\n  gateway: 10.9.0.255\n',
      'NETWORK_GATEWAY_INVALID t.yaml:8:12 spec.gateway',
    ],
    [
      'gateway is the network',
      '  cidr: fd00:9::/64\n  gateway: "fd00:9::"\n',
      'NETWORK_GATEWAY_INVALID t.yaml:8:12 spec.gateway',
    ],
    [
      'gateway of the other family',
      '  cidr: 10.9.0.0/24\n  gateway: "fd00::1"\n',
      'NETWORK_GATEWAY_INVALID t.yaml:8:12 spec.gateway',
    ],
  ])('%s', (_name, body, expected) => {
    expect(errorsOf(loadWithBase({ 't.yaml': network('x', body) }))).toEqual([expected]);
  });

  it('reports overlapping prefixes at the later network, IPv4 and IPv6', () => {
    const result = loadWithBase({
      't.yaml':
        network('x', '  cidr: 10.77.0.0/16\n') +
        '---\n' +
        network('y', '  cidr: "fd00:77:1:0:8000::/65"\n'),
    });

    expect(errorsOf(result)).toEqual([
      'NETWORK_CIDR_OVERLAP t.yaml:7:9 spec.cidr',
      'NETWORK_CIDR_OVERLAP t.yaml:15:9 spec.cidr',
    ]);
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([
      "10.77.0.0/16 overlaps 10.77.1.0/24 of network 'net' (base.yaml:11)",
      "fd00:77:1:0:8000::/65 overlaps fd00:77:1::/64 of network 'net6' (base.yaml:19)",
    ]);
  });

  it('refuses a gateway that is an address of the host (default and explicit)', () => {
    const options = { hostAddresses: ['10.9.0.1', '10.8.0.7'] };
    const result = loadWithBase(
      {
        't.yaml':
          network('x', '  cidr: 10.9.0.0/24\n') +
          '---\n' +
          network('y', '  cidr: 10.8.0.0/24\n  gateway: 10.8.0.7\n'),
      },
      options,
    );

    expect(errorsOf(result)).toEqual([
      'ADDRESS_HOST_OWNED t.yaml:7:9 spec.cidr',
      'ADDRESS_HOST_OWNED t.yaml:16:12 spec.gateway',
    ]);
  });
});

describe('fixed jail addresses', () => {
  it.each([
    [
      'outside the prefix',
      attach('net', '10.77.2.5'),
      'ADDRESS_OUTSIDE_CIDR t.yaml:10:16 spec.networks[0].address',
    ],
    [
      'of the other family',
      attach('net', '"fd00:77:1::5"'),
      'ADDRESS_OUTSIDE_CIDR t.yaml:10:16 spec.networks[0].address',
    ],
    [
      'the network address',
      attach('net', '10.77.1.0'),
      'ADDRESS_RESERVED t.yaml:10:16 spec.networks[0].address',
    ],
    [
      'the broadcast address',
      attach('net', '10.77.1.255'),
      'ADDRESS_RESERVED t.yaml:10:16 spec.networks[0].address',
    ],
    [
      'the gateway',
      attach('net', '10.77.1.1'),
      'ADDRESS_RESERVED t.yaml:10:16 spec.networks[0].address',
    ],
    [
      'the IPv6 gateway',
      attach('net6', '"fd00:77:1::1"'),
      'ADDRESS_RESERVED t.yaml:10:16 spec.networks[0].address',
    ],
    [
      'not an address',
      attach('net', '10.77.1.1.1'),
      'ADDRESS_INVALID t.yaml:10:16 spec.networks[0].address',
    ],
    [
      'with a zone id',
      attach('net6', '"fe80::1%em0"'),
      'ADDRESS_INVALID t.yaml:10:16 spec.networks[0].address',
    ],
  ])('refuses an address %s', (_name, extra, expected) => {
    expect(errorsOf(loadWithBase({ 't.yaml': jailYaml(extra) }))).toEqual([expected]);
  });

  it('accepts valid IPv4 and IPv6 fixed addresses', () => {
    const extra =
      '  networks:\n    - name: net\n      address: 10.77.1.20\n    - name: net6\n      address: "fd00:77:1::20"\n';

    expect(errorsOf(loadWithBase({ 't.yaml': jailYaml(extra) }))).toEqual([]);
  });

  it('refuses the same fixed address twice, written differently', () => {
    const result = loadWithBase({
      'a.yaml': jailYaml(attach('net6', '"fd00:77:1::20"'), 'a'),
      'b.yaml': jailYaml(attach('net6', '"fd00:77:1:0:0:0:0:20"'), 'b'),
    });

    expect(errorsOf(result)).toEqual(['ADDRESS_DUPLICATE b.yaml:10:16 spec.networks[0].address']);
  });

  it('refuses a fixed address with more than one replica', () => {
    const yaml = jailYaml('  replicas: 2\n' + attach('net', '10.77.1.9'));

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'ADDRESS_FIXED_WITH_REPLICAS t.yaml:11:16 spec.networks[0].address',
    ]);
  });

  it('refuses an address of the host itself', () => {
    const yaml = jailYaml(attach('net', '10.77.1.9'));

    const result = loadWithBase({ 't.yaml': yaml }, { hostAddresses: ['10.77.1.9'] });

    expect(errorsOf(result)).toEqual(['ADDRESS_HOST_OWNED t.yaml:10:16 spec.networks[0].address']);
  });

  it('refuses a jail on the same network twice, and on vnet and shared networks at once', () => {
    const yaml = jailYaml('  networks:\n    - name: net\n    - name: net\n    - name: lan\n');

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'JAIL_NETWORK_DUPLICATE t.yaml:10:13 spec.networks[1].name',
      'JAIL_NETWORK_MODE_MIXED t.yaml:11:13 spec.networks[2].name',
    ]);
  });
});

describe('capacity', () => {
  // lan is 10.88.0.0/29: 6 host addresses, one of them the gateway, so 5 for jails.
  it('accepts replicas and fixed addresses that exactly fill the network', () => {
    const result = loadWithBase({
      'a.yaml': jailYaml('  replicas: 4\n' + attach('lan'), 'a'),
      'b.yaml': jailYaml(attach('lan', '10.88.0.6'), 'b'),
    });

    expect(errorsOf(result)).toEqual([]);
  });

  it('reports a network that cannot hold its jails at its cidr', () => {
    const result = loadWithBase({
      'a.yaml': jailYaml('  replicas: 4\n' + attach('lan'), 'a'),
      'b.yaml': jailYaml(attach('lan', '10.88.0.6'), 'b'),
      'c.yaml': jailYaml(attach('lan'), 'c'),
    });

    expect(errorsOf(result)).toEqual(['NETWORK_FULL base.yaml:30:9 spec.cidr']);
    expect(result.ok ? '' : result.errors[0]?.message).toBe(
      '10.88.0.0/29 holds 5 jail addresses besides the gateway, but 1 fixed addresses and 5 replicas need 6',
    );
  });
});
