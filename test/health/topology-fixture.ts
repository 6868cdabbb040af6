// SPDX-License-Identifier: BSD-2-Clause
// Small topologies for the health tests: two vnet jails of a web service with a table and an
// anchor, built by hand so the tests do not depend on the compiler.

import type { JailNode, Topology } from '../../src/topology/types.js';

/** A vnet jail on network `front` with one volume mount and one rctl rule. */
export function makeJail(
  name: string,
  address: string,
  overrides: Partial<JailNode> = {},
): JailNode {
  return {
    name,
    manifest: name.replace(/-\d+$/, ''),
    replica: 0,
    dataset: `tank/stockade/jails/${name}`,
    path: `/stockade/jails/${name}`,
    image: 'tank/stockade/images/base-1a2b3c4d@ready',
    hostname: name,
    vnet: true,
    params: {},
    command: ['/usr/local/bin/web', '--port', '8080'],
    env: { MODE: 'prod' },
    interfaces: [
      {
        network: 'front',
        mode: 'vnet',
        epair: `sk${name.replace(/-/g, '')}a`,
        netif: 'skbr0front',
        address: `${address}/24`,
        gateway: '10.77.1.1',
        description: `stockade:jail:${name}:front`,
      },
    ],
    mounts: [
      {
        volume: 'data',
        source: '/stockade/volumes/data',
        target: `/stockade/jails/${name}/data`,
        readonly: false,
      },
    ],
    files: [],
    rctl: [{ resource: 'memoryuse', action: 'deny', amount: '536870912' }],
    dependsOn: [],
    specHash: 'abcd1234',
    running: true,
    selfHeal: true,
    labels: { app: 'web' },
    ...overrides,
  };
}

/** Desired topology: web-0 and web-1, service `web` with anchor and table. */
export function makeTopology(jails: JailNode[] = defaultJails()): Topology {
  const addresses = jails.map((j) => (j.interfaces[0]?.address ?? '').split('/')[0] as string);
  return {
    root: 'tank/stockade',
    datasets: {},
    images: {},
    netifs: {},
    jails: Object.fromEntries(jails.map((j) => [j.name, j])),
    anchors: {
      'stockade/svc-web': {
        path: 'stockade/svc-web',
        rules: ['rdr on vtnet0 inet proto tcp from any to (vtnet0) port 80 -> <svc_web> port 8080'],
      },
    },
    tables: {
      'stockade/svc-web:svc_web': {
        anchor: 'stockade/svc-web',
        name: 'svc_web',
        addresses: [...addresses].sort(),
      },
    },
    hosts: [{ name: 'web', addresses: [...addresses].sort() }],
  };
}

export function defaultJails(): JailNode[] {
  return [makeJail('web-0', '10.77.1.10'), makeJail('web-1', '10.77.1.11')];
}

/** A deep copy, to be changed into an observation. */
export function cloneTopology(topology: Topology): Topology {
  return structuredClone(topology);
}
