// SPDX-License-Identifier: BSD-2-Clause
// The topology of one node: every object Stockade manages on a host, keyed by its host-side
// identity. The compiler produces a desired topology, the host driver observes an actual one in
// the same shape, and the diff compares them field by field. Pure data: no I/O.

/** What a dataset is for; also stored on the dataset as the `stockade:role` user property. */
export type DatasetRole = 'root' | 'release' | 'image' | 'jail' | 'volume';

export interface DatasetNode {
  /** Full ZFS name, e.g. tank/stockade/jails/web-0. */
  name: string;
  role: DatasetRole;
  /** Snapshot this dataset is a clone of (jail roots and images); absent for plain datasets. */
  origin?: string;
  /** Native properties Stockade sets (quota, compression, ...), as zfs get -p prints them. */
  properties: Record<string, string>;
  /** Stockade's user properties (stockade:*), e.g. stockade:image, stockade:spec. */
  marks: Record<string, string>;
  /** Snapshot names (the part after @) that must exist, e.g. ready for images. */
  snapshots: string[];
  /** Volumes only: what happens when the manifest goes away. */
  reclaimPolicy?: 'Retain' | 'Delete';
}

/** An image to build: a release extracted into a dataset, then commands, then @ready. */
export interface ImageBuild {
  /** Image manifest name. */
  name: string;
  /** Short content hash of the definition and the files it copies. */
  hash: string;
  /** Dataset that holds the built image, e.g. tank/stockade/images/web-1a2b3c4d. */
  dataset: string;
  /** Release dataset snapshot it is cloned from, e.g. tank/stockade/releases/14.2-RELEASE@base. */
  releaseSnapshot: string;
  release: string;
  packages: string[];
  files: JailFile[];
  commands: string[][];
}

/** A host interface Stockade owns: a network's bridge (vnet) or cloned loopback (shared). */
export interface NetifNode {
  /** Interface name, at most 15 bytes, derived from a hash of the network name. */
  name: string;
  kind: 'bridge' | 'loopback';
  network: string;
  /** Description set with ifconfig, `stockade:net:<network>`; the ownership mark. */
  description: string;
  /** Gateway address with prefix length on the bridge, e.g. 10.77.1.1/24; none for loopback. */
  address?: string;
}

/** One jail network attachment. */
export interface JailInterface {
  network: string;
  mode: 'vnet' | 'shared';
  /** vnet: host side `a` end name (at most 15 bytes); the jail side ends in `b`. */
  epair?: string;
  /** The bridge or loopback it hangs off. */
  netif: string;
  /** Address and prefix length, e.g. 10.77.1.10/24. */
  address: string;
  gateway?: string;
  /** Description on the epair, `stockade:jail:<jail>:<network>`. */
  description: string;
}

export interface JailMount {
  /** Volume name. */
  volume: string;
  /** Mountpoint of the volume dataset on the host. */
  source: string;
  /** Absolute host path inside the jail root. */
  target: string;
  readonly: boolean;
}

export interface JailFile {
  /** Absolute path inside the jail. */
  path: string;
  /** Content, base64. */
  content: string;
  mode: number;
  /** Short hash of path, mode and content. */
  hash: string;
}

export interface RctlRule {
  /** e.g. memoryuse */
  resource: string;
  /** e.g. deny */
  action: string;
  /** Amount as rctl prints it without -h: bytes or a plain number. */
  amount: string;
}

export interface JailNode {
  /** Jail name, also the last component of its root dataset. */
  name: string;
  /** Manifest name it was expanded from and its replica index. */
  manifest: string;
  replica: number;
  /** Root dataset (a clone of the image's @ready snapshot) and its mountpoint. */
  dataset: string;
  path: string;
  /** Image dataset@ready it was cloned from. */
  image: string;
  hostname: string;
  vnet: boolean;
  /** jail(8) parameters passed at creation, except name, path, vnet and exec.*. */
  params: Record<string, string>;
  /** argv of exec.start. */
  command: string[];
  env: Record<string, string>;
  interfaces: JailInterface[];
  mounts: JailMount[];
  files: JailFile[];
  rctl: RctlRule[];
  cpuset?: string;
  dependsOn: string[];
  /** Hash of the fields that force a replacement when they change. */
  specHash: string;
  /** Observed only: the running instance's JID; absent when not running. */
  jid?: number;
  running: boolean;
  selfHeal: boolean;
  labels: Record<string, string>;
}

export interface AnchorNode {
  /** Anchor path, e.g. stockade/net-frontend. */
  path: string;
  /** Rendered rules, one per line, in load order. */
  rules: string[];
}

export interface TableNode {
  /** Anchor the table lives in. */
  anchor: string;
  name: string;
  /** Sorted addresses. */
  addresses: string[];
}

/** Name resolution for services: written to /etc/hosts in every jail. */
export interface HostEntry {
  name: string;
  addresses: string[];
}

export interface Topology {
  /** Root dataset, e.g. tank/stockade. */
  root: string;
  datasets: Record<string, DatasetNode>;
  images: Record<string, ImageBuild>;
  netifs: Record<string, NetifNode>;
  jails: Record<string, JailNode>;
  /** Keyed by anchor path. */
  anchors: Record<string, AnchorNode>;
  /** Keyed by `<anchor>:<table>`. */
  tables: Record<string, TableNode>;
  hosts: HostEntry[];
}

/** What observe saw that is not Stockade's: reported, never touched. */
export interface ForeignObjects {
  jails: string[];
  datasets: string[];
  interfaces: string[];
  /** Addresses configured on the host's own interfaces, with prefix length. */
  hostAddresses: string[];
}

export interface ObservedHost {
  topology: Topology;
  foreign: ForeignObjects;
  /** Host commands issued to observe, for the benchmarks and tests. */
  commands: number;
}
