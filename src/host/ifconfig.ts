// SPDX-License-Identifier: BSD-2-Clause
// Adapter for ifconfig(8): cloning, renaming, descriptions, bridge members, aliases and vnet
// moves, plus the parser of its interface printout. The description is Stockade's ownership mark.

import type { HostCommandError } from '../errors/host-command-error.js';
import { hasCode } from '../errors/stockade-error.js';
import type { HostContext } from './context.js';

/** One interface as `ifconfig` prints it. */
export interface InterfaceInfo {
  name: string;
  flags: string[];
  description?: string;
  /** IPv4 addresses with prefix length, e.g. 10.77.0.1/24. */
  inet: string[];
  /** IPv6 addresses with prefix length, scope suffix removed. */
  inet6: string[];
  /** Bridge members. */
  members: string[];
  groups: string[];
}

/** Parses the printout of `ifconfig` (all interfaces) or `ifconfig NAME`. */
export function parseIfconfig(text: string): InterfaceInfo[] {
  const result: InterfaceInfo[] = [];
  let current: InterfaceInfo | undefined;
  for (const line of text.split('\n')) {
    const header = /^(\S+): flags=[0-9a-fA-F]+<([^>]*)>/.exec(line);
    if (header !== null) {
      current = {
        name: header[1] ?? '',
        flags: splitFlags(header[2] ?? ''),
        inet: [],
        inet6: [],
        members: [],
        groups: [],
      };
      result.push(current);
      continue;
    }
    if (current !== undefined && line.startsWith('\t')) {
      readDetail(current, line.slice(1));
    }
  }
  return result;
}

function splitFlags(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

function readDetail(iface: InterfaceInfo, line: string): void {
  const description = /^description: (.*)$/.exec(line);
  if (description !== null) {
    iface.description = description[1] ?? '';
    return;
  }
  const inet = /^inet (\S+) netmask (0x[0-9a-fA-F]+)/.exec(line);
  if (inet !== null) {
    iface.inet.push(`${inet[1]}/${maskBits(inet[2] ?? '0x0')}`);
    return;
  }
  const inetCidr = /^inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(line);
  if (inetCidr !== null) {
    iface.inet.push(inetCidr[1] ?? '');
    return;
  }
  const inet6 = /^inet6 ([^\s%]+)(?:%\S+)? prefixlen (\d+)/.exec(line);
  if (inet6 !== null) {
    iface.inet6.push(`${inet6[1]}/${inet6[2]}`);
    return;
  }
  const member = /^member: (\S+) /.exec(line);
  if (member !== null) {
    iface.members.push(member[1] ?? '');
    return;
  }
  const groups = /^groups: (.*)$/.exec(line);
  if (groups !== null) {
    iface.groups.push(...(groups[1] ?? '').split(' ').filter((g) => g !== ''));
  }
}

function maskBits(hex: string): number {
  let n = Number.parseInt(hex, 16) >>> 0;
  let bits = 0;
  while (n !== 0) {
    bits += n & 1;
    n >>>= 1;
  }
  return bits;
}

/** Every interface of the host in one command. */
export async function listInterfaces(ctx: HostContext): Promise<InterfaceInfo[]> {
  const { stdout } = await ctx.runner.run('ifconfig', []);
  return parseIfconfig(stdout);
}

/** One interface, or undefined when it does not exist. */
export async function showInterface(
  ctx: HostContext,
  name: string,
): Promise<InterfaceInfo | undefined> {
  try {
    const { stdout } = await ctx.runner.run('ifconfig', [name]);
    return parseIfconfig(stdout)[0];
  } catch (err) {
    if (isMissingInterface(err)) {
      return undefined;
    }
    throw err;
  }
}

/** `ifconfig KIND create`; resolves with the name the kernel chose (printed on stdout). */
export async function createClone(
  ctx: HostContext,
  kind: 'epair' | 'bridge' | 'lo',
): Promise<string> {
  const { stdout } = await ctx.runner.run('ifconfig', [kind, 'create']);
  const name = stdout.trim();
  if (name === '') {
    throw new Error(`ifconfig ${kind} create printed no interface name`);
  }
  return name;
}

/** `ifconfig OLD name NEW`. */
export async function rename(ctx: HostContext, from: string, to: string): Promise<void> {
  await ctx.runner.run('ifconfig', [from, 'name', to]);
}

/** `ifconfig NAME description TEXT`. */
export async function setDescription(ctx: HostContext, name: string, text: string): Promise<void> {
  await ctx.runner.run('ifconfig', [name, 'description', text]);
}

/** `ifconfig BRIDGE addm MEMBER up`. */
export async function addMember(ctx: HostContext, bridge: string, member: string): Promise<void> {
  await ctx.runner.run('ifconfig', [bridge, 'addm', member, 'up']);
}

/** `ifconfig NAME up`. */
export async function up(ctx: HostContext, name: string): Promise<void> {
  await ctx.runner.run('ifconfig', [name, 'up']);
}

/** `ifconfig NAME destroy`. */
export async function destroyInterface(ctx: HostContext, name: string): Promise<void> {
  await ctx.runner.run('ifconfig', [name, 'destroy']);
}

/** Adds `address` (with prefix) as an alias: `ifconfig NAME inet|inet6 ADDR/P alias`. */
export async function addAlias(ctx: HostContext, name: string, address: string): Promise<void> {
  await ctx.runner.run('ifconfig', [name, familyOf(address), address, 'alias']);
}

/** Removes an alias: `ifconfig NAME inet|inet6 ADDR -alias`. */
export async function removeAlias(ctx: HostContext, name: string, address: string): Promise<void> {
  await ctx.runner.run('ifconfig', [name, familyOf(address), hostPart(address), '-alias']);
}

/** Reclaims an interface from a vnet jail: `ifconfig NAME -vnet JAIL`. */
export async function reclaim(ctx: HostContext, name: string, jail: string): Promise<void> {
  await ctx.runner.run('ifconfig', [name, '-vnet', jail]);
}

/** inet for IPv4 addresses, inet6 otherwise. */
export function familyOf(address: string): 'inet' | 'inet6' {
  return address.includes(':') ? 'inet6' : 'inet';
}

/** The address without its prefix length. */
export function hostPart(address: string): string {
  return address.split('/')[0] ?? address;
}

/** True for `ifconfig: interface X does not exist`. */
export function isMissingInterface(err: unknown): boolean {
  return (
    hasCode(err, 'HOST_COMMAND_FAILED') &&
    /does not exist/.test((err as HostCommandError).stderrTail)
  );
}
