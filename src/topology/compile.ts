// SPDX-License-Identifier: BSD-2-Clause
// Compiles a validated manifest set and the node's config into the desired topology of this
// node: datasets, images, network interfaces, jails, pf anchors and tables, host entries.
// Pure: the same manifests, config and previous topology always give the same result.

import type { NodeConfig } from '../config/types.js';
import { TopologyError } from '../errors/topology-error.js';
import type { ImageDoc, ManifestSet, NetworkDoc, VolumeDoc } from '../manifest/types.js';
import { allocateAddresses, type NetworkAddressing } from './allocate.js';
import {
  compileJail,
  compileManifestParts,
  requireRef,
  type ManifestParts,
} from './compile-jail.js';
import { hashHex, stableStringify } from './hash.js';
import { bridgeName, loopbackName, netifDescription } from './iface-names.js';
import { renderHostsFile, resolveFile } from './jail-files.js';
import { compareText, renderNetworkAnchor } from './pf-rules.js';
import { placeReplicas, type Replica } from './placement.js';
import { addService, indexByLabel, selectReplicas } from './services.js';
import { normalizeZfsProperty } from './sizes.js';
import type { DatasetNode, ImageBuild, JailNode, Topology } from './types.js';

/** The user property every Stockade dataset carries. */
export const MANAGED_MARK = 'stockade:managed';

/** Options of compileTopology. */
export interface CompileOptions {
  /** The topology last applied on this node: jails keep the addresses it gave them. */
  previous?: Topology;
  /**
   * Where the pool's datasets are mounted; a dataset `a/b` mounts at `<prefix>a/b`. Without it,
   * datasets mount below `config.zfs.mountpoint` (by default `/<root>`), as ZFS inherits it.
   */
  mountPrefix?: string;
  /** Addresses configured on the host's own interfaces; allocation skips them. */
  hostAddresses?: string[];
}

/**
 * Compiles the desired topology of the node `config.name`. Throws a TopologyError when a valid
 * manifest set cannot be realised (a network out of addresses, a reference the loader did not
 * catch, colliding derived names).
 */
export function compileTopology(
  manifests: ManifestSet,
  config: NodeConfig,
  options: CompileOptions = {},
): Topology {
  const root = config.zfs.root;
  const rootMountpoint = config.zfs.mountpoint ?? `/${root}`;
  const mountpointOf = (dataset: string): string =>
    options.mountPrefix !== undefined
      ? `${options.mountPrefix}${dataset}`
      : `${rootMountpoint}${dataset.slice(root.length)}`;
  const topology: Topology = {
    root,
    datasets: {},
    images: {},
    netifs: {},
    jails: {},
    anchors: {},
    tables: {},
    hosts: [],
  };
  addDataset(topology, { name: root, role: 'root', origin: undefined, marks: {} });

  // Expand replicas over the whole commit, then keep this node's share.
  const replicas = expandReplicas(manifests);
  const here = placeReplicas(replicas, manifests.nodes, nodeIdentity(manifests, config));
  const local = replicas.filter((r) => here.has(r.name));

  // Addresses are allocated over every replica so that nodes never hand out the same one.
  const addressing = allocateAddresses(
    manifests.networks,
    replicas,
    options.previous,
    options.hostAddresses,
  );
  const networks = new Map(manifests.networks.map((n) => [n.metadata.name, n]));
  const usedNetworks = new Set(
    local.flatMap((r) => (r.doc.spec.networks ?? []).map((n) => n.name)),
  );
  for (const network of sortByName(manifests.networks)) {
    if (!usedNetworks.has(network.metadata.name)) continue;
    addNetwork(topology, network, manifests.networks, addressing, config);
  }

  const volumes = selectVolumes(manifests, local);
  for (const volume of volumes) addVolume(topology, volume);

  const images = new Map(manifests.images.map((i) => [i.metadata.name, i]));
  const builds = new Map<string, ImageBuild>();
  for (const replica of local) {
    const name = replica.doc.spec.image;
    if (builds.has(name)) continue;
    builds.set(
      name,
      addImage(topology, requireRef(images.get(name), 'Image', name, replica.name), manifests),
    );
  }

  // Service endpoints and names come before jails: every jail's /etc/hosts lists them.
  const firstAddress = (replica: Replica): string | undefined => {
    const first = replica.doc.spec.networks?.[0];
    return first === undefined
      ? undefined
      : addressing.get(first.name)?.addresses.get(replica.name);
  };
  const byLabel = indexByLabel(local);
  for (const service of sortByName(manifests.services)) {
    addService(
      topology,
      service,
      selectReplicas(byLabel, local, service.spec.selector),
      firstAddress,
      config,
    );
  }
  const hostsFile = renderHostsFile(
    local.map((r) => ({ hostname: r.doc.spec.hostname ?? r.name, address: firstAddress(r) })),
    topology.hosts,
  );

  const replicaNames = new Map<string, string[]>();
  for (const replica of local) {
    const list = replicaNames.get(replica.doc.metadata.name) ?? [];
    list.push(replica.name);
    replicaNames.set(replica.doc.metadata.name, list);
  }
  const shared = new Map<Replica['doc'], ManifestParts>();
  const partsOf = (doc: Replica['doc']): ManifestParts => {
    let parts = shared.get(doc);
    if (parts === undefined) {
      parts = compileManifestParts(doc, {
        hostsFile,
        repositoryFiles: manifests.files,
        replicaNames,
      });
      shared.set(doc, parts);
    }
    return parts;
  };
  const epairs = new Map<string, string>();
  for (const replica of local) {
    const jail: JailNode = compileJail(replica, {
      root,
      mountpointOf,
      config,
      image: builds.get(replica.doc.spec.image) as ImageBuild,
      networks,
      addressing,
      volumes: topology.datasets,
      hostsFile,
      partsOf,
      replicaNames,
    });
    checkEpairNames(jail, epairs);
    topology.jails[jail.name] = jail;
    addDataset(topology, {
      name: jail.dataset,
      role: 'jail',
      origin: jail.image,
      marks: { 'stockade:image': jail.image, 'stockade:spec': jail.specHash },
    });
  }
  return topology;
}

/** Every replica of every jail manifest, sorted by expanded name. */
export function expandReplicas(manifests: ManifestSet): Replica[] {
  const replicas: Replica[] = [];
  for (const doc of manifests.jails) {
    const count = doc.spec.replicas ?? 1;
    for (let index = 0; index < count; index++) {
      replicas.push({ name: `${doc.metadata.name}-${index}`, doc, index });
    }
  }
  return replicas.sort((a, b) => compareText(a.name, b.name));
}

function checkEpairNames(jail: JailNode, seen: Map<string, string>): void {
  for (const iface of jail.interfaces) {
    if (iface.epair === undefined) continue;

    const owner = seen.get(iface.epair);
    if (owner !== undefined) {
      throw new TopologyError(
        'IFACE_NAME_COLLISION',
        `epairs of '${owner}' and ` + `'${iface.description}' hash to the same name ${iface.epair}`,
        {
          name: iface.epair,
          owners: [owner, iface.description],
        },
      );
    }
    seen.set(iface.epair, iface.description);
  }
}

function nodeIdentity(
  manifests: ManifestSet,
  config: NodeConfig,
): { name: string; labels: Record<string, string> } {
  const declared = manifests.nodes.find((n) => n.metadata.name === config.name);
  return { name: config.name, labels: { ...config.labels, ...declared?.metadata.labels } };
}

function addDataset(
  topology: Topology,
  node: Pick<DatasetNode, 'name' | 'role' | 'origin' | 'marks'> & Partial<DatasetNode>,
): DatasetNode {
  const dataset: DatasetNode = {
    name: node.name,
    role: node.role,
    ...(node.origin === undefined ? {} : { origin: node.origin }),
    properties: node.properties ?? {},
    marks: { [MANAGED_MARK]: 'true', ...node.marks },
    snapshots: node.snapshots ?? [],
    ...(node.reclaimPolicy === undefined ? {} : { reclaimPolicy: node.reclaimPolicy }),
  };
  topology.datasets[dataset.name] = dataset;
  return dataset;
}

function addNetwork(
  topology: Topology,
  network: NetworkDoc,
  all: NetworkDoc[],
  addressing: Map<string, NetworkAddressing>,
  config: NodeConfig,
): void {
  const name = network.metadata.name;
  const vnet = network.spec.mode === 'vnet';
  const netifName = vnet ? bridgeName(name) : loopbackName(name);
  const clash = topology.netifs[netifName];
  if (clash !== undefined) {
    throw new TopologyError(
      'IFACE_NAME_COLLISION',
      `networks '${clash.network}' and '${name}' ` + `hash to the same interface name ${netifName}`,
      { name: netifName, networks: [clash.network, name] },
    );
  }

  const plan = addressing.get(name) as NetworkAddressing;
  topology.netifs[netifName] = {
    name: netifName,
    kind: vnet ? 'bridge' : 'loopback',
    network: name,
    description: netifDescription(name),
    ...(vnet ? { address: `${plan.gateway}/${plan.prefix.length}` } : {}),
  };

  const anchor = renderNetworkAnchor(network, all, {
    anchor: config.pf.anchor,
    externalInterface: config.pf.externalInterface,
  });
  if (anchor !== undefined) topology.anchors[anchor.path] = anchor;
}

function selectVolumes(manifests: ManifestSet, local: Replica[]): VolumeDoc[] {
  // With several nodes a volume lives where a jail mounts it; alone, every volume is here.
  if (manifests.nodes.length === 0) return sortByName(manifests.volumes);

  const mounted = new Set(local.flatMap((r) => (r.doc.spec.volumes ?? []).map((v) => v.name)));
  return sortByName(manifests.volumes.filter((v) => mounted.has(v.metadata.name)));
}

function addVolume(topology: Topology, volume: VolumeDoc): void {
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(volume.spec.properties ?? {})) {
    properties[key] = normalizeZfsProperty(key, value);
  }
  if (volume.spec.quota !== undefined)
    properties['quota'] = normalizeZfsProperty('quota', volume.spec.quota);
  if (volume.spec.reservation !== undefined) {
    properties['reservation'] = normalizeZfsProperty('reservation', volume.spec.reservation);
  }

  const reclaimPolicy = volume.spec.reclaimPolicy ?? 'Retain';
  const name = `${topology.root}/volumes/${volume.metadata.name}`;
  addDataset(topology, {
    name,
    role: 'volume',
    origin: undefined,
    properties: sortRecord(properties),
    marks: { 'stockade:reclaim': reclaimPolicy },
    reclaimPolicy,
  });
}

function addImage(topology: Topology, image: ImageDoc, manifests: ManifestSet): ImageBuild {
  const name = image.metadata.name;
  const files = (image.spec.files ?? []).map((f) =>
    resolveFile(f, manifests.files, `image/${name}`),
  );
  const definition = {
    release: image.spec.release,
    packages: image.spec.packages ?? [],
    commands: image.spec.commands ?? [],
    files: files.map((f) => ({ path: f.path, mode: f.mode, hash: f.hash })),
  };
  const hash = hashHex(stableStringify(definition), 8);
  const release = `${topology.root}/releases/${image.spec.release}`;
  const build: ImageBuild = {
    name,
    hash,
    dataset: `${topology.root}/images/${name}-${hash}`,
    releaseSnapshot: `${release}@base`,
    release: image.spec.release,
    packages: definition.packages,
    files,
    commands: definition.commands,
  };

  if (topology.datasets[release] === undefined) {
    addDataset(topology, {
      name: release,
      role: 'release',
      origin: undefined,
      marks: {},
      snapshots: ['base'],
    });
  }
  addDataset(topology, {
    name: build.dataset,
    role: 'image',
    origin: build.releaseSnapshot,
    marks: { 'stockade:image': name, 'stockade:hash': hash },
    snapshots: ['ready'],
  });
  topology.images[build.dataset] = build;
  return build;
}

function sortByName<T extends { metadata: { name: string } }>(docs: T[]): T[] {
  return [...docs].sort((a, b) => compareText(a.metadata.name, b.metadata.name));
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}
