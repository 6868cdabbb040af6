// SPDX-License-Identifier: BSD-2-Clause
// The manifest kinds as TypeScript types. The JSON Schemas in schemas.ts are the authority for
// what a document may hold; these types describe a document that has passed them.

/** The only API version this release reads. */
export const API_VERSION = 'stockade/v1';

/** Every kind, in the order they are reported. */
export const KINDS = ['Network', 'Volume', 'Image', 'Jail', 'Service', 'Node'] as const;
export type Kind = (typeof KINDS)[number];

/** Metadata common to every kind. */
export interface Metadata {
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Where a document came from, so later checks can point at it. */
export interface SourceRef {
  /** Path relative to the manifest folder, with forward slashes. */
  file: string;
  /** Index of the document inside its file, from 0. */
  doc: number;
}

export interface NetworkSpec {
  /** `vnet`: if_bridge plus one epair per jail; `shared`: aliases on a cloned loopback. */
  mode: 'vnet' | 'shared';
  /** IPv4 or IPv6 prefix, e.g. 10.77.1.0/24 or fd00:77:1::/64. */
  cidr: string;
  /** Defaults to the first host address of the CIDR. */
  gateway?: string;
  /** Outbound NAT through pf on the node's external interface. Default false. */
  nat?: boolean;
  /** Block traffic to and from other networks. Default true. */
  isolated?: boolean;
  /** Networks allowed through the isolation, by name. */
  allowFrom?: string[];
}

export interface VolumeSpec {
  /** ZFS size with a unit, e.g. 10G. */
  quota?: string;
  reservation?: string;
  /** Native ZFS properties, checked against an allow list. */
  properties?: Record<string, string>;
  snapshots?: { keep?: number; maxAge?: string };
  /** `Retain` (default) keeps the dataset when the manifest goes away. */
  reclaimPolicy?: 'Retain' | 'Delete';
}

export interface FileSpec {
  /** Absolute path inside the jail. */
  path: string;
  /** Path relative to the manifest folder; exactly one of source and content. */
  source?: string;
  content?: string;
  /** Octal mode as a string, e.g. "0644". */
  mode?: string;
}

export interface ImageSpec {
  /** A FreeBSD release name, e.g. 14.2-RELEASE, resolved by the node config to an archive. */
  release: string;
  packages?: string[];
  files?: FileSpec[];
  /** Commands run in a build jail, in order; each is an argv array. */
  commands?: string[][];
}

export interface JailNetworkRef {
  name: string;
  /** A fixed address; allocated when absent. Only valid with replicas: 1. */
  address?: string;
}

export interface VolumeMount {
  name: string;
  /** Absolute path inside the jail. */
  mountPath: string;
  readOnly?: boolean;
}

export interface Resources {
  /** rctl memoryuse, e.g. 512M. */
  memory?: string;
  /** rctl pcpu, percent of one CPU, e.g. "50%". */
  pcpu?: string;
  maxproc?: number;
  openfiles?: number;
  /** rctl readbps / writebps, e.g. 10M. */
  readbps?: string;
  writebps?: string;
  /** cpuset list, e.g. "0-1" or "0,2". */
  cpuset?: string;
}

export interface HealthCheck {
  tcp?: { port: number };
  http?: { port: number; path?: string; status?: number; bodyMatch?: string };
  exec?: { command: string[] };
  /** Durations like 10s, 500ms, 1m. */
  interval?: string;
  timeout?: string;
  retries?: number;
  startPeriod?: string;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface JailSpec {
  image: string;
  replicas?: number;
  hostname?: string;
  networks?: JailNetworkRef[];
  volumes?: VolumeMount[];
  files?: FileSpec[];
  /** argv of the jail's main process, run in the jail as exec.start. */
  command: string[];
  env?: Record<string, string>;
  resources?: Resources;
  /** Extra jail(8) parameters, checked against the node's policy. */
  parameters?: Record<string, string | number | boolean>;
  health?: HealthCheck;
  restartPolicy?: RestartPolicy;
  dependsOn?: string[];
  /** Node labels this jail requires. */
  nodeSelector?: Record<string, string>;
  /** Put drift back (default true); false only reports it. */
  selfHeal?: boolean;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number;
  protocol?: 'tcp' | 'udp';
  /** Publish on the node's external interface with pf rdr. */
  hostPort?: number;
}

export interface ServiceSpec {
  /** Jails whose metadata.labels hold all of these. */
  selector: Record<string, string>;
  ports: ServicePort[];
}

export interface NodeSpec {
  capacity?: { jails?: number; memory?: string };
}

interface DocOf<K extends Kind, S> {
  apiVersion: typeof API_VERSION;
  kind: K;
  metadata: Metadata;
  spec: S;
  /** Set by the loader; never part of the YAML. */
  source: SourceRef;
}

export type NetworkDoc = DocOf<'Network', NetworkSpec>;
export type VolumeDoc = DocOf<'Volume', VolumeSpec>;
export type ImageDoc = DocOf<'Image', ImageSpec>;
export type JailDoc = DocOf<'Jail', JailSpec>;
export type ServiceDoc = DocOf<'Service', ServiceSpec>;
export type NodeDoc = DocOf<'Node', NodeSpec>;
export type ManifestDoc = NetworkDoc | VolumeDoc | ImageDoc | JailDoc | ServiceDoc | NodeDoc;

/** A validated repository: documents by kind, plus the files they may reference. */
export interface ManifestSet {
  networks: NetworkDoc[];
  volumes: VolumeDoc[];
  images: ImageDoc[];
  jails: JailDoc[];
  services: ServiceDoc[];
  nodes: NodeDoc[];
  /** Contents of repository files referenced by `source:` fields, keyed by relative path. */
  files: Record<string, Uint8Array>;
}
