// SPDX-License-Identifier: BSD-2-Clause
// Reads the host into an observed Topology. The command count does not grow with jails: one jls,
// one zfs list, one zfs get, one ifconfig, one rctl, one mount -p, and for pf one anchor list
// plus two reads per anchor and one per table (anchors and tables belong to networks and
// services, not jails). Objects without Stockade's marks are reported as foreign, never touched.

import type { HostCommandError } from '../errors/host-command-error.js';
import { hasCode } from '../errors/stockade-error.js';
import type {
  DatasetNode,
  DatasetRole,
  ImageBuild,
  JailInterface,
  JailNode,
  NetifNode,
  ObservedHost,
  RctlRule,
  Topology,
} from '../topology/types.js';
import type { HostContext } from './context.js';
import { listInterfaces, type InterfaceInfo } from './ifconfig.js';
import { listJails, type JlsJail } from './jail.js';
import {
  decodeRecord,
  isDriverMark,
  isOwnedDescription,
  markProperties,
  MARK_MANAGED,
  MARK_RECLAIM,
  MARK_ROLE,
  NATIVE_PROPERTIES,
  NETIF_PREFIX,
  RECORD_IMAGE,
  RECORD_JAIL,
} from './marks.js';
import { listMounts, type MountEntry } from './mount.js';
import { listAnchors, showAnchor, showTable } from './pfctl.js';
import { readPfRecords } from './pf-records.js';
import { listRules, type RctlEntry } from './rctl.js';
import { getProperties, listTree } from './zfs.js';

/** Observes the host; see the module comment for the commands issued. */
export async function observeHost(ctx: HostContext): Promise<ObservedHost> {
  const before = ctx.runner.commands;

  // Read everything first, so the picture is as close to one instant as the tools allow.
  const jails = await listJails(ctx);
  const rows = await listTree(ctx, ctx.root);
  const props = await getProperties(ctx, ctx.root, [...markProperties(), ...NATIVE_PROPERTIES], {
    recursive: true,
  });
  const interfaces = await listInterfaces(ctx);
  const rctl = await unlessUnavailable(ctx, () => listRules(ctx), /RACCT\/RCTL/, []);
  const mounts = await listMounts(ctx);
  const pf = await observePf(ctx);

  const datasets = buildDatasets(rows, props);
  const topology: Topology = {
    root: ctx.root,
    datasets: datasets.owned,
    images: buildImages(datasets.owned, datasets.marks),
    netifs: buildNetifs(interfaces),
    jails: {},
    anchors: pf.anchors,
    tables: pf.tables,
    hosts: [],
  };
  const foreignJails = buildJails(ctx, topology, {
    jails,
    marks: datasets.marks,
    interfaces,
    rctl,
    mounts,
  });

  return {
    topology,
    foreign: {
      jails: foreignJails,
      datasets: datasets.foreign,
      interfaces: interfaces.filter((i) => !isOwnedDescription(i.description)).map((i) => i.name),
      hostAddresses: interfaces
        .filter((i) => !isOwnedDescription(i.description))
        .flatMap((i) => [...i.inet, ...i.inet6]),
    },
    commands: ctx.runner.commands - before,
  };
}

interface DatasetScan {
  owned: Record<string, DatasetNode>;
  foreign: string[];
  /** Every local stockade:* property per dataset, driver records included. */
  marks: Map<string, Record<string, string>>;
}

function buildDatasets(
  rows: Record<string, string>[],
  props: { name: string; property: string; value: string; source: string }[],
): DatasetScan {
  const local = new Map<string, Record<string, string>>();
  for (const p of props) {
    // Inherited values are not marks: a dataset made by hand under the root inherits
    // stockade:managed from it and must still count as foreign.
    if (p.source !== 'local' || p.name.includes('@')) {
      continue;
    }
    const entry = local.get(p.name) ?? {};
    entry[p.property] = p.value;
    local.set(p.name, entry);
  }

  const owned: Record<string, DatasetNode> = {};
  const foreign: string[] = [];
  for (const row of rows) {
    const name = row['name'] ?? '';
    if (name.includes('@')) {
      continue;
    }
    const values = local.get(name) ?? {};
    if (values[MARK_MANAGED] !== 'true') {
      foreign.push(name);
      continue;
    }
    owned[name] = toDatasetNode(name, row, values);
  }
  for (const row of rows) {
    const [dataset = '', snap] = (row['name'] ?? '').split('@');
    if (snap !== undefined) {
      owned[dataset]?.snapshots.push(snap);
    }
  }
  return { owned, foreign, marks: local };
}

function toDatasetNode(
  name: string,
  row: Record<string, string>,
  values: Record<string, string>,
): DatasetNode {
  const properties: Record<string, string> = {};
  const marks: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith('stockade:')) {
      if (!isDriverMark(key)) marks[key] = value;
    } else {
      properties[key] = value;
    }
  }
  const origin = row['origin'];
  const reclaim = values[MARK_RECLAIM];
  return {
    name,
    role: (values[MARK_ROLE] ?? 'volume') as DatasetRole,
    ...(origin !== undefined && origin !== '-' ? { origin } : {}),
    properties,
    marks,
    snapshots: [],
    ...(reclaim === 'Retain' || reclaim === 'Delete' ? { reclaimPolicy: reclaim } : {}),
  };
}

function buildImages(
  datasets: Record<string, DatasetNode>,
  marks: Map<string, Record<string, string>>,
): Record<string, ImageBuild> {
  const images: Record<string, ImageBuild> = {};
  for (const node of Object.values(datasets)) {
    if (node.role !== 'image' || !node.snapshots.includes('ready')) {
      continue;
    }
    const image = decodeRecord<ImageBuild>(marks.get(node.name) ?? {}, RECORD_IMAGE);
    if (image === undefined) {
      continue;
    }
    // Keyed by dataset like the compiler's: two built versions of one image are two entries.
    images[node.name] = image;
  }
  return images;
}

function buildNetifs(interfaces: InterfaceInfo[]): Record<string, NetifNode> {
  const netifs: Record<string, NetifNode> = {};
  for (const iface of interfaces) {
    const description = iface.description;
    if (description === undefined || !description.startsWith(NETIF_PREFIX)) {
      continue;
    }
    const kind = iface.flags.includes('LOOPBACK') ? 'loopback' : 'bridge';
    const address = kind === 'bridge' ? (iface.inet[0] ?? iface.inet6[0]) : undefined;
    netifs[iface.name] = {
      name: iface.name,
      kind,
      network: description.slice(NETIF_PREFIX.length),
      description,
      ...(address === undefined ? {} : { address }),
    };
  }
  return netifs;
}

interface JailSources {
  jails: JlsJail[];
  marks: Map<string, Record<string, string>>;
  interfaces: InterfaceInfo[];
  rctl: RctlEntry[];
  mounts: MountEntry[];
}

/** Fills topology.jails from the records on jail datasets; returns the foreign jail names. */
function buildJails(ctx: HostContext, topology: Topology, sources: JailSources): string[] {
  const byName = new Map(sources.jails.map((j) => [j.name, j]));
  const ifaces = new Map(sources.interfaces.map((i) => [i.name, i]));
  const mounted = new Set(sources.mounts.map((m) => m.target));
  const owned = new Set<string>();

  for (const node of Object.values(topology.datasets)) {
    if (node.role !== 'jail') {
      continue;
    }
    const spec = decodeRecord<JailNode>(sources.marks.get(node.name) ?? {}, RECORD_JAIL);
    if (spec === undefined) {
      continue;
    }
    const live = byName.get(spec.name);
    const ours = live !== undefined && live.path === spec.path;
    if (ours) owned.add(spec.name);
    const running = ours && !live.dying;
    const jail: JailNode = {
      ...spec,
      hostname: running ? live.hostname : spec.hostname,
      vnet: running ? live.vnet : spec.vnet,
      interfaces: spec.interfaces.filter((i) => isAttached(i, ifaces)),
      mounts: spec.mounts.filter((m) => mounted.has(m.target)),
      rctl: rulesOf(sources.rctl, spec.name),
      running,
    };
    delete jail.jid;
    if (running) {
      jail.jid = live.jid;
    }
    topology.jails[spec.name] = jail;
  }
  ctx.logger.trace({ jails: owned.size }, 'jails observed');
  return sources.jails.filter((j) => !owned.has(j.name)).map((j) => j.name);
}

/** A vnet attachment exists while its marked epair does; a shared one while its alias does. */
function isAttached(iface: JailInterface, ifaces: Map<string, InterfaceInfo>): boolean {
  if (iface.mode === 'vnet') {
    return ifaces.get(iface.epair ?? '')?.description === iface.description;
  }
  const netif = ifaces.get(iface.netif);
  return [...(netif?.inet ?? []), ...(netif?.inet6 ?? [])].some((a) => sameHost(a, iface.address));
}

function sameHost(a: string, b: string): boolean {
  return a.split('/')[0] === b.split('/')[0];
}

function rulesOf(entries: RctlEntry[], jail: string): RctlRule[] {
  return entries
    .filter((e) => e.subject === 'jail' && e.id === jail && e.per === undefined)
    .map((e) => ({ resource: e.resource, action: e.action, amount: e.amount }));
}

async function observePf(ctx: HostContext): Promise<Pick<Topology, 'anchors' | 'tables'>> {
  const records = await readPfRecords(ctx.stateDir);
  const all = await unlessUnavailable(ctx, () => listAnchors(ctx, ctx.anchor), /\/dev\/pf/, []);
  const listed = all.filter((a) => a.startsWith(`${ctx.anchor}/`));
  const anchors: Topology['anchors'] = {};
  for (const path of listed) {
    const printed = await showAnchor(ctx, path);
    const record = records.anchors[path];
    const unchanged = record !== undefined && sameLines(record.printed, printed);
    anchors[path] = { path, rules: unchanged ? record.rules : printed };
  }

  const tables: Topology['tables'] = {};
  for (const [key, { anchor, table }] of Object.entries(records.tables)) {
    if (anchors[anchor] === undefined) {
      continue;
    }
    const addresses = await showTable(ctx, anchor, table);
    if (addresses !== undefined) {
      tables[key] = { anchor, name: table, addresses: [...addresses].sort() };
    }
  }
  return { anchors, tables };
}

function sameLines(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/**
 * Runs a read that fails when a kernel facility is missing (RACCT off, pf not loaded) and
 * reads that as `empty`: nothing of Stockade's can exist there, and stockade doctor reports the
 * facility. Steps that need it still fail loudly.
 */
async function unlessUnavailable<T>(
  ctx: HostContext,
  read: () => Promise<T>,
  unavailable: RegExp,
  empty: T,
): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (
      hasCode(err, 'HOST_COMMAND_FAILED') &&
      unavailable.test((err as HostCommandError).stderrTail)
    ) {
      ctx.logger.warn({ err }, 'host facility unavailable, observed as empty');
      return empty;
    }
    throw err;
  }
}
