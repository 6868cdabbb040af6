// SPDX-License-Identifier: BSD-2-Clause
// Fakes for the sync engine: an in-memory host that applies plan steps to a topology and can be
// told to fail a step, a Git source over in-memory commits, and a small loader, compiler and
// planner over a JSON manifest format, so engine tests need no FreeBSD and no real planner.

import type { NodeConfig } from '../../src/config/types.js';
import type { Clock, Diagnostic, EngineDeps, LoadResult } from '../../src/run/deps.js';
import { StockadeError } from '../../src/errors/stockade-error.js';
import { silentLogger } from '../../src/log/logger.js';
import type { HealthCheck, JailDoc, ManifestSet, VolumeDoc } from '../../src/manifest/types.js';
import type { Plan, PlanStep, StepAction } from '../../src/plan/types.js';
import type { CommitInfo, GitSource, HostDriver } from '../../src/run/ports.js';
import type { JailNode, ObservedHost, Topology } from '../../src/topology/types.js';

export const ROOT = 'tank/stockade';

/** A node config with test defaults. */
export function testConfig(stateDir: string, over: Partial<NodeConfig> = {}): NodeConfig {
  return {
    name: 'node1',
    labels: {},
    repository: {
      url: 'http://127.0.0.1:9/fleet.git',
      branch: 'main',
      path: '.',
      statusBranch: 'stockade-status',
      allowForcePush: false,
    },
    pollInterval: 60,
    resyncInterval: 300,
    zfs: { root: ROOT, rollbackPoints: { keep: 3, maxAgeSeconds: 0 } },
    pf: { externalInterface: 'em0', anchor: 'stockade' },
    releases: {},
    policy: {
      allowedParameters: [],
      allowedHostPaths: [],
      maxReplicas: 8,
      maxPruneRatio: 0.5,
      allowPruneAll: false,
    },
    selfHeal: true,
    stateDir,
    tools: {},
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------
// Host.

type Call = { method: string; args: unknown[] };

/** An in-memory host: its topology changes only through plan steps, like the real one. */
export class FakeHost implements HostDriver {
  topology: Topology;
  /** Bytes "in" each dataset: what jails wrote, to check which volumes a rollback restored. */
  data = new Map<string, string>();
  snapshots = new Map<string, Map<string, { created: number; data: string | undefined }>>();
  calls: Call[] = [];
  failSteps = new Map<string, StockadeError | Error>();
  /** Runs before each applyStep; a test uses it to abort or throw at a chosen point. */
  beforeStep: ((step: PlanStep) => void) | undefined;
  beforeCall: ((method: string) => void) | undefined;
  failObserve = false;
  /** Addresses on the host's own interfaces, as observe reports them. */
  hostAddresses: string[] = [];
  nextJid = 1;
  nowSeconds = 1_700_000_000;

  constructor(root = ROOT) {
    this.topology = emptyTopo(root);
  }

  async observe(): Promise<ObservedHost> {
    this.record('observe', []);
    if (this.failObserve) throw new Error('observe exploded');
    return {
      topology: structuredClone(this.topology),
      foreign: { jails: [], datasets: [], interfaces: [], hostAddresses: [...this.hostAddresses] },
      commands: 4,
    };
  }

  async applyStep(step: PlanStep): Promise<void> {
    this.record('applyStep', [step.id]);
    this.beforeStep?.(step);
    const failure = this.failSteps.get(step.id);
    // A failure happens once, so the undo can carry out the same step for the previous commit.
    if (failure !== undefined) {
      this.failSteps.delete(step.id);
      throw failure;
    }
    this.carryOut(step.action);
  }

  async snapshotRecursive(datasets: string[], snapshot: string): Promise<void> {
    this.record('snapshotRecursive', [datasets, snapshot]);
    for (const name of Object.keys(this.topology.datasets)) {
      if (!datasets.some((d) => name === d || name.startsWith(`${d}/`))) continue;
      const snaps = this.snapshots.get(name) ?? new Map();
      snaps.set(snapshot, { created: this.nowSeconds, data: this.data.get(name) });
      this.snapshots.set(name, snaps);
    }
  }

  async rollbackRecursive(parent: string, snapshot: string): Promise<void> {
    this.record('rollbackRecursive', [parent, snapshot]);
    for (const [name, snaps] of this.snapshots) {
      if (name !== parent && !name.startsWith(`${parent}/`)) continue;
      const snap = snaps.get(snapshot);
      if (snap === undefined || this.topology.datasets[name] === undefined) continue;
      if (snap.data === undefined) this.data.delete(name);
      else this.data.set(name, snap.data);
    }
  }

  async destroySnapshotRecursive(dataset: string, snapshot: string): Promise<void> {
    this.record('destroySnapshotRecursive', [dataset, snapshot]);
    for (const [name, snaps] of this.snapshots) {
      if (name === dataset || name.startsWith(`${dataset}/`)) snaps.delete(snapshot);
    }
  }

  async listSnapshots(dataset: string): Promise<{ name: string; created: number }[]> {
    this.record('listSnapshots', [dataset]);
    const snaps = this.snapshots.get(dataset) ?? new Map();
    return [...snaps.entries()].map(([name, s]) => ({ name, created: s.created }));
  }

  async exec(): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  /** Names of the snapshots that exist on `dataset`. */
  snapshotNames(dataset: string): string[] {
    return [...(this.snapshots.get(dataset)?.keys() ?? [])].sort();
  }

  private record(method: string, args: unknown[]): void {
    this.beforeCall?.(method);
    this.calls.push({ method, args });
  }

  private carryOut(action: StepAction): void {
    const t = this.topology;
    switch (action.type) {
      case 'dataset.create':
      case 'dataset.clone':
        t.datasets[action.dataset.name] = structuredClone(action.dataset);
        return;
      case 'dataset.destroy':
        delete t.datasets[action.name];
        this.data.delete(action.name);
        return;
      case 'jail.create':
        t.jails[action.jail.name] = {
          ...structuredClone(action.jail),
          running: true,
          jid: this.nextJid++,
        };
        return;
      case 'jail.startCommand': {
        // The jail's process writes to every volume it mounts read-write.
        for (const m of t.jails[action.jail]?.mounts ?? []) {
          if (!m.readonly)
            this.data.set(`${t.root}/volumes/${m.volume}`, `written by ${action.jail}`);
        }
        return;
      }
      case 'jail.stop': {
        const jail = t.jails[action.jail];
        if (jail !== undefined) {
          jail.running = false;
          delete jail.jid;
        }
        return;
      }
      case 'jail.remove':
        delete t.jails[action.jail];
        return;
      case 'pf.loadAnchor':
        t.anchors[action.anchor] = { path: action.anchor, rules: [...action.rules] };
        return;
      case 'pf.flushAnchor':
        delete t.anchors[action.anchor];
        return;
      default:
        return;
    }
  }
}

export function emptyTopo(root = ROOT): Topology {
  return {
    root,
    datasets: {},
    images: {},
    netifs: {},
    jails: {},
    anchors: {},
    tables: {},
    hosts: [],
  };
}

/** The error a real host command raises, with its argv. */
export function commandError(argv: string[]): StockadeError {
  return new StockadeError('HOST_COMMAND_FAILED', `failed to run ${argv[0]}: exit 1`, {
    data: { argv, exitCode: 1, stderr: 'jail: failed' },
  });
}

// ---------------------------------------------------------------------------------------------
// Git.

/** Commits in memory; `tip` is the branch tip, `parents` the history for isAncestor. */
export class FakeGit implements GitSource {
  commits = new Map<
    string,
    { info: CommitInfo; files: Map<string, Uint8Array>; parent?: string }
  >();
  tip: string | undefined;
  unreachable = false;
  writes: { files: Record<string, string>; message: string }[] = [];

  /** Adds a commit on top of `parent` (default: the tip; null: none) and moves the tip to it. */
  push(
    oid: string,
    files: Record<string, string>,
    parent: string | null | undefined = this.tip,
  ): CommitInfo {
    const info = {
      oid,
      message: `commit ${oid.slice(0, 4)}`,
      author: 'dev <dev@example.org>',
      timestamp: 1_700_000_000,
    };
    const encoded = new Map(
      Object.entries(files).map(([k, v]) => [k, new TextEncoder().encode(v)]),
    );
    this.commits.set(oid, {
      info,
      files: encoded,
      ...(parent === undefined || parent === null ? {} : { parent }),
    });
    this.tip = oid;
    return info;
  }

  async fetch(): Promise<CommitInfo> {
    if (this.unreachable)
      throw new StockadeError('GIT_UNREACHABLE', 'failed to fetch', { kind: 'transient' });
    return this.commits.get(this.tip!)!.info;
  }

  async readTree(oid: string): Promise<Map<string, Uint8Array>> {
    return new Map(this.commits.get(oid)!.files);
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    for (
      let at: string | undefined = descendant;
      at !== undefined;
      at = this.commits.get(at)?.parent
    ) {
      if (at === ancestor) return true;
    }
    return false;
  }

  async writeStatus(files: Record<string, string>, message: string): Promise<string | undefined> {
    if (this.unreachable)
      throw new StockadeError('GIT_UNREACHABLE', 'failed to push', { kind: 'transient' });
    this.writes.push({ files, message });
    return `s${this.writes.length}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Loader, compiler and planner over a tiny JSON format.

/** A jail in the fake manifest format. */
export interface FakeJail {
  name: string;
  image?: string;
  replicas?: number;
  version?: string;
  volumes?: { name: string; readonly?: boolean }[];
  health?: HealthCheck;
  dependsOn?: string[];
}

/** The manifest file text for `jails` and `volumes`, one key per line so errors have lines. */
export function manifestFile(jails: FakeJail[], volumes: string[] = []): string {
  return `${JSON.stringify({ volumes, jails }, null, 2)}\n`;
}

/** Parses each file; a jail with an empty image is an error at the line of its image key. */
export function fakeLoad(files: ReadonlyMap<string, Uint8Array | string>): LoadResult {
  const errors: Diagnostic[] = [];
  const set: ManifestSet = {
    networks: [],
    volumes: [],
    images: [],
    jails: [],
    services: [],
    nodes: [],
    files: {},
  };
  for (const [file, raw] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
    const doc = JSON.parse(text) as { volumes: string[]; jails: FakeJail[] };
    for (const jail of doc.jails) {
      if (jail.image === '') {
        const line = text.split('\n').findIndex((l) => l.includes('"image": ""')) + 1;
        errors.push({
          code: 'SCHEMA',
          severity: 'error',
          file,
          line,
          column: 7,
          path: 'spec.image',
          message: 'must NOT have fewer than 1 characters',
        });
      }
      set.jails.push({
        apiVersion: 'stockade/v1',
        kind: 'Jail',
        metadata: { name: jail.name, labels: { version: jail.version ?? '1' } },
        spec: {
          image: jail.image ?? 'base',
          command: ['/bin/run'],
          replicas: jail.replicas ?? 1,
          volumes: (jail.volumes ?? []).map((v) => ({
            name: v.name,
            mountPath: `/data/${v.name}`,
            readOnly: v.readonly ?? false,
          })),
          ...(jail.health === undefined ? {} : { health: jail.health }),
          ...(jail.dependsOn === undefined ? {} : { dependsOn: jail.dependsOn }),
        },
        source: { file, line: 1, column: 1 },
      } as unknown as JailDoc);
    }
    for (const name of doc.volumes) {
      set.volumes.push({
        apiVersion: 'stockade/v1',
        kind: 'Volume',
        metadata: { name },
        spec: {},
      } as unknown as VolumeDoc);
    }
  }
  return errors.length > 0
    ? { ok: false, errors, warnings: [] }
    : { ok: true, manifests: set, warnings: [] };
}

/** One jail per replica, one dataset per jail and volume. */
export function fakeCompile(manifests: ManifestSet, config: NodeConfig): Topology {
  const root = config.zfs.root;
  const t = emptyTopo(root);
  const dataset = (name: string, role: 'jail' | 'volume' | 'root') =>
    (t.datasets[name] = { name, role, properties: {}, marks: {}, snapshots: [] });
  dataset(`${root}/jails`, 'root');
  dataset(`${root}/volumes`, 'root');
  for (const v of manifests.volumes) dataset(`${root}/volumes/${v.metadata.name}`, 'volume');
  for (const doc of manifests.jails) {
    const replicas = doc.spec.replicas ?? 1;
    for (let i = 0; i < replicas; i += 1) {
      const name = `${doc.metadata.name}-${i}`;
      dataset(`${root}/jails/${name}`, 'jail');
      t.jails[name] = jailNode(name, doc, i, root);
    }
  }
  return t;
}

function jailNode(name: string, doc: JailDoc, replica: number, root: string): JailNode {
  return {
    name,
    manifest: doc.metadata.name,
    replica,
    dataset: `${root}/jails/${name}`,
    path: `/${root}/jails/${name}`,
    image: `${root}/images/base@ready`,
    hostname: name,
    vnet: false,
    params: {},
    command: ['/bin/run'],
    env: {},
    interfaces: [],
    mounts: (doc.spec.volumes ?? []).map((v) => ({
      volume: v.name,
      source: `/${root}/volumes/${v.name}`,
      target: `/${root}/jails/${name}${v.mountPath}`,
      readonly: v.readOnly ?? false,
    })),
    files: [],
    rctl: [],
    dependsOn: (doc.spec.dependsOn ?? []).map((d) => `${d}-0`),
    specHash: doc.metadata.labels?.['version'] ?? '1',
    running: true,
    selfHeal: true,
    labels: {},
  };
}

/** Datasets first, then jails wave by wave; a changed or stopped jail is replaced. */
export function fakePlan(
  desired: Topology,
  observed: ObservedHost,
  options: { maxPruneRatio: number; allowPruneAll: boolean },
): Plan {
  const have = observed.topology;
  const steps: PlanStep[] = [];
  const add = (action: StepAction, target: string, wave: number, dependsOn: string[] = []) => {
    const id = `${action.type}:${target}`;
    steps.push({
      id,
      action,
      target,
      wave,
      dependsOn,
      destructive: action.type.endsWith('destroy') || action.type === 'jail.remove',
      resource: action.type.startsWith('dataset') ? 'dataset' : 'jail',
      symbol: '+',
      reason: { kind: 'new' },
    });
    return id;
  };
  const removed = Object.keys(have.jails).filter((n) => desired.jails[n] === undefined);
  const total = Object.keys(have.jails).length;
  if (removed.length > 0 && total > 0) {
    const all = removed.length === total;
    if (
      (all && !options.allowPruneAll) ||
      (!all && removed.length / total > options.maxPruneRatio)
    ) {
      throw new StockadeError('PRUNE_GUARD', 'plan removes too many jails', {
        data: { removed: removed.length, total },
      });
    }
  }
  for (const name of removed) {
    add({ type: 'jail.stop', jail: name }, name, 0);
    add({ type: 'jail.remove', jail: name }, name, 1, [`jail.stop:${name}`]);
    add(
      { type: 'dataset.destroy', name: have.jails[name]!.dataset },
      have.jails[name]!.dataset,
      2,
      [`jail.remove:${name}`],
    );
  }
  for (const ds of Object.values(desired.datasets)) {
    if (have.datasets[ds.name] === undefined)
      add({ type: 'dataset.create', dataset: ds }, ds.name, ds.role === 'root' ? 0 : 1);
  }
  for (const name of Object.keys(have.datasets)) {
    const gone = desired.datasets[name] === undefined && have.datasets[name]!.role === 'volume';
    if (gone) add({ type: 'volume.retain', name, dataset: name }, name, 3);
  }
  const ordered = Object.values(desired.jails).sort(
    (a, b) => a.dependsOn.length - b.dependsOn.length || a.name.localeCompare(b.name),
  );
  for (const jail of ordered) {
    const seen = have.jails[jail.name];
    if (seen !== undefined && seen.specHash === jail.specHash && seen.running) continue;
    const wave = 4 + jail.dependsOn.length * 2;
    if (seen !== undefined) {
      add({ type: 'jail.stop', jail: jail.name }, jail.name, 2);
      add({ type: 'jail.remove', jail: jail.name }, jail.name, 3, [`jail.stop:${jail.name}`]);
    }
    const deps = jail.dependsOn.map((d) => `jail.startCommand:${d}`);
    const create = add({ type: 'jail.create', jail }, jail.name, wave, deps);
    add(
      { type: 'jail.startCommand', jail: jail.name, command: jail.command, env: {} },
      jail.name,
      wave + 1,
      [create],
    );
  }
  const count = (type: string) => steps.filter((s) => s.action.type === type).length;
  return {
    steps,
    changes: [],
    warnings: steps
      .filter((s) => s.action.type === 'volume.retain')
      .map((s) => `volume ${s.target} retained`),
    summary: { create: count('jail.create'), change: 0, destroy: count('jail.remove'), replace: 0 },
  };
}

// ---------------------------------------------------------------------------------------------
// Clock and wiring.

/** A clock whose sleep advances time at once. */
export class FakeClock implements Clock {
  constructor(public ms = Date.UTC(2026, 11, 4, 12, 0, 0)) {}
  now(): number {
    return this.ms;
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
}

/** Engine collaborators over fresh fakes; `probe` answers from `healthy` (default: all healthy). */
export function fakeDeps(stateDir: string, over: Partial<EngineDeps> = {}) {
  const host = new FakeHost();
  const git = new FakeGit();
  const clock = new FakeClock();
  const unhealthy = new Set<string>();
  const deps: EngineDeps = {
    config: testConfig(stateDir),
    source: git,
    host,
    load: fakeLoad,
    compile: fakeCompile,
    plan: fakePlan,
    probe: async (jail) => !unhealthy.has(jail.name),
    clock,
    logger: silentLogger,
    ...over,
  };
  return { deps, host, git, clock, unhealthy };
}
