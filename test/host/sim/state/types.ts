// SPDX-License-Identifier: BSD-2-Clause
// The shape of the simulated FreeBSD host: jails, interfaces, pf, rctl, cpusets, mounts and
// sysctls. Every simulator process reads and writes one JSON document of this shape.

/** A kernel jail parameter value: lists for addresses, booleans, everything else a string. */
export type ParamValue = string | boolean | string[];

/** One running jail. */
export interface SimJail {
  jid: number;
  name: string;
  path: string;
  /** Kernel parameters as set (absent ones take their table default). */
  params: Record<string, ParamValue>;
  /** Pseudo-parameters given at creation (only stop.timeout is used again, see jail -r). */
  pseudo: Record<string, ParamValue>;
  cpusetId: number;
  /** Interfaces moved in by vnet.interface or `ifconfig X vnet`, returned on removal. */
  movedIn: string[];
}

/** An IPv4 address on an interface. */
export interface InetAddr {
  addr: string;
  prefix: number;
}

/** An IPv6 address on an interface. */
export interface Inet6Addr {
  addr: string;
  prefix: number;
}

/** A bridge member entry. */
export interface BridgeMember {
  name: string;
}

/** One network interface, in the host vnet (vnet 0) or a jail's vnet (vnet = jid). */
export interface SimIface {
  name: string;
  index: number;
  kind: 'ether' | 'loopback' | 'epair' | 'bridge';
  /** The cloner that made it (`epair`, `bridge`, `lo`), or null for built-in interfaces. */
  cloner: string | null;
  /** For an epair end, the unit number shared by both ends. */
  unit: number;
  /** For an epair end, the current name of the other end (renames follow it). */
  peer: string | null;
  vnet: number;
  up: boolean;
  mtu: number;
  ether: string | null;
  description: string | null;
  inet: InetAddr[];
  inet6: Inet6Addr[];
  groups: string[];
  /** Bridge members, newest first as the kernel lists them. */
  members: string[];
  /** Name of the bridge this interface is a member of. */
  memberOf: string | null;
  /** IPv6 stays disabled (nd6 IFDISABLED) until an inet6 address is configured. */
  nd6Disabled: boolean;
  /** Capabilities line text when it differs from the kind's default. */
  options?: string;
}

/** A pf rule after parsing, kept in its printed (normalised) form. */
export interface PfRuleset {
  rules: string[];
  nat: string[];
  /** Anchor references in the main ruleset (`stockade/*`), used for anchor listing. */
  anchorRefs: string[];
  tables: Record<string, string[]>;
}

/** pf state. */
export interface SimPf {
  enabled: boolean;
  main: PfRuleset;
  anchors: Record<string, PfRuleset>;
}

/** One rctl rule in canonical form. */
export interface RctlRule {
  subject: string;
  id: string;
  resource: string;
  action: string;
  amount: number;
  per: string;
}

/** One nullfs mount made by the simulator. */
export interface SimMount {
  source: string;
  target: string;
  readOnly: boolean;
  options: string[];
}

/** The whole simulated host. */
export interface SimState {
  version: 1;
  nextJid: number;
  nextCpusetId: number;
  nextIfIndex: number;
  jails: SimJail[];
  ifaces: SimIface[];
  /** Default route per vnet (key: jid as string, "0" = host). */
  routes: Record<string, string>;
  pf: SimPf;
  rctl: RctlRule[];
  /** CPU lists per jid. */
  cpusets: Record<string, number[]>;
  mounts: SimMount[];
  sysctls: Record<string, string>;
}
