// SPDX-License-Identifier: BSD-2-Clause
// Compiles one jail replica into its JailNode: root dataset, interfaces with their allocated
// addresses, mounts, files, limits, environment and the hash of the fields that force a
// replacement when they change. Pure.

import type { NodeConfig } from '../config/types.js';
import type { NetworkDoc, Resources } from '../manifest/types.js';
import { TopologyError } from '../errors/topology-error.js';
import type { NetworkAddressing } from './allocate.js';
import { fastHash } from './hash.js';
import { bridgeName, epairDescription, epairName, loopbackName } from './iface-names.js';
import { HOSTS_PATH, resolveFile } from './jail-files.js';
import { compareText } from './pf-rules.js';
import type { Replica } from './placement.js';
import { parseSize } from './sizes.js';
import type {
  DatasetNode,
  ImageBuild,
  JailFile,
  JailInterface,
  JailMount,
  JailNode,
  RctlRule,
} from './types.js';

/** Everything compileJail needs besides the replica itself. */
export interface JailContext {
  root: string;
  /** Where a dataset of this node is mounted on the host. */
  mountpointOf: (dataset: string) => string;
  config: NodeConfig;
  image: ImageBuild;
  networks: Map<string, NetworkDoc>;
  addressing: Map<string, NetworkAddressing>;
  /** Datasets compiled so far, volumes among them. */
  volumes: Record<string, DatasetNode>;
  /** The node's shared /etc/hosts. */
  hostsFile: JailFile;
  /** What all replicas of a manifest share, worked out once (see compileManifestParts). */
  partsOf: (doc: Replica['doc']) => ManifestParts;
  /** Jail manifest name to the names of its replicas on this node. */
  replicaNames: Map<string, string[]>;
}

/** Fields whose change forces a replacement; their hash is stored as `stockade:spec`. */
export const IMMUTABLE_FIELDS = [
  'image',
  'dataset',
  'vnet',
  'hostname',
  'params',
  'command',
  'env',
  'interfaces',
  'mounts',
] as const;

/** Compiles one replica placed on this node. */
export function compileJail(replica: Replica, context: JailContext): JailNode {
  const { doc, name } = replica;
  const spec = doc.spec;
  const dataset = `${context.root}/jails/${name}`;
  const path = context.mountpointOf(dataset);
  const hostname = spec.hostname ?? name;
  const interfaces = (spec.networks ?? []).map((ref) => compileInterface(name, ref.name, context));
  const firstAddress =
    interfaces[0] === undefined ? undefined : interfaces[0].address.split('/')[0];

  const env: Record<string, string> = { ...spec.env, STOCKADE_JAIL_NAME: name };
  if (firstAddress !== undefined) env['STOCKADE_JAIL_IP'] = firstAddress;

  const parts = context.partsOf(doc);

  const jail: JailNode = {
    name,
    manifest: doc.metadata.name,
    replica: replica.index,
    dataset,
    path,
    image: `${context.image.dataset}@ready`,
    hostname,
    vnet: interfaces.some((i) => i.mode === 'vnet'),
    params: parts.params,
    command: parts.command,
    env: sortRecord(env),
    interfaces,
    mounts: (spec.volumes ?? []).map((m) => compileMount(name, path, m, context)),
    files: parts.files,
    rctl: parts.rctl,
    ...(spec.resources?.cpuset === undefined ? {} : { cpuset: spec.resources.cpuset }),
    dependsOn: parts.dependsOn,
    running: true,
    selfHeal: spec.selfHeal ?? context.config.selfHeal,
    labels: parts.labels,
    specHash: '',
  };
  // One object, hashed in place: a copy per jail is measurable at a thousand jails.
  jail.specHash = hashSpec(jail, parts.specBase);
  return jail;
}

/** The parts of a jail node that all replicas of one manifest share (by reference). */
export interface ManifestParts {
  specBase: string;
  params: Record<string, string>;
  command: string[];
  /** Manifest files and the node's /etc/hosts, sorted by path. */
  files: JailFile[];
  rctl: RctlRule[];
  dependsOn: string[];
  labels: Record<string, string>;
}

/**
 * Works out what every replica of `doc` shares. Replicas share these objects, so a desired
 * topology is read-only data: nothing may change one jail's copy in place.
 */
export function compileManifestParts(
  doc: Replica['doc'],
  context: {
    hostsFile: JailFile;
    repositoryFiles: Record<string, Uint8Array>;
    replicaNames: Map<string, string[]>;
  },
): ManifestParts {
  const spec = doc.spec;
  const files = (spec.files ?? []).map((f) =>
    resolveFile(f, context.repositoryFiles, doc.metadata.name),
  );
  if (!files.some((f) => f.path === HOSTS_PATH)) files.push(context.hostsFile);
  return {
    specBase: specBase(doc),
    params: compileParams(spec.parameters),
    command: [...spec.command],
    files: sortFiles(files),
    rctl: compileRctl(spec.resources),
    dependsOn: (spec.dependsOn ?? [])
      .flatMap((d) => context.replicaNames.get(d) ?? [])
      .sort(compareText),
    labels: { ...doc.metadata.labels },
  };
}

/**
 * Hash of a jail's immutable fields. `base` is specBase of its manifest, shared by all
 * replicas; the rest of IMMUTABLE_FIELDS is a function of what is added here (name, paths,
 * image, addresses and interface names), so equal hashes mean no replacement is needed.
 */
export function hashSpec(jail: Omit<JailNode, 'specHash'>, base: string): string {
  const interfaces = jail.interfaces.map(
    (i) => `${i.network}|${i.mode}|${i.netif}|${i.epair ?? ''}|${i.address}|${i.gateway ?? ''}`,
  );
  const mounts = jail.mounts.map((m) => `${m.source}|${m.target}|${m.readonly ? 'ro' : 'rw'}`);
  const replica = [
    jail.name,
    jail.dataset,
    jail.path,
    jail.image,
    jail.hostname,
    ...interfaces,
    ...mounts,
  ];
  return fastHash(`${base}\u0000${replica.join('\u0000')}`).slice(0, 12);
}

/** The part of the spec hash every replica of a manifest shares; worth computing once. */
export function specBase(doc: Replica['doc']): string {
  const spec = doc.spec;
  return JSON.stringify([
    spec.image,
    compileParams(spec.parameters),
    spec.command,
    sortRecord({ ...spec.env }),
    spec.hostname ?? null,
    (spec.volumes ?? []).map((v) => [v.name, v.mountPath, v.readOnly === true]),
  ]);
}

/** rctl rules in a fixed order, amounts as `rctl` prints them without -h. */
export function compileRctl(resources: Resources | undefined): RctlRule[] {
  if (resources === undefined) return [];

  const rules: RctlRule[] = [];
  const add = (resource: string, action: string, amount: string | undefined): void => {
    if (amount !== undefined) rules.push({ resource, action, amount });
  };
  add('memoryuse', 'deny', bytes(resources.memory));
  add(
    'pcpu',
    'deny',
    resources.pcpu === undefined ? undefined : String(parseInt(resources.pcpu, 10)),
  );
  add('maxproc', 'deny', resources.maxproc?.toString());
  add('openfiles', 'deny', resources.openfiles?.toString());
  add('readbps', 'throttle', bytes(resources.readbps));
  add('writebps', 'throttle', bytes(resources.writebps));
  return rules;
}

/** Throws UNKNOWN_REFERENCE naming the missing object and who asked for it. */
export function requireRef<T>(value: T | undefined, kind: string, name: string, owner: string): T {
  if (value !== undefined) return value;

  throw new TopologyError(
    'UNKNOWN_REFERENCE',
    `${kind} '${name}' referenced by '${owner}' ` + 'does not exist',
    { kind, name, owner },
  );
}

function compileInterface(jail: string, network: string, context: JailContext): JailInterface {
  const doc = requireRef(context.networks.get(network), 'Network', network, jail);
  const addressing = context.addressing.get(network) as NetworkAddressing;
  const address = addressing.addresses.get(jail) as string;
  const vnet = doc.spec.mode === 'vnet';
  return {
    network,
    mode: doc.spec.mode,
    ...(vnet ? { epair: epairName(jail, network) } : {}),
    netif: vnet ? bridgeName(network) : loopbackName(network),
    address: `${address}/${addressing.prefix.length}`,
    ...(vnet ? { gateway: addressing.gateway } : {}),
    description: epairDescription(jail, network),
  };
}

function compileMount(
  jail: string,
  path: string,
  mount: { name: string; mountPath: string; readOnly?: boolean },
  context: JailContext,
): JailMount {
  const dataset = `${context.root}/volumes/${mount.name}`;
  requireRef(context.volumes[dataset], 'Volume', mount.name, jail);
  return {
    volume: mount.name,
    source: context.mountpointOf(dataset),
    target: `${path}${mount.mountPath}`,
    readonly: mount.readOnly === true,
  };
}

function compileParams(
  parameters: Record<string, string | number | boolean> | undefined,
): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) params[key] = String(value);
  return sortRecord(params);
}

function bytes(size: string | undefined): string | undefined {
  return size === undefined ? undefined : parseSize(size).toString();
}

function sortFiles(files: JailFile[]): JailFile[] {
  return files.sort((a, b) => compareText(a.path, b.path));
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}
