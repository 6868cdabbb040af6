// SPDX-License-Identifier: BSD-2-Clause
// pf anchors in the 14.x translation syntax: NAT, isolation, published services through a
// table, and reachability of a published port from the host itself.

import { describe, expect, it } from 'vitest';

import { serviceTableName } from '../../src/topology/pf-rules.js';
import { image, jail, network, service } from '../plan/builders.js';
import { compile } from '../plan/fixtures.js';

describe('pf anchors', () => {
  const topology = compile([
    network('frontend', { cidr: '10.77.1.0/24', nat: true, allowFrom: ['admin'] }),
    network('backend', { cidr: '10.77.2.0/24', mode: 'shared' }),
    network('admin', { cidr: '10.77.3.0/24', isolated: false }),
    network('v6', { cidr: 'fd00:77::/64' }),
    image('base'),
    jail('web', { replicas: 2, networks: [{ name: 'frontend' }] }),
    jail('db', { networks: [{ name: 'backend' }] }),
    jail('ops', { networks: [{ name: 'admin' }, { name: 'v6' }] }),
    service('web', {
      selector: { app: 'web' },
      ports: [
        { port: 80, targetPort: 8080, hostPort: 8443 },
        { port: 53, protocol: 'udp' },
      ],
    }),
    service('db', { selector: { app: 'db' }, ports: [{ port: 5432 }] }),
  ]);

  it('only ever loads sub-anchors of the configured anchor', () => {
    expect(Object.keys(topology.anchors).sort()).toEqual([
      'stockade/net-backend',
      'stockade/net-frontend',
      'stockade/svc-web',
    ]);
  });

  it('renders outbound NAT and blocks other networks except allowFrom', () => {
    expect(topology.anchors['stockade/net-frontend']?.rules).toEqual([
      'nat on vtnet0 inet from 10.77.1.0/24 to any -> (vtnet0)',
      'block drop quick inet from 10.77.2.0/24 to 10.77.1.0/24',
    ]);
    expect(topology.anchors['stockade/net-backend']?.rules).toEqual([
      'block drop quick inet from 10.77.3.0/24 to 10.77.2.0/24',
      'block drop quick inet from 10.77.1.0/24 to 10.77.2.0/24',
    ]);
    // Nothing to isolate v6 from and no NAT: no anchor at all; admin is not isolated.
    expect(topology.anchors['stockade/net-v6']).toBeUndefined();
    expect(topology.anchors['stockade/net-admin']).toBeUndefined();
  });

  it('publishes a port with rdr to the service table, on the external interface and lo0', () => {
    expect(topology.anchors['stockade/svc-web']?.rules).toEqual([
      'rdr on vtnet0 inet proto tcp from any to (vtnet0) port 8443 -> <svc_web> port 8080 round-robin',
      'rdr on lo0 inet proto tcp from any to (vtnet0) port 8443 -> <svc_web> port 8080 round-robin',
      'pass in on vtnet0 inet proto tcp from any to <svc_web> port 8080 keep state',
      'pass in on lo0 inet proto tcp from any to <svc_web> port 8080 keep state',
    ]);
  });

  it('keeps endpoints in a table so that endpoint changes never reload the anchor', () => {
    const addresses = ['web-0', 'web-1']
      .map((j) => topology.jails[j]?.interfaces[0]?.address.split('/')[0])
      .sort();

    expect(topology.tables).toEqual({
      'stockade/svc-web:svc_web': { anchor: 'stockade/svc-web', name: 'svc_web', addresses },
    });
    const more = compile([
      network('frontend', { cidr: '10.77.1.0/24' }),
      image('base'),
      jail('web', { replicas: 3, networks: [{ name: 'frontend' }] }),
      service('web', { selector: { app: 'web' }, ports: [{ port: 80, hostPort: 8443 }] }),
    ]);
    const fewer = compile([
      network('frontend', { cidr: '10.77.1.0/24' }),
      image('base'),
      jail('web', { replicas: 1, networks: [{ name: 'frontend' }] }),
      service('web', { selector: { app: 'web' }, ports: [{ port: 80, hostPort: 8443 }] }),
    ]);
    expect(more.anchors['stockade/svc-web']).toEqual(fewer.anchors['stockade/svc-web']);
  });

  it('renders NAT for an IPv6 network with inet6', () => {
    const v6 = compile([
      network('v6', { cidr: 'fd00:77::/64', nat: true }),
      image('base'),
      jail('web', { networks: [{ name: 'v6' }] }),
    ]);

    expect(v6.anchors['stockade/net-v6']?.rules).toEqual([
      'nat on vtnet0 inet6 from fd00:77::/64 to any -> (vtnet0)',
    ]);
  });

  it('hashes a table name that would not fit in pf', () => {
    expect(serviceTableName('web')).toBe('svc_web');
    expect(serviceTableName('a-very-long-service-name-for-pf')).toMatch(/^svc_[0-9a-f]{16}$/);
  });
});
