// SPDX-License-Identifier: BSD-2-Clause
// Network steps: the bridges and cloned loopbacks of networks, the epairs of vnet jails and the
// aliases of shared-mode jails. Interfaces are allocated by the kernel and renamed, never named
// by counting; everything Stockade makes carries a `stockade:` description, and an interface
// without it is never changed or destroyed.

import { HostRefusedError } from '../errors/host-refused-error.js';
import type { JailInterface, NetifNode } from '../topology/types.js';
import { peerOf, type HostContext } from './context.js';
import * as ifconfig from './ifconfig.js';
import { getJid } from './jail.js';
import { EPAIR_PREFIX, isOwnedDescription } from './marks.js';

/** Creates a network's bridge or loopback, or brings the existing one in line. */
export async function createNetif(ctx: HostContext, netif: NetifNode): Promise<void> {
  assertIfaceName(netif.name);
  const existing = await ifconfig.showInterface(ctx, netif.name);
  if (existing !== undefined) {
    await reconcileNetif(ctx, netif, existing);
    return;
  }

  const made = await ifconfig.createClone(ctx, netif.kind === 'bridge' ? 'bridge' : 'lo');
  await renameOrDestroy(ctx, made, netif.name);
  await ifconfig.setDescription(ctx, netif.name, netif.description);
  if (netif.address !== undefined) {
    await ifconfig.addAlias(ctx, netif.name, netif.address);
  }
  await ifconfig.up(ctx, netif.name);
}

/** Sets the description, address and up state the network wants on its own interface. */
export async function updateNetif(ctx: HostContext, netif: NetifNode): Promise<void> {
  const existing = await ifconfig.showInterface(ctx, netif.name);
  if (existing === undefined) {
    await createNetif(ctx, netif);
    return;
  }

  await reconcileNetif(ctx, netif, existing);
}

/** Destroys a network interface Stockade made; nothing to do when it is gone. */
export async function destroyNetif(ctx: HostContext, name: string): Promise<void> {
  const existing = await ifconfig.showInterface(ctx, name);
  if (existing === undefined) {
    return;
  }
  assertOwned(existing);

  await ifconfig.destroyInterface(ctx, name);
}

/**
 * Creates the epair of a vnet attachment: `ifconfig epair create`, both ends renamed to the
 * planned names, descriptions set, the host end added to the bridge and up. A half-made epair
 * is destroyed before the error propagates, so none is leaked.
 */
export async function createEpair(ctx: HostContext, iface: JailInterface): Promise<void> {
  const hostEnd = requireEpair(iface);
  assertIfaceName(hostEnd);
  assertIfaceName(peerOf(hostEnd));
  const existing = await ifconfig.showInterface(ctx, hostEnd);
  if (existing !== undefined) {
    if (existing.description !== iface.description) {
      throw foreign(hostEnd, existing.description);
    }
    await attachToBridge(ctx, iface.netif, hostEnd, existing.flags);
    return;
  }

  const made = await ifconfig.createClone(ctx, 'epair');
  try {
    await ifconfig.rename(ctx, made, hostEnd);
    await ifconfig.rename(ctx, peerOf(made), peerOf(hostEnd));
    await ifconfig.setDescription(ctx, hostEnd, iface.description);
    await ifconfig.setDescription(ctx, peerOf(hostEnd), iface.description);
  } catch (err) {
    const leftover = (await ifconfig.showInterface(ctx, hostEnd)) === undefined ? made : hostEnd;
    ctx.logger.warn({ iface: leftover, err }, 'epair setup failed, destroying it');
    await ifconfig.destroyInterface(ctx, leftover);
    throw err;
  }
  await attachToBridge(ctx, iface.netif, hostEnd, []);
}

/**
 * Destroys a jail's epair. When the jail end is inside a running jail it is first reclaimed
 * with `-vnet`, so the jail is never removed with a host interface inside it; destroying the
 * host end then takes both ends.
 */
export async function destroyEpair(ctx: HostContext, jail: string, hostEnd: string): Promise<void> {
  const existing = await ifconfig.showInterface(ctx, hostEnd);
  if (existing === undefined) {
    return;
  }
  assertOwned(existing);

  const jailEnd = peerOf(hostEnd);
  const onHost = (await ifconfig.showInterface(ctx, jailEnd)) !== undefined;
  if (!onHost && (await getJid(ctx, jail)) !== undefined) {
    await ifconfig.reclaim(ctx, jailEnd, jail);
  }
  await ifconfig.destroyInterface(ctx, hostEnd);
}

/**
 * Destroys every epair end still on the host whose description marks it as `jail`'s, after
 * the jail is gone: the ends a failed start or an earlier crash left behind. One listing;
 * destroying one end takes its peer.
 */
export async function destroyLeftoverEpairs(ctx: HostContext, jail: string): Promise<void> {
  const prefix = `${EPAIR_PREFIX}${jail}:`;
  const leftovers = (await ifconfig.listInterfaces(ctx)).filter((i) =>
    (i.description ?? '').startsWith(prefix),
  );
  const destroyed = new Set<string>();
  for (const iface of leftovers) {
    if (destroyed.has(iface.name)) {
      continue;
    }
    ctx.logger.info({ jail, iface: iface.name }, 'leftover epair destroyed');
    await ifconfig.destroyInterface(ctx, iface.name);
    destroyed.add(iface.name);
    destroyed.add(otherEnd(iface.name));
  }
}

/** Adds a shared-mode jail address as an alias on the network's own loopback. */
export async function ensureAlias(
  ctx: HostContext,
  netifName: string,
  address: string,
): Promise<void> {
  const netif = await ifconfig.showInterface(ctx, netifName);
  if (netif === undefined) {
    throw new HostRefusedError(
      'HOST_STATE_UNEXPECTED',
      `failed to add address '${address}': interface '${netifName}' does not exist`,
      {
        iface: netifName,
        address,
      },
    );
  }
  assertOwned(netif);
  if (hasAddress(netif, address)) {
    return;
  }

  await ifconfig.addAlias(ctx, netifName, hostAlias(address));
}

/** Removes a shared-mode jail address from the network's own loopback, if present. */
export async function dropAlias(
  ctx: HostContext,
  netifName: string,
  address: string,
): Promise<void> {
  const netif = await ifconfig.showInterface(ctx, netifName);
  if (netif === undefined || !hasAddress(netif, address)) {
    return;
  }
  assertOwned(netif);

  await ifconfig.removeAlias(ctx, netifName, address);
}

async function reconcileNetif(
  ctx: HostContext,
  netif: NetifNode,
  existing: ifconfig.InterfaceInfo,
): Promise<void> {
  assertOwned(existing);
  if (existing.description !== netif.description) {
    await ifconfig.setDescription(ctx, netif.name, netif.description);
  }
  if (netif.kind === 'bridge') {
    const stale = [...existing.inet, ...existing.inet6].filter((a) => a !== netif.address);
    for (const address of stale) {
      await ifconfig.removeAlias(ctx, netif.name, address);
    }
    if (
      netif.address !== undefined &&
      !existing.inet.concat(existing.inet6).includes(netif.address)
    ) {
      await ifconfig.addAlias(ctx, netif.name, netif.address);
    }
  }
  if (!existing.flags.includes('UP')) {
    await ifconfig.up(ctx, netif.name);
  }
}

async function attachToBridge(
  ctx: HostContext,
  bridge: string,
  member: string,
  flags: string[],
): Promise<void> {
  const info = await ifconfig.showInterface(ctx, bridge);
  if (info === undefined) {
    throw new HostRefusedError(
      'HOST_STATE_UNEXPECTED',
      `failed to attach '${member}': bridge '${bridge}' does not exist`,
      {
        iface: member,
        bridge,
      },
    );
  }
  assertOwned(info);
  if (!info.members.includes(member)) {
    await ifconfig.addMember(ctx, bridge, member);
  }
  if (!flags.includes('UP')) {
    await ifconfig.up(ctx, member);
  }
}

async function renameOrDestroy(ctx: HostContext, made: string, name: string): Promise<void> {
  try {
    await ifconfig.rename(ctx, made, name);
  } catch (err) {
    ctx.logger.warn({ iface: made, err }, 'interface rename failed, destroying it');
    await ifconfig.destroyInterface(ctx, made);
    throw err;
  }
}

/** The other end of an epair: `a` for `b` and `b` for `a`. */
function otherEnd(name: string): string {
  return name.endsWith('b') ? `${name.slice(0, -1)}a` : peerOf(name);
}

function hasAddress(netif: ifconfig.InterfaceInfo, address: string): boolean {
  const host = ifconfig.hostPart(address);
  return [...netif.inet, ...netif.inet6].some((a) => ifconfig.hostPart(a) === host);
}

/** A jail address on a loopback is a host route: /32 or /128 whatever the network's prefix. */
function hostAlias(address: string): string {
  const host = ifconfig.hostPart(address);
  return `${host}/${host.includes(':') ? 128 : 32}`;
}

function requireEpair(iface: JailInterface): string {
  if (iface.epair === undefined) {
    throw new HostRefusedError(
      'HOST_STATE_UNEXPECTED',
      `interface of network '${iface.network}' has no epair name`,
      {
        network: iface.network,
      },
    );
  }
  return iface.epair;
}

/** Interface names hold at most 15 bytes (IFNAMSIZ); a longer one would fail after creation. */
function assertIfaceName(name: string): void {
  if (Buffer.byteLength(name) > 15 || !/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) {
    throw new HostRefusedError(
      'INVALID_HOST_NAME',
      `refused to create interface '${name}': not a valid interface name of at most 15 bytes`,
      { iface: name },
    );
  }
}

function assertOwned(info: ifconfig.InterfaceInfo): void {
  if (!isOwnedDescription(info.description)) {
    throw foreign(info.name, info.description);
  }
}

function foreign(name: string, description: string | undefined): HostRefusedError {
  return new HostRefusedError(
    'FOREIGN_OBJECT',
    `refused to change interface '${name}': it is not Stockade's`,
    {
      iface: name,
      description: description ?? null,
    },
  );
}
