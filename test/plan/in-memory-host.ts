// SPDX-License-Identifier: BSD-2-Clause
// A host made of plain data for planner tests: it applies each StepAction to its state and
// refuses, with an Error naming the step, anything the real tools would refuse at that point
// (cloning a snapshot that does not exist, removing a jail whose epairs are still there,
// destroying a dataset that is still mounted or cloned). observe() returns its state as a
// Topology, as the host driver would.

import type { PlanStep, StepAction } from '../../src/plan/types.js';
import type {
  AnchorNode,
  DatasetNode,
  ImageBuild,
  JailFile,
  JailMount,
  JailNode,
  NetifNode,
  RctlRule,
  TableNode,
  Topology,
} from '../../src/topology/types.js';

const copy = <T>(value: T): T => structuredClone(value);

export class InMemoryHost {
  readonly root: string;
  readonly datasets = new Map<string, DatasetNode>();
  readonly images = new Map<string, ImageBuild>();
  readonly netifs = new Map<string, NetifNode>();
  /** Epair host ends, to the network interface they hang off. */
  readonly epairs = new Map<string, string>();
  readonly jails = new Map<string, JailNode>();
  readonly configured = new Map<string, Set<string>>();
  readonly files = new Map<string, JailFile[]>();
  readonly mounts = new Map<string, JailMount[]>();
  readonly rctl = new Map<string, RctlRule[]>();
  readonly cpusets = new Map<string, string>();
  readonly anchors = new Map<string, AnchorNode>();
  readonly tables = new Map<string, TableNode>();
  /** Every action applied, in order, as `<type>:<subject>`. */
  readonly log: string[] = [];

  constructor(root = 'tank/stockade', mountPrefix = '/') {
    this.root = root;
    this.mountPrefix = mountPrefix;
  }

  private readonly mountPrefix: string;

  /** Applies the steps wave by wave, each wave in reverse order, checking dependencies ran. */
  applyPlan(steps: PlanStep[]): void {
    const done = new Set<string>();
    const waves = [...new Set(steps.map((s) => s.wave))].sort((a, b) => a - b);
    for (const wave of waves) {
      const inWave = steps.filter((s) => s.wave === wave).reverse();
      for (const step of inWave) {
        const missing = step.dependsOn.filter((d) => !done.has(d));
        if (missing.length > 0) throw new Error(`${step.id}: ran before ${missing.join(', ')}`);
      }
      for (const step of inWave) {
        this.apply(step.action, step.id);
        done.add(step.id);
      }
    }
  }

  /** Applies one action; throws when the host would refuse it. */
  apply(action: StepAction, id: string = action.type): void {
    const fail = (why: string): never => {
      throw new Error(`${id}: ${why}`);
    };
    this.log.push(id);
    switch (action.type) {
      case 'dataset.create':
        if (action.dataset.role !== 'root' && !this.datasets.has(this.root))
          fail('root dataset missing');
        this.datasets.set(action.dataset.name, copy(action.dataset));
        return;
      case 'dataset.update': {
        const dataset = this.datasets.get(action.name) ?? fail('no such dataset');
        dataset.properties = { ...action.properties };
        dataset.marks = { ...action.marks };
        return;
      }
      case 'dataset.clone': {
        const [origin = '', snapshot = ''] = (action.dataset.origin ?? '').split('@');
        if (!(this.datasets.get(origin)?.snapshots.includes(snapshot) ?? false))
          fail(`origin ${action.dataset.origin} missing`);
        if (this.datasets.has(action.dataset.name)) fail('dataset already exists');
        this.datasets.set(action.dataset.name, copy(action.dataset));
        return;
      }
      case 'dataset.snapshot': {
        const dataset = this.datasets.get(action.name) ?? fail('no such dataset');
        dataset.snapshots.push(action.snapshot);
        return;
      }
      case 'dataset.destroy':
        return this.destroyDataset(action.name, fail);
      case 'image.build': {
        const [release = '', snapshot = ''] = action.image.releaseSnapshot.split('@');
        if (!(this.datasets.get(release)?.snapshots.includes(snapshot) ?? false))
          fail('release snapshot missing');
        this.images.set(action.image.dataset, copy(action.image));
        this.datasets.set(action.image.dataset, {
          name: action.image.dataset,
          role: 'image',
          origin: action.image.releaseSnapshot,
          properties: {},
          marks: {
            'stockade:managed': 'true',
            'stockade:image': action.image.name,
            'stockade:hash': action.image.hash,
          },
          snapshots: ['ready'],
        });
        return;
      }
      case 'netif.create':
      case 'netif.update':
        this.netifs.set(action.netif.name, copy(action.netif));
        return;
      case 'netif.destroy':
        if ([...this.epairs.values()].includes(action.name)) fail('epairs still attached');
        this.netifs.delete(action.name);
        return;
      case 'file.write':
        if (!this.datasets.has(this.datasetOfJail(action.jail))) fail('jail root missing');
        this.files.set(action.jail, copy(action.files));
        return;
      case 'mount.add': {
        if (!this.datasets.has(this.datasetOfJail(action.jail))) fail('jail root missing');
        const source = action.mount.source.slice(this.mountPrefix.length);
        if (!this.datasets.has(source)) fail(`mount source ${source} missing`);
        const list = (this.mounts.get(action.jail) ?? []).filter(
          (m) => m.target !== action.mount.target,
        );
        this.mounts.set(action.jail, [...list, copy(action.mount)]);
        return;
      }
      case 'epair.create':
        if (!this.netifs.has(action.iface.netif)) fail(`${action.iface.netif} missing`);
        this.epairs.set(action.iface.epair ?? fail('no epair name'), action.iface.netif);
        return;
      case 'jail.create': {
        const jail = action.jail;
        if (!this.datasets.has(jail.dataset)) fail('jail root missing');
        if (this.jails.has(jail.name)) fail('jail exists');
        for (const iface of jail.interfaces) {
          if (iface.epair !== undefined && !this.epairs.has(iface.epair))
            fail(`${iface.epair} missing`);
          if (!this.netifs.has(iface.netif)) fail(`${iface.netif} missing`);
        }
        for (const mount of jail.mounts) {
          if (!(this.mounts.get(jail.name) ?? []).some((m) => m.target === mount.target))
            fail(`${mount.target} not mounted`);
        }
        this.jails.set(jail.name, { ...copy(jail), running: false });
        this.configured.set(jail.name, new Set());
        return;
      }
      case 'jail.configureNetwork':
        if (!this.jails.has(action.jail)) fail('no such jail');
        this.configured.get(action.jail)?.add(action.iface.network);
        return;
      case 'jail.startCommand': {
        const jail = this.jails.get(action.jail) ?? fail('no such jail');
        if (
          jail.interfaces.some((i) => !(this.configured.get(jail.name)?.has(i.network) ?? false))
        ) {
          fail('network not configured');
        }
        for (const dep of jail.dependsOn) {
          if (this.jails.has(dep) && !this.jails.get(dep)?.running)
            fail(`dependency ${dep} not running`);
        }
        jail.running = true;
        return;
      }
      case 'jail.stop': {
        const jail = this.jails.get(action.jail);
        if (jail !== undefined) jail.running = false;
        return;
      }
      case 'epair.destroy':
        if (this.jails.get(action.jail)?.running === true) fail('jail still running');
        this.epairs.delete(action.epair);
        return;
      case 'jail.remove': {
        const jail = this.jails.get(action.jail);
        if (jail?.running === true) fail('jail still running');
        if (jail?.interfaces.some((i) => i.epair !== undefined && this.epairs.has(i.epair)))
          fail('epairs still in jail');
        // A cpuset belongs to the jail instance; rctl rules are keyed by name and stay.
        this.jails.delete(action.jail);
        this.configured.delete(action.jail);
        this.cpusets.delete(action.jail);
        return;
      }
      case 'mount.remove':
        if (this.jails.has(action.jail)) fail('jail still exists');
        this.mounts.set(
          action.jail,
          (this.mounts.get(action.jail) ?? []).filter((m) => m.target !== action.target),
        );
        return;
      case 'rctl.set':
        this.rctl.set(action.jail, copy(action.rules));
        return;
      case 'rctl.clear':
        this.rctl.delete(action.jail);
        return;
      case 'cpuset.set':
        if (!this.jails.has(action.jail)) fail('cpuset needs a running jail');
        if (action.cpus === 'all') this.cpusets.delete(action.jail);
        else this.cpusets.set(action.jail, action.cpus);
        return;
      case 'pf.loadAnchor':
        this.anchors.set(action.anchor, { path: action.anchor, rules: [...action.rules] });
        return;
      case 'pf.flushAnchor':
        this.anchors.delete(action.anchor);
        return;
      case 'pf.replaceTable':
        if (!this.anchors.has(action.anchor)) fail('anchor not loaded');
        this.tables.set(`${action.anchor}:${action.table}`, {
          anchor: action.anchor,
          name: action.table,
          addresses: [...action.addresses],
        });
        return;
      case 'pf.killTable':
        this.tables.delete(`${action.anchor}:${action.table}`);
        return;
      case 'volume.retain':
        // The dataset and its data stay; it is no longer managed, so later plans leave it be.
        if (!this.datasets.has(action.dataset)) fail('no such volume');
        this.retained.set(action.dataset, this.datasets.get(action.dataset) as DatasetNode);
        this.datasets.delete(action.dataset);
        return;
    }
  }

  /** Volumes kept after their manifest went away, by dataset name. */
  readonly retained = new Map<string, DatasetNode>();

  /** The host as the driver would observe it. */
  observe(): Topology {
    const jails: Record<string, JailNode> = {};
    for (const [name, jail] of this.jails) {
      const cpuset = this.cpusets.get(name);
      const { cpuset: _ignored, ...rest } = jail;
      void _ignored;
      jails[name] = {
        ...copy(rest),
        files: copy(this.files.get(name) ?? []),
        mounts: copy(this.mounts.get(name) ?? []),
        rctl: copy(this.rctl.get(name) ?? []),
        ...(cpuset === undefined ? {} : { cpuset }),
      };
    }
    return {
      root: this.root,
      datasets: Object.fromEntries([...this.datasets].map(([k, v]) => [k, copy(v)])),
      images: Object.fromEntries([...this.images].map(([k, v]) => [k, copy(v)])),
      netifs: Object.fromEntries([...this.netifs].map(([k, v]) => [k, copy(v)])),
      jails,
      anchors: Object.fromEntries([...this.anchors].map(([k, v]) => [k, copy(v)])),
      tables: Object.fromEntries([...this.tables].map(([k, v]) => [k, copy(v)])),
      hosts: [],
    };
  }

  private datasetOfJail(jail: string): string {
    return `${this.root}/jails/${jail}`;
  }

  private destroyDataset(name: string, fail: (why: string) => never): void {
    if (!this.datasets.has(name)) fail('no such dataset');
    for (const other of this.datasets.values()) {
      if (other.origin?.startsWith(`${name}@`) === true) fail(`clone ${other.name} depends on it`);
    }
    for (const jail of this.jails.values()) {
      if (jail.dataset === name) fail(`jail ${jail.name} still uses it`);
    }
    const path = `${this.mountPrefix}${name}`;
    for (const [jail, list] of this.mounts) {
      for (const mount of list) {
        if (mount.target.startsWith(`${path}/`) || mount.source === path)
          fail(`${mount.target} of ${jail} still mounted`);
      }
    }
    this.datasets.delete(name);
    this.images.delete(name);
    const jail = name.startsWith(`${this.root}/jails/`)
      ? name.slice(this.root.length + 7)
      : undefined;
    if (jail !== undefined) this.files.delete(jail);
  }
}
