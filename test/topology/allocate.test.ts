// SPDX-License-Identifier: BSD-2-Clause
// Address allocation: the same commit gives the same addresses, and with the last applied
// topology a jail keeps its address when others are added or removed.

import { describe, expect, it } from 'vitest';

import { TopologyError } from '../../src/errors/topology-error.js';
import type { ManifestDoc } from '../../src/manifest/types.js';
import { compileTopology } from '../../src/topology/compile.js';
import type { Topology } from '../../src/topology/types.js';
import { image, jail, manifestSet, network, nodeConfig } from '../plan/builders.js';
import { compile } from '../plan/fixtures.js';

// A /29 has six hosts (.1-.6); .1 is the gateway, so collisions are frequent and visible.
const BASE = [network('t', { cidr: '10.9.0.0/29' }), image('base')];
const web = (replicas: number) => jail('web', { replicas, networks: [{ name: 't' }] });
const other = (name: string, extra: object = {}) =>
  jail(name, { networks: [{ name: 't', ...extra }] });

function addresses(topology: Topology): Record<string, string> {
  return Object.fromEntries(
    Object.values(topology.jails).map((j) => [j.name, j.interfaces[0]?.address ?? '']),
  );
}

function compileWith(docs: ManifestDoc[], previous?: Topology): Record<string, string> {
  return addresses(compile([...BASE, ...docs], previous));
}

describe('address allocation', () => {
  it('gives hash slots with linear probing, the same on every run', () => {
    expect(compileWith([web(3)])).toEqual({
      'web-0': '10.9.0.5/29',
      'web-1': '10.9.0.6/29',
      'web-2': '10.9.0.2/29',
    });
    expect(compileWith([web(3)])).toEqual(compileWith([web(3)]));
  });

  it('without history, a new jail can take the slot of an existing one', () => {
    expect(compileWith([web(3), other('db')])).toEqual({
      'db-0': '10.9.0.2/29',
      'web-0': '10.9.0.5/29',
      'web-1': '10.9.0.6/29',
      'web-2': '10.9.0.3/29',
    });
  });

  it('with the previous topology, existing jails keep their addresses when a jail is added', () => {
    const before = compile([...BASE, web(3)]);

    expect(compileWith([web(3), other('db')], before)).toEqual({
      'db-0': '10.9.0.3/29',
      'web-0': '10.9.0.5/29',
      'web-1': '10.9.0.6/29',
      'web-2': '10.9.0.2/29',
    });
  });

  it('keeps addresses when replicas are added and then removed', () => {
    const three = compile([...BASE, web(3)]);
    const five = compile([...BASE, web(5)], three);

    expect(addresses(five)).toEqual({
      'web-0': '10.9.0.5/29',
      'web-1': '10.9.0.6/29',
      'web-2': '10.9.0.2/29',
      'web-3': '10.9.0.4/29',
      'web-4': '10.9.0.3/29',
    });
    expect(compileWith([web(2), other('db')], five)).toEqual({
      'db-0': '10.9.0.2/29',
      'web-0': '10.9.0.5/29',
      'web-1': '10.9.0.6/29',
    });
  });

  it('keeps an address when another jail is removed', () => {
    const before = compile([...BASE, web(3), other('db')]);

    expect(compileWith([other('db')], before)).toEqual({ 'db-0': '10.9.0.2/29' });
  });

  it('reserves fixed addresses and the gateway before anything is allocated', () => {
    expect(compileWith([web(3), other('fixed', { address: '10.9.0.5' })])).toEqual({
      'fixed-0': '10.9.0.5/29',
      'web-0': '10.9.0.6/29',
      'web-1': '10.9.0.2/29',
      'web-2': '10.9.0.3/29',
    });
    const custom = compile([
      network('t', { cidr: '10.9.0.0/29', gateway: '10.9.0.6' }),
      image('base'),
      web(1),
    ]);
    expect(custom.netifs[Object.keys(custom.netifs)[0] as string]?.address).toBe('10.9.0.6/29');
  });

  it('gives the gateway as the first host by default', () => {
    const topology = compile([...BASE, web(1)]);

    expect(topology.jails['web-0']?.interfaces[0]?.gateway).toBe('10.9.0.1');
  });

  it('allocates IPv6 addresses in their canonical form', () => {
    const topology = compile([
      network('v6', { cidr: 'fd00:77:1::/64' }),
      image('base'),
      jail('web', { replicas: 2, networks: [{ name: 'v6' }] }),
    ]);

    expect(addresses(topology)).toEqual({
      'web-0': 'fd00:77:1:0:18e1:bcd6:3b1d:e858/64',
      'web-1': 'fd00:77:1:0:53e3:2e59:e4e3:384c/64',
    });
    expect(topology.jails['web-0']?.interfaces[0]?.gateway).toBe('fd00:77:1::1');
  });

  it('refuses when a network runs out of addresses', () => {
    const act = () => compile([...BASE, web(6)]);

    expect(act).toThrow(TopologyError);
    expect(act).toThrow(
      expect.objectContaining({
        code: 'ADDRESS_EXHAUSTED',
        data: { network: 't', cidr: '10.9.0.0/29', jail: 'web-5' },
      }),
    );
  });

  it('refuses two jails with the same fixed address', () => {
    const act = () =>
      compile([...BASE, other('a', { address: '10.9.0.3' }), other('b', { address: '10.9.0.3' })]);

    expect(act).toThrow(
      expect.objectContaining({
        code: 'ADDRESS_CONFLICT',
        data: { network: 't', address: '10.9.0.3', jail: 'b-0', holder: 'a-0' },
      }),
    );
  });

  it('refuses a fixed address outside the network', () => {
    const act = () => compile([...BASE, other('a', { address: '10.9.1.3' })]);

    expect(act).toThrow(
      expect.objectContaining({
        code: 'INVALID_ADDRESS',
        data: { network: 't', address: '10.9.1.3', owner: 'a-0' },
      }),
    );
  });
});

describe('address allocation next to the host', () => {
  it('never hands out an address the host itself uses', () => {
    const topology = compileTopology(manifestSet([...BASE, web(3)]), nodeConfig(), {
      hostAddresses: ['10.9.0.5/29', '192.0.2.1/24'],
    });

    expect(addresses(topology)).toEqual({
      'web-0': '10.9.0.6/29',
      'web-1': '10.9.0.2/29',
      'web-2': '10.9.0.3/29',
    });
  });

  it('refuses a fixed address the host already has', () => {
    const act = () =>
      compileTopology(manifestSet([...BASE, other('a', { address: '10.9.0.4' })]), nodeConfig(), {
        hostAddresses: ['10.9.0.4/29'],
      });

    expect(act).toThrow(
      expect.objectContaining({
        code: 'ADDRESS_CONFLICT',
        data: { network: 't', address: '10.9.0.4', jail: 'a-0', holder: '(host)' },
      }),
    );
  });
});
