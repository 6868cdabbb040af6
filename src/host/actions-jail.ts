// SPDX-License-Identifier: BSD-2-Clause
// Jail lifecycle steps: create (parameters as argv, never a generated jail.conf), network
// configuration inside vnet jails, the detached start command, stop and the JID-fenced remove.
// Each step checks the jail's state first, so running it again only reads.

import { setTimeout as sleep } from 'node:timers/promises';

import { HostRefusedError } from '../errors/host-refused-error.js';
import type { JailInterface, JailNode } from '../topology/types.js';
import { destroyLeftoverEpairs, dropAlias, ensureAlias } from './actions-net.js';
import { peerOf, type HostContext } from './context.js';
import { familyOf, hostPart, parseIfconfig } from './ifconfig.js';
import {
  createJail as runJailCreate,
  isNotFound,
  JLS_PARAMS,
  jexec,
  parseJlsJson,
  removeJail as runJailRemove,
  type JlsJail,
} from './jail.js';
import { patchJailRecord, readJailRecord, writeJailRecord } from './jail-record.js';
import { listMounts, mountsBelow, unmount } from './mount.js';

/** Where a jail's start command appends its output, inside the jail. */
export const START_LOG = '/var/log/stockade.out';
/** Where the start command's PID is kept inside the jail, for the liveness probe and stop. */
export const START_PIDFILE = '/var/run/stockade.pid';

/** PATH inside jails for commands Stockade runs; the daemon's own environment never leaks in. */
export const JAIL_PATH = '/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin';

// Runs "$@" detached with its output appended to the log; argv arrives as positional
// parameters, so nothing in it is ever parsed by the shell.
const START_SCRIPT = `"$@" </dev/null >>${START_LOG} 2>&1 & echo $! >${START_PIDFILE}`;
const PROBE_SCRIPT = `p=$(cat ${START_PIDFILE} 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null`;
const STOP_SCRIPT = `kill -TERM "$(cat ${START_PIDFILE})" 2>/dev/null; rm -f ${START_PIDFILE}`;

/** How many times remove checks that a dying jail is gone before it gives up for this run. */
const DYING_CHECKS = 10;

/**
 * Creates and records the jail: `jail -q -c name=... path=... host.hostname=... persist
 * [vnet vnet.interface=B...] [ip4.addr=...] [params...]`, confirmed with `jls -j NAME jid`.
 */
export async function createJail(ctx: HostContext, jail: JailNode): Promise<void> {
  const live = await findJail(ctx, jail.name);
  if (live !== undefined) {
    await adoptRunning(ctx, jail, live);
    return;
  }

  for (const iface of jail.interfaces.filter((i) => i.mode === 'shared')) {
    await ensureAlias(ctx, iface.netif, iface.address);
  }
  await runJailCreate(ctx, jailParams(jail));
  const created = await findJail(ctx, jail.name);
  if (created === undefined || created.dying) {
    throw unexpected(jail.name, 'jail was created but jls does not list it');
  }
  await writeJailRecord(ctx, jail, created.jid);
  ctx.logger.info({ jail: jail.name, action: 'jail.create' }, 'jail created');
}

/** The argv parameters of `jail -c`, in a fixed order. */
export function jailParams(jail: JailNode): string[] {
  const params = [
    `name=${jail.name}`,
    `path=${jail.path}`,
    `host.hostname=${jail.hostname}`,
    'persist',
  ];
  // The start command redirects from /dev/null, so every jail gets devfs (ruleset 4 unless
  // the manifest sets devfs_ruleset) unless its parameters say otherwise.
  if (!('mount.devfs' in jail.params) && !('mount.nodevfs' in jail.params)) {
    params.push('mount.devfs');
  }
  if (jail.vnet) {
    params.push('vnet');
    for (const iface of jail.interfaces.filter((i) => i.mode === 'vnet' && i.epair !== undefined)) {
      params.push(`vnet.interface=${peerOf(iface.epair ?? '')}`);
    }
  }
  for (const iface of jail.interfaces.filter((i) => i.mode === 'shared')) {
    params.push(
      `${familyOf(iface.address) === 'inet' ? 'ip4' : 'ip6'}.addr=${hostPart(iface.address)}`,
    );
  }
  const reserved = new Set(['name', 'path', 'vnet', 'persist', 'host.hostname', 'vnet.interface']);
  for (const [key, value] of Object.entries(jail.params).sort(([a], [b]) => a.localeCompare(b))) {
    if (!reserved.has(key) && !key.startsWith('exec.') && key !== 'command') {
      params.push(`${key}=${value}`);
    }
  }
  return params;
}

/** Inside a vnet jail: the address on the jail end of the epair and the default route. */
export async function configureNetwork(
  ctx: HostContext,
  jail: string,
  iface: JailInterface,
): Promise<void> {
  if (iface.mode !== 'vnet') {
    return;
  }
  await requireRunning(ctx, jail);
  const jailEnd = peerOf(iface.epair ?? '');

  const shown = await jexec(ctx, jail, ['/sbin/ifconfig', jailEnd]);
  const info = parseIfconfig(shown.stdout)[0];
  const addresses = [...(info?.inet ?? []), ...(info?.inet6 ?? [])];
  if (!addresses.includes(iface.address) || !(info?.flags ?? []).includes('UP')) {
    await jexec(ctx, jail, [
      '/sbin/ifconfig',
      jailEnd,
      familyOf(iface.address),
      iface.address,
      'up',
    ]);
  }
  if (iface.gateway !== undefined) {
    await ensureDefaultRoute(ctx, jail, iface.gateway);
  }
}

/** Starts the jail's command detached, unless the one started before is still alive. */
export async function startCommand(
  ctx: HostContext,
  jail: string,
  command: string[],
  env: Record<string, string>,
): Promise<void> {
  await requireRunning(ctx, jail);
  if (!(await isCommandAlive(ctx, jail))) {
    const vars = Object.entries(env).map(([key, value]) => `${key}=${value}`);
    await jexec(ctx, jail, [
      '/usr/bin/env',
      '-i',
      `PATH=${JAIL_PATH}`,
      ...vars,
      '/bin/sh',
      '-c',
      START_SCRIPT,
      'stockade',
      ...command,
    ]);
    ctx.logger.info({ jail, action: 'jail.startCommand' }, 'jail command started');
  }

  await patchJailRecord(ctx, jail, (spec) => ({ ...spec, command, env }));
}

/** Stops the jail's command (SIGTERM); the jail itself stays until jail.remove. */
export async function stopJail(ctx: HostContext, jail: string, jid?: number): Promise<void> {
  const live = await findJail(ctx, jail);
  if (live === undefined || live.dying) {
    return;
  }
  fence(jail, live, jid);
  if (!(await isCommandAlive(ctx, jail))) {
    return;
  }

  await jexec(ctx, jail, ['/bin/sh', '-c', STOP_SCRIPT]);
  ctx.logger.info({ jail, action: 'jail.stop' }, 'jail command stopped');
}

/**
 * Removes the jail with `jail -q -r` only when the running instance is the one Stockade
 * started (its JID equals `jid`, or the recorded JID), then confirms it is gone and not dying
 * and drops the shared-mode aliases it used.
 */
export async function removeJail(ctx: HostContext, jail: string, jid?: number): Promise<void> {
  const live = await findJail(ctx, jail);
  const record = await readJailRecord(ctx, jail);
  if (live !== undefined && !live.dying) {
    if (record.spec === undefined || record.spec.path !== live.path) {
      throw new HostRefusedError(
        'FOREIGN_OBJECT',
        `refused to remove jail '${jail}': it is not Stockade's`,
        {
          jail,
          path: live.path,
        },
      );
    }
    fence(jail, live, jid ?? record.jid);
    await runJailRemove(ctx, jail);
    ctx.logger.info({ jail, action: 'jail.remove' }, 'jail removed');
  }

  await waitGone(ctx, jail);
  await destroyLeftoverEpairs(ctx, jail);
  if (record.spec !== undefined) {
    await unmountJailFilesystems(ctx, record.spec.path);
  }
  for (const iface of (record.spec?.interfaces ?? []).filter((i) => i.mode === 'shared')) {
    await dropAlias(ctx, iface.netif, iface.address);
  }
}

/**
 * Unmounts the devfs, fdescfs and procfs that jail(8) mounted below `path`. A jail created
 * from command-line parameters has no config that `jail -r` could read them back from, so
 * they stay mounted after removal unless unmounted here.
 */
export async function unmountJailFilesystems(ctx: HostContext, path: string): Promise<void> {
  const kinds = new Set(['devfs', 'fdescfs', 'procfs']);
  for (const mount of mountsBelow(await listMounts(ctx), path)) {
    if (kinds.has(mount.fstype)) {
      await unmount(ctx, mount.target);
    }
  }
}

/** The jail named `name`, dying or not, from `jls --libxo json -d -j NAME -n ...`. */
export async function findJail(ctx: HostContext, name: string): Promise<JlsJail | undefined> {
  try {
    const { stdout } = await ctx.runner.run('jls', [
      '--libxo',
      'json',
      '-d',
      '-j',
      name,
      '-n',
      ...JLS_PARAMS,
    ]);
    return parseJlsJson(stdout).find((j) => j.name === name);
  } catch (err) {
    if (isNotFound(err)) {
      return undefined;
    }
    throw err;
  }
}

async function adoptRunning(ctx: HostContext, jail: JailNode, live: JlsJail): Promise<void> {
  if (live.dying) {
    throw unexpected(jail.name, 'a jail of this name is still dying');
  }
  if (live.path !== jail.path) {
    throw new HostRefusedError(
      'FOREIGN_OBJECT',
      `refused to create jail '${jail.name}': a jail of that name runs from '${live.path}'`,
      {
        jail: jail.name,
        path: live.path,
      },
    );
  }
  const record = await readJailRecord(ctx, jail.name);
  if (record.spec === undefined || record.jid !== live.jid) {
    // A crash between create and record left the running jail unrecorded.
    await writeJailRecord(ctx, jail, live.jid);
  }
}

async function waitGone(ctx: HostContext, jail: string): Promise<void> {
  for (let check = 0; check < DYING_CHECKS; check += 1) {
    const left = await findJail(ctx, jail);
    if (left === undefined) {
      return;
    }
    if (!left.dying) {
      throw unexpected(jail, 'jail is still listed after removal');
    }
    await sleep(ctx.pollDelayMs);
  }
  throw unexpected(jail, 'jail is still dying');
}

async function ensureDefaultRoute(ctx: HostContext, jail: string, gateway: string): Promise<void> {
  const inet6 = gateway.includes(':');
  const family = inet6 ? ['-inet6'] : [];
  const current = await jexec(ctx, jail, ['/sbin/route', '-n', 'get', ...family, 'default'], {
    okExitCodes: [1],
  });
  const match = /gateway: (\S+)/.exec(current.stdout);
  if (current.exitCode === 0 && match?.[1] === gateway) {
    return;
  }
  if (current.exitCode === 0 && match !== null) {
    await jexec(ctx, jail, ['/sbin/route', 'delete', ...family, 'default']);
  }
  await jexec(ctx, jail, ['/sbin/route', 'add', ...family, 'default', gateway]);
}

async function isCommandAlive(ctx: HostContext, jail: string): Promise<boolean> {
  const probe = await jexec(ctx, jail, ['/bin/sh', '-c', PROBE_SCRIPT], { okExitCodes: [1] });
  return probe.exitCode === 0;
}

async function requireRunning(ctx: HostContext, jail: string): Promise<JlsJail> {
  const live = await findJail(ctx, jail);
  if (live === undefined || live.dying) {
    throw unexpected(jail, 'jail is not running');
  }
  return live;
}

function fence(jail: string, live: JlsJail, expected: number | undefined): void {
  if (expected !== undefined && live.jid !== expected) {
    throw new HostRefusedError(
      'JAIL_INSTANCE_CHANGED',
      `refused to tear down jail '${jail}': running JID ${live.jid} is not the JID ${expected} Stockade started`,
      {
        jail,
        expectedJid: expected,
        runningJid: live.jid,
      },
    );
  }
}

function unexpected(jail: string, detail: string): HostRefusedError {
  return new HostRefusedError('HOST_STATE_UNEXPECTED', `jail '${jail}': ${detail}`, {
    jail,
    detail,
  });
}
