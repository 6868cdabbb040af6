// SPDX-License-Identifier: BSD-2-Clause
// Builders of manifest documents, manifest sets and node configs for the topology, diff and plan
// tests, so each test states only the fields it is about.

import type { NodeConfig } from '../../src/config/types.js';
import { groupByKind } from '../../src/manifest/load.js';
import type {
  ImageDoc,
  ImageSpec,
  JailDoc,
  JailSpec,
  ManifestDoc,
  ManifestSet,
  NetworkDoc,
  NetworkSpec,
  NodeDoc,
  ServiceDoc,
  ServiceSpec,
  VolumeDoc,
  VolumeSpec,
} from '../../src/manifest/types.js';
import type { Topology } from '../../src/topology/types.js';

const source = (kind: string, name: string) => ({ file: `${kind}/${name}.yaml`, doc: 0 });

export function network(name: string, spec: Partial<NetworkSpec> & { cidr: string }): NetworkDoc {
  return {
    apiVersion: 'stockade/v1',
    kind: 'Network',
    metadata: { name },
    spec: { mode: 'vnet', ...spec },
    source: source('networks', name),
  };
}

export function volume(name: string, spec: VolumeSpec = {}): VolumeDoc {
  return {
    apiVersion: 'stockade/v1',
    kind: 'Volume',
    metadata: { name },
    spec,
    source: source('volumes', name),
  };
}

export function image(name: string, spec: Partial<ImageSpec> = {}): ImageDoc {
  return {
    apiVersion: 'stockade/v1',
    kind: 'Image',
    metadata: { name },
    spec: { release: '14.2-RELEASE', ...spec },
    source: source('images', name),
  };
}

export function jail(
  name: string,
  spec: Partial<JailSpec> = {},
  labels: Record<string, string> = { app: name },
): JailDoc {
  return {
    apiVersion: 'stockade/v1',
    kind: 'Jail',
    metadata: { name, labels },
    spec: { image: 'base', command: ['/usr/local/bin/serve'], ...spec },
    source: source('jails', name),
  };
}

export function service(name: string, spec: ServiceSpec): ServiceDoc {
  return {
    apiVersion: 'stockade/v1',
    kind: 'Service',
    metadata: { name },
    spec,
    source: source('services', name),
  };
}

export function node(name: string, labels: Record<string, string> = {}, jails?: number): NodeDoc {
  return {
    apiVersion: 'stockade/v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: jails === undefined ? {} : { capacity: { jails } },
    source: source('nodes', name),
  };
}

/** A manifest set from documents of any kind. */
export function manifestSet(
  docs: ManifestDoc[],
  files: Record<string, Uint8Array> = {},
): ManifestSet {
  return { ...groupByKind(docs), files };
}

/** A node config with test defaults: root tank/stockade, external interface vtnet0. */
export function nodeConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    name: 'node-a',
    labels: {},
    repository: {
      url: 'http://127.0.0.1:1/repo.git',
      branch: 'main',
      path: 'manifests',
      statusBranch: 'stockade-status',
      allowForcePush: false,
    },
    pollInterval: 30,
    resyncInterval: 300,
    zfs: { root: 'tank/stockade', rollbackPoints: { keep: 5, maxAgeSeconds: 86400 } },
    pf: { externalInterface: 'vtnet0', anchor: 'stockade' },
    releases: { '14.2-RELEASE': '/usr/freebsd-dist/base.txz' },
    policy: {
      allowedParameters: ['allow.raw_sockets', 'sysvshm'],
      allowedHostPaths: [],
      maxReplicas: 10,
      maxPruneRatio: 0.5,
      allowPruneAll: false,
    },
    selfHeal: true,
    stateDir: '/var/db/stockade',
    tools: {},
    ...overrides,
  };
}

/** A topology with nothing in it: a host Stockade never touched. */
export function emptyTopology(root = 'tank/stockade'): Topology {
  return {
    root,
    datasets: {},
    images: {},
    netifs: {},
    jails: {},
    anchors: {},
    tables: {},
    hosts: [],
  };
}
