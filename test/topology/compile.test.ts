// SPDX-License-Identifier: BSD-2-Clause
// compileTopology: datasets and their marks, jails (env, limits, files, mounts, params),
// networks, pf anchors and tables, host entries and image hashes.

import { describe, expect, it } from 'vitest';

import { compileTopology } from '../../src/topology/compile.js';
import { bridgeName, epairName, loopbackName } from '../../src/topology/iface-names.js';
import {
  image,
  jail,
  manifestSet,
  network,
  nodeConfig,
  service,
  volume,
} from '../plan/builders.js';
import { compile } from '../plan/fixtures.js';

const R = 'tank/stockade';

describe('compileTopology datasets', () => {
  const topology = compile([
    network('frontend', { cidr: '10.77.1.0/24' }),
    image('base'),
    volume('data', {
      quota: '10G',
      properties: { compression: 'lz4', recordsize: '128K' },
      reclaimPolicy: 'Delete',
    }),
    jail('web', {
      networks: [{ name: 'frontend' }],
      volumes: [{ name: 'data', mountPath: '/srv', readOnly: true }],
    }),
  ]);
  const imageDataset = Object.keys(topology.images)[0] as string;

  it('lays out root, release, image, jail root and volume with the managed mark', () => {
    expect(Object.keys(topology.datasets).sort()).toEqual(
      [
        R,
        imageDataset,
        `${R}/jails/web-0`,
        `${R}/releases/14.2-RELEASE`,
        `${R}/volumes/data`,
      ].sort(),
    );
    for (const dataset of Object.values(topology.datasets))
      expect(dataset.marks['stockade:managed']).toBe('true');
    expect(imageDataset).toMatch(/^tank\/stockade\/images\/base-[0-9a-f]{8}$/);
  });

  it('clones the jail root from the image snapshot and marks it with image and spec', () => {
    const jailNode = topology.jails['web-0'];

    expect(topology.datasets[`${R}/jails/web-0`]).toEqual({
      name: `${R}/jails/web-0`,
      role: 'jail',
      origin: `${imageDataset}@ready`,
      properties: {},
      marks: {
        'stockade:managed': 'true',
        'stockade:image': `${imageDataset}@ready`,
        'stockade:spec': jailNode?.specHash,
      },
      snapshots: [],
    });
    expect(topology.datasets[imageDataset]?.origin).toBe(`${R}/releases/14.2-RELEASE@base`);
    expect(topology.datasets[`${R}/releases/14.2-RELEASE`]?.snapshots).toEqual(['base']);
    expect(topology.datasets[R]?.role).toBe('root');
  });

  it('gives volume sizes in bytes, as zfs get -p prints them, with the reclaim policy', () => {
    expect(topology.datasets[`${R}/volumes/data`]).toEqual({
      name: `${R}/volumes/data`,
      role: 'volume',
      properties: { compression: 'lz4', quota: '10737418240', recordsize: '131072' },
      marks: { 'stockade:managed': 'true', 'stockade:reclaim': 'Delete' },
      snapshots: [],
      reclaimPolicy: 'Delete',
    });
  });

  it('mounts a volume with nullfs from its mountpoint into the jail root', () => {
    expect(topology.jails['web-0']?.mounts).toEqual([
      {
        volume: 'data',
        source: `/${R}/volumes/data`,
        target: `/${R}/jails/web-0/srv`,
        readonly: true,
      },
    ]);
  });

  it('changes the image hash when a file the image copies changes', () => {
    const docs = (bytes: string) =>
      manifestSet(
        [
          image('base', { files: [{ path: '/etc/app.conf', source: 'files/app.conf' }] }),
          jail('web'),
        ],
        { 'files/app.conf': Buffer.from(bytes) },
      );

    const one = compileTopology(docs('a=1\n'), nodeConfig());
    const two = compileTopology(docs('a=2\n'), nodeConfig());
    const again = compileTopology(docs('a=1\n'), nodeConfig());

    expect(Object.keys(one.images)).not.toEqual(Object.keys(two.images));
    expect(Object.keys(one.images)).toEqual(Object.keys(again.images));
  });
});

describe('compileTopology jails', () => {
  const topology = compile([
    network('frontend', { cidr: '10.77.1.0/24' }),
    network('backend', { cidr: '10.77.2.0/24', mode: 'shared' }),
    image('base'),
    jail('web', {
      networks: [{ name: 'frontend' }, { name: 'backend' }],
      env: { MODE: 'prod' },
      parameters: { 'allow.raw_sockets': true, sysvshm: 'new' },
      resources: {
        memory: '512M',
        pcpu: '50%',
        maxproc: 100,
        openfiles: 1024,
        readbps: '10M',
        writebps: '1G',
        cpuset: '0-1',
      },
      files: [{ path: '/etc/motd', content: 'hi\n', mode: '0600' }],
    }),
    service('web', { selector: { app: 'web' }, ports: [{ port: 80 }] }),
  ]);
  const web = topology.jails['web-0'];

  it('adds the jail address and name to the environment', () => {
    expect(web?.env).toEqual({
      MODE: 'prod',
      STOCKADE_JAIL_IP: '10.77.1.68',
      STOCKADE_JAIL_NAME: 'web-0',
    });
  });

  it('renders rctl amounts in bytes and numbers, in a fixed order', () => {
    expect(web?.rctl).toEqual([
      { resource: 'memoryuse', action: 'deny', amount: '536870912' },
      { resource: 'pcpu', action: 'deny', amount: '50' },
      { resource: 'maxproc', action: 'deny', amount: '100' },
      { resource: 'openfiles', action: 'deny', amount: '1024' },
      { resource: 'readbps', action: 'throttle', amount: '10485760' },
      { resource: 'writebps', action: 'throttle', amount: '1073741824' },
    ]);
    expect(web?.cpuset).toBe('0-1');
  });

  it('passes jail parameters as strings', () => {
    expect(web?.params).toEqual({ 'allow.raw_sockets': 'true', sysvshm: 'new' });
  });

  it('attaches a vnet network with an epair and a shared one with the loopback', () => {
    expect(web?.vnet).toBe(true);
    expect(web?.interfaces).toEqual([
      {
        network: 'frontend',
        mode: 'vnet',
        epair: epairName('web-0', 'frontend'),
        netif: bridgeName('frontend'),
        address: '10.77.1.68/24',
        gateway: '10.77.1.1',
        description: 'stockade:jail:web-0:frontend',
      },
      {
        network: 'backend',
        mode: 'shared',
        netif: loopbackName('backend'),
        address: expect.stringMatching(/^10\.77\.2\.\d+\/24$/),
        description: 'stockade:jail:web-0:backend',
      },
    ]);
    expect(topology.netifs[bridgeName('frontend')]).toEqual({
      name: bridgeName('frontend'),
      kind: 'bridge',
      network: 'frontend',
      description: 'stockade:net:frontend',
      address: '10.77.1.1/24',
    });
    expect(topology.netifs[loopbackName('backend')]?.kind).toBe('loopback');
  });

  it('writes manifest files and an /etc/hosts naming every service', () => {
    expect(web?.files.map((f) => [f.path, f.mode])).toEqual([
      ['/etc/hosts', 0o644],
      ['/etc/motd', 0o600],
    ]);
    const hosts = Buffer.from(web?.files[0]?.content ?? '', 'base64').toString();
    expect(hosts.split('\n').slice(1)).toEqual([
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost',
      '10.77.1.68\tweb-0',
      '10.77.1.68\tweb',
      '',
    ]);
    expect(topology.hosts).toEqual([{ name: 'web', addresses: ['10.77.1.68'] }]);
  });

  it('changes the spec hash for immutable fields only', () => {
    const base = { networks: [{ name: 'frontend' }] };
    const hash = (spec: object) =>
      compile([
        network('frontend', { cidr: '10.77.1.0/24' }),
        image('base'),
        jail('web', { ...base, ...spec }),
      ]).jails['web-0']?.specHash;

    expect(hash({ resources: { memory: '1G' } })).toBe(hash({}));
    expect(hash({ files: [{ path: '/a', content: 'x' }] })).toBe(hash({}));
    expect(hash({ command: ['/bin/other'] })).not.toBe(hash({}));
    expect(hash({ parameters: { sysvshm: 'new' } })).not.toBe(hash({}));
  });

  it('expands replicas into stable names and keeps dependsOn as replica names', () => {
    const replicas = compile([
      image('base'),
      jail('db', { replicas: 2 }),
      jail('api', { replicas: 3, dependsOn: ['db'] }),
    ]);

    expect(Object.keys(replicas.jails).sort()).toEqual(['api-0', 'api-1', 'api-2', 'db-0', 'db-1']);
    expect(replicas.jails['api-2']?.dependsOn).toEqual(['db-0', 'db-1']);
    expect(replicas.jails['api-2']?.replica).toBe(2);
    expect(replicas.jails['api-2']?.manifest).toBe('api');
  });

  it('refuses a reference the loader did not catch', () => {
    const act = () =>
      compile([image('base'), jail('web', { volumes: [{ name: 'gone', mountPath: '/x' }] })]);

    expect(act).toThrow(
      expect.objectContaining({
        code: 'UNKNOWN_REFERENCE',
        data: { kind: 'Volume', name: 'gone', owner: 'web-0' },
      }),
    );
  });
});
