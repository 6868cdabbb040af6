// SPDX-License-Identifier: BSD-2-Clause
// The jail table of the simulated kernel: known parameters with their types and defaults,
// lookup by name or JID, and teardown (interfaces return to the host, dead jails go away).

import { findJailPids } from './procs.js';
import type { ParamValue, SimJail, SimState } from './types.js';

/** How a kernel parameter is typed (decides parsing and printing). */
export type ParamType = 'int' | 'string' | 'bool' | 'jailsys' | 'ip4' | 'ip6';

/** One kernel parameter of the 14.x table. */
export interface ParamSpec {
  type: ParamType;
  readOnly?: boolean;
  /** Cannot be changed with jail -m. */
  createOnly?: boolean;
}

const ALLOW_ON = new Set(['allow.set_hostname', 'allow.reserved_ports', 'allow.suser']);

const ALLOW_NAMES = [
  'set_hostname',
  'sysvipc',
  'raw_sockets',
  'chflags',
  'mount',
  'mount.devfs',
  'quotas',
  'read_msgbuf',
  'socket_af',
  'mlock',
  'nfsd',
  'reserved_ports',
  'unprivileged_proc_debug',
  'suser',
  'mount.fdescfs',
  'mount.fusefs',
  'mount.nullfs',
  'mount.procfs',
  'mount.linprocfs',
  'mount.linsysfs',
  'mount.tmpfs',
  'mount.zfs',
  'vmm',
];

/** Kernel parameters (REFERENCE.md 1.3). */
export const KERNEL_PARAMS: Record<string, ParamSpec> = {
  jid: { type: 'int', createOnly: true },
  name: { type: 'string' },
  path: { type: 'string', createOnly: true },
  'ip4.addr': { type: 'ip4' },
  'ip6.addr': { type: 'ip6' },
  ip4: { type: 'jailsys' },
  ip6: { type: 'jailsys' },
  'ip4.saddrsel': { type: 'bool' },
  'ip6.saddrsel': { type: 'bool' },
  vnet: { type: 'jailsys', createOnly: true },
  host: { type: 'jailsys' },
  'host.hostname': { type: 'string' },
  'host.domainname': { type: 'string' },
  'host.hostuuid': { type: 'string' },
  'host.hostid': { type: 'int' },
  securelevel: { type: 'int' },
  devfs_ruleset: { type: 'int' },
  'children.max': { type: 'int' },
  'children.cur': { type: 'int', readOnly: true },
  enforce_statfs: { type: 'int' },
  persist: { type: 'bool' },
  'cpuset.id': { type: 'int', readOnly: true },
  dying: { type: 'bool', readOnly: true },
  parent: { type: 'int', readOnly: true },
  osrelease: { type: 'string' },
  osreldate: { type: 'int' },
  linux: { type: 'jailsys' },
  'linux.osname': { type: 'string' },
  'linux.osrelease': { type: 'string' },
  'linux.oss_version': { type: 'int' },
  sysvmsg: { type: 'jailsys' },
  sysvsem: { type: 'jailsys' },
  sysvshm: { type: 'jailsys' },
  ...Object.fromEntries(ALLOW_NAMES.map((n) => [`allow.${n}`, { type: 'bool' as const }])),
};

/** Pseudo-parameters handled by jail(8) itself (REFERENCE.md 1.4), with their types. */
export const PSEUDO_PARAMS: Record<string, 'bool' | 'int' | 'string' | 'list'> = {
  'exec.prepare': 'list',
  'exec.prestart': 'list',
  'exec.created': 'list',
  'exec.start': 'list',
  command: 'list',
  'exec.poststart': 'list',
  'exec.prestop': 'list',
  'exec.stop': 'list',
  'exec.poststop': 'list',
  'exec.release': 'list',
  'exec.clean': 'bool',
  'exec.jail_user': 'string',
  'exec.system_jail_user': 'string',
  'exec.system_user': 'string',
  'exec.timeout': 'int',
  'exec.consolelog': 'string',
  'exec.fib': 'int',
  'stop.timeout': 'int',
  interface: 'string',
  'vnet.interface': 'list',
  ip_hostname: 'bool',
  mount: 'list',
  'mount.fstab': 'string',
  'mount.devfs': 'bool',
  'mount.fdescfs': 'bool',
  'mount.procfs': 'bool',
  'allow.dying': 'bool',
  depend: 'list',
};

/** The release the simulated host reports. */
export const OS_RELEASE = '14.3-RELEASE';
/** __FreeBSD_version of that release. */
export const OS_RELDATE = '1403000';

/** The value of a parameter for a jail, falling back to the kernel's default. */
export function getParam(state: SimState, jail: SimJail, name: string): ParamValue {
  switch (name) {
    case 'jid':
      return String(jail.jid);
    case 'name':
      return jail.name;
    case 'path':
      return jail.path;
    case 'cpuset.id':
      return String(jail.cpusetId);
    case 'dying':
      return false;
    case 'children.cur':
      return String(state.jails.filter((j) => parentName(j.name) === jail.name).length);
    case 'parent': {
      const p = parentName(jail.name);
      const pj = p === null ? undefined : state.jails.find((j) => j.name === p);
      return String(pj?.jid ?? 0);
    }
    default:
      break;
  }
  const set = jail.params[name];
  if (set !== undefined) {
    return set;
  }
  if (name === 'ip4' || name === 'ip6') {
    const list = jail.params[`${name}.addr`];
    return Array.isArray(list) && list.length > 0 ? 'new' : 'disable';
  }
  const defaults: Record<string, ParamValue> = {
    'ip4.addr': [],
    'ip6.addr': [],
    'ip4.saddrsel': true,
    'ip6.saddrsel': true,
    vnet: 'inherit',
    host: 'new',
    'host.hostname': process.env['STOCKADE_SIM_HOSTNAME'] ?? 'stockade-test',
    'host.domainname': '',
    'host.hostuuid': '00000000-0000-0000-0000-000000000000',
    'host.hostid': '0',
    securelevel: '-1',
    devfs_ruleset: '0',
    'children.max': '0',
    enforce_statfs: '2',
    persist: false,
    osrelease: OS_RELEASE,
    osreldate: OS_RELDATE,
    linux: 'new',
    'linux.osname': 'Linux',
    'linux.osrelease': '5.15.0',
    'linux.oss_version': '198144',
    sysvmsg: 'disable',
    sysvsem: 'disable',
    sysvshm: 'disable',
  };
  const d = defaults[name];
  if (d !== undefined) {
    return d;
  }
  return ALLOW_ON.has(name);
}

/** Whether a jail has its own network stack. */
export function isVnet(jail: SimJail): boolean {
  return jail.params['vnet'] === 'new';
}

/** The parent jail name of a hierarchical name (`a.b` -> `a`), or null at top level. */
export function parentName(name: string): string | null {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? null : name.slice(0, dot);
}

/** Looks a jail up the way jail_getid() does: an all-digit key is a JID, else a name. */
export function findJail(state: SimState, key: string): SimJail | undefined {
  if (/^\d+$/.test(key)) {
    return state.jails.find((j) => j.jid === Number(key));
  }
  return state.jails.find((j) => j.name === key);
}

/** Error text jail_getid() leaves for a key that matches no jail. */
export function notFoundText(key: string): string {
  return /^\d+$/.test(key) ? `jail ${Number(key)} not found` : `jail "${key}" not found`;
}

/**
 * Removes a jail record and everything hanging off it in the simulated kernel: its child
 * jails, its vnet (interfaces moved in return to the host keeping name and description) and
 * its cpuset. Processes must already be gone.
 */
export function dropJail(state: SimState, jail: SimJail): void {
  for (const child of state.jails.filter((j) => j.name.startsWith(`${jail.name}.`))) {
    dropJail(state, child);
  }
  for (const iface of state.ifaces.filter((i) => i.vnet === jail.jid)) {
    iface.vnet = 0;
    iface.inet = [];
    iface.inet6 = [];
    iface.up = false;
    iface.groups = iface.cloner === null ? [] : [iface.cloner];
  }
  delete state.routes[String(jail.jid)];
  delete state.routes[`${jail.jid}:inet6`];
  delete state.cpusets[String(jail.jid)];
  state.jails = state.jails.filter((j) => j.jid !== jail.jid);
}

/** Drops jails without persist whose last process has exited, as the kernel does. */
export function reapJails(state: SimState): void {
  for (const jail of [...state.jails]) {
    if (jail.params['persist'] === true || !state.jails.includes(jail)) {
      continue;
    }
    if (state.jails.some((j) => j.name.startsWith(`${jail.name}.`))) {
      continue;
    }
    if (findJailPids(jail.jid, jail.path).length === 0) {
      dropJail(state, jail);
    }
  }
}
