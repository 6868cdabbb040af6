// SPDX-License-Identifier: BSD-2-Clause
// Turns the difference between a desired and an observed topology into an ordered plan of host
// steps with explicit dependencies and parallel waves, guarded against mass removal. Pure: the
// same inputs always give the same plan, byte for byte.

import { PruneGuardError } from '../errors/prune-guard-error.js';
import {
  diffTopology,
  type AnchorChange,
  type Change,
  type DatasetChange,
  type ImageChange,
  type JailChange,
  type NetifChange,
  type TableChange,
} from '../diff/diff.js';
import type { DatasetNode, JailNode, Topology } from '../topology/types.js';
import { addJailCreate, addJailRemove, type JailStepContext } from './jail-steps.js';
import { stepId, StepList } from './step-list.js';
import type { ChangeSymbol, Plan, PlanChange, ResourceKind } from './types.js';

/** Options of planChanges. */
export interface PlanOptions {
  /** Largest share (0..1) of managed jails one plan may remove. */
  maxPruneRatio: number;
  /** Lift the prune guard entirely. */
  allowPruneAll: boolean;
  /** The topology last applied, so that host differences are reported as drift. */
  applied?: Topology;
}

/** Name of the snapshot taken of a jail root before it is replaced. */
export function replaceSnapshotName(jail: JailNode): string {
  return `pre-replace-${jail.specHash}`;
}

/** Name of the snapshot taken of a volume before a Delete reclaim policy destroys it. */
export const VOLUME_DELETE_SNAPSHOT = 'pre-delete';

/**
 * The plan that converges `observed` to `desired`. Unchanged objects produce no steps. Throws
 * PruneGuardError (code PRUNE_GUARD) when the plan would remove every managed jail, or more
 * than `maxPruneRatio` of them, unless `allowPruneAll`.
 */
export function planChanges(desired: Topology, observed: Topology, options: PlanOptions): Plan {
  const changes = diffTopology(
    desired,
    observed,
    options.applied ? { applied: options.applied } : {},
  );
  guardPrune(changes, observed, options);

  const steps = new StepList();
  const warnings: string[] = [];
  const planned: Change[] = [];
  const removedJails = new Set(
    changes.filter((c) => c.object === 'jail' && c.op === 'destroy').map((c) => c.name),
  );

  for (const change of changes) {
    switch (change.object) {
      case 'dataset':
        addDatasetSteps(steps, change, observed, warnings);
        break;
      case 'image':
        addImageSteps(steps, change, observed);
        break;
      case 'netif':
        addNetifSteps(steps, change, observed);
        break;
      case 'jail':
        if (!addJailSteps(steps, change, desired, observed, removedJails, warnings)) continue;
        break;
      case 'anchor':
        addAnchorSteps(steps, change);
        break;
      case 'table':
        addTableSteps(steps, change, desired);
        break;
    }
    planned.push(change);
  }

  const planChangesList = planned.map(describeChange);
  return {
    steps: steps.finish(),
    changes: planChangesList,
    warnings,
    summary: {
      create: planChangesList.filter((c) => c.symbol === '+').length,
      change: planChangesList.filter((c) => c.symbol === '~').length,
      destroy: planChangesList.filter((c) => c.symbol === '-').length,
      replace: planChangesList.filter((c) => c.symbol === '-/+').length,
    },
  };
}

/** Throws PruneGuardError when the removals go past what the policy allows. */
export function guardPrune(changes: Change[], observed: Topology, options: PlanOptions): void {
  const managed = Object.keys(observed.jails).length;
  const removing = changes.filter((c) => c.object === 'jail' && c.op === 'destroy').length;
  if (removing === 0 || options.allowPruneAll) return;

  const ratio = removing / managed;
  if (removing === managed || ratio > options.maxPruneRatio) {
    throw new PruneGuardError({ removing, managed, ratio, maxPruneRatio: options.maxPruneRatio });
  }
}

const SYMBOLS: Record<Change['op'], ChangeSymbol> = {
  create: '+',
  update: '~',
  destroy: '-',
  replace: '-/+',
};

function describeChange(change: Change): PlanChange {
  const retained =
    change.object === 'dataset' && change.op === 'destroy' && isRetained(change.observed);
  return {
    resource: resourceOf(change),
    name: change.name,
    symbol: retained ? '~' : SYMBOLS[change.op],
    reasons: change.reasons,
  };
}

function resourceOf(change: Change): ResourceKind {
  switch (change.object) {
    case 'dataset':
      return (change.desired ?? change.observed)?.role === 'volume' ? 'volume' : 'dataset';
    case 'image':
      return 'image';
    case 'netif':
      return 'network';
    case 'jail':
      return 'jail';
    default:
      return 'pf';
  }
}

function isRetained(dataset: DatasetNode | undefined): boolean {
  if (dataset?.role !== 'volume') return false;
  return (dataset.reclaimPolicy ?? dataset.marks['stockade:reclaim'] ?? 'Retain') !== 'Delete';
}

function addDatasetSteps(
  steps: StepList,
  change: DatasetChange,
  observed: Topology,
  warnings: string[],
): void {
  const reason = change.reasons[0] ?? { kind: 'new' };
  const volume = (change.desired ?? change.observed)?.role === 'volume';
  const base = {
    target: change.name,
    reason,
    resource: volume ? 'volume' : 'dataset',
    destructive: false,
  } as const;

  if (change.op === 'create') {
    const dataset = change.desired as DatasetNode;
    const parent =
      dataset.role === 'root'
        ? undefined
        : stepId('dataset.create', dataset.name.split('/').slice(0, -2).join('/'));
    steps.add({
      ...base,
      action: { type: 'dataset.create', dataset },
      key: change.name,
      symbol: '+',
      dependsOn: [parent],
    });
    return;
  }

  if (change.op === 'update') {
    const dataset = change.desired as DatasetNode;
    steps.add({
      ...base,
      action: {
        type: 'dataset.update',
        name: dataset.name,
        properties: dataset.properties,
        marks: dataset.marks,
      },
      key: change.name,
      symbol: '~',
    });
    return;
  }

  const dataset = change.observed as DatasetNode;
  if (dataset.role === 'release') {
    const images = Object.values(observed.images).filter((i) =>
      i.releaseSnapshot.startsWith(`${dataset.name}@`),
    );
    steps.add({
      ...base,
      action: { type: 'dataset.destroy', name: dataset.name },
      key: dataset.name,
      symbol: '-',
      destructive: true,
      dependsOn: images.map((i) => stepId('dataset.destroy', i.dataset)),
    });
    return;
  }

  // A volume leaves only after every jail that mounted it let go of it.
  const volumeName = dataset.name.slice(dataset.name.lastIndexOf('/') + 1);
  const unmounts = Object.values(observed.jails).flatMap((j) =>
    j.mounts
      .filter((m) => m.volume === volumeName)
      .map((m) => stepId('mount.remove', `${j.name}:${m.target}`)),
  );
  if (isRetained(dataset)) {
    steps.add({
      ...base,
      action: { type: 'volume.retain', name: volumeName, dataset: dataset.name },
      key: volumeName,
      symbol: '~',
      dependsOn: unmounts,
    });
    warnings.push(`volume '${volumeName}' left the repository and is retained: ${dataset.name}`);
    return;
  }

  const snapshot = steps.add({
    ...base,
    action: { type: 'dataset.snapshot', name: dataset.name, snapshot: VOLUME_DELETE_SNAPSHOT },
    key: `${dataset.name}@${VOLUME_DELETE_SNAPSHOT}`,
    symbol: '-',
    destructive: true,
    dependsOn: unmounts,
  });
  steps.add({
    ...base,
    action: { type: 'dataset.destroy', name: dataset.name },
    key: dataset.name,
    symbol: '-',
    destructive: true,
    dependsOn: [snapshot],
  });
}

function addImageSteps(steps: StepList, change: ImageChange, observed: Topology): void {
  const reason = change.reasons[0] ?? { kind: 'new' };
  if (change.op === 'create' && change.desired !== undefined) {
    const image = change.desired;
    steps.add({
      action: { type: 'image.build', image },
      key: image.dataset,
      target: image.dataset,
      resource: 'image',
      symbol: '+',
      reason,
      destructive: false,
      dependsOn: [
        stepId('dataset.create', image.releaseSnapshot.split('@')[0] ?? ''),
        stepId('dataset.create', image.dataset.split('/').slice(0, -2).join('/')),
      ],
    });
    return;
  }

  // An image dataset goes after every jail root cloned from it (a clone blocks its origin).
  const image = change.observed;
  if (image === undefined) return;
  const clones = Object.values(observed.jails).filter((j) => j.image === `${image.dataset}@ready`);
  steps.add({
    action: { type: 'dataset.destroy', name: image.dataset },
    key: image.dataset,
    target: image.dataset,
    resource: 'image',
    symbol: '-',
    reason,
    destructive: true,
    dependsOn: clones.map((j) => stepId('dataset.destroy', j.dataset)),
  });
}

function addNetifSteps(steps: StepList, change: NetifChange, observed: Topology): void {
  const reason = change.reasons[0] ?? { kind: 'new' };
  const base = { key: change.name, target: change.name, resource: 'network', reason } as const;
  if (change.op === 'create' && change.desired !== undefined) {
    steps.add({
      ...base,
      action: { type: 'netif.create', netif: change.desired },
      symbol: '+',
      destructive: false,
    });
    return;
  }
  if (change.op === 'update' && change.desired !== undefined) {
    steps.add({
      ...base,
      action: { type: 'netif.update', netif: change.desired },
      symbol: '~',
      destructive: false,
    });
    return;
  }

  // A bridge or loopback goes after every jail attached to it has been removed.
  const users = Object.values(observed.jails).filter((j) =>
    j.interfaces.some((i) => i.netif === change.name),
  );
  steps.add({
    ...base,
    action: { type: 'netif.destroy', name: change.name },
    symbol: '-',
    destructive: true,
    dependsOn: users.map((j) => stepId('jail.remove', j.name)),
  });
}

function addJailSteps(
  steps: StepList,
  change: JailChange,
  desired: Topology,
  observed: Topology,
  removedJails: Set<string>,
  warnings: string[],
): boolean {
  const reason = change.reasons[0] ?? { kind: 'new' };
  const context = (symbol: ChangeSymbol, destructive: boolean): JailStepContext => ({
    steps,
    reason,
    symbol,
    destructive,
  });

  if (change.op === 'create' && change.desired !== undefined) {
    addJailCreate(context('+', false), change.desired, desired);
    return true;
  }

  if (change.op === 'destroy' && change.observed !== undefined) {
    const jail = change.observed;
    // Dependants stop first, and the jail leaves its service tables before it stops.
    const dependants = Object.values(observed.jails)
      .filter((j) => removedJails.has(j.name) && j.dependsOn.includes(jail.name))
      .map((j) => stepId('jail.stop', j.name));
    const drains = tablesDropping(jail, desired, observed);
    addJailRemove(context('-', true), jail, { after: [...dependants, ...drains] });
    return true;
  }

  if (change.op === 'replace' && change.desired !== undefined && change.observed !== undefined) {
    const old = change.observed;
    const snapshot = steps.add({
      action: { type: 'dataset.snapshot', name: old.dataset, snapshot: replaceSnapshotName(old) },
      key: `${old.dataset}@${replaceSnapshotName(old)}`,
      target: old.dataset,
      resource: 'jail',
      symbol: '-/+',
      reason,
      destructive: true,
    });
    const removed = addJailRemove(context('-/+', true), old, { after: [snapshot] });
    addJailCreate(context('-/+', true), change.desired, desired, { after: removed });
    return true;
  }

  const update = change.update;
  const jail = change.desired;
  if (update === undefined || jail === undefined) return false;
  if (!jail.selfHeal && change.reasons.every((r) => r.kind === 'drift')) {
    warnings.push(
      `jail '${jail.name}' drifted and selfHeal is off: ${change.reasons.map((r) => (r.kind === 'drift' ? r.detail : r.kind)).join('; ')}`,
    );
    return false;
  }

  const ctx = context('~', false);
  if (update.start) {
    addJailCreate(ctx, jail, desired, { existing: true });
    return true;
  }
  const base = {
    target: jail.name,
    key: jail.name,
    reason,
    symbol: '~',
    destructive: false,
  } as const;
  if (update.files) {
    steps.add({
      ...base,
      action: { type: 'file.write', jail: jail.name, root: jail.path, files: jail.files },
      resource: 'jail',
    });
  }
  if (update.rctl) {
    steps.add({
      ...base,
      action:
        jail.rctl.length > 0
          ? { type: 'rctl.set', jail: jail.name, rules: jail.rctl }
          : { type: 'rctl.clear', jail: jail.name },
      resource: 'limits',
    });
  }
  if (update.cpuset) {
    steps.add({
      ...base,
      action: { type: 'cpuset.set', jail: jail.name, cpus: jail.cpuset ?? 'all' },
      resource: 'limits',
    });
  }
  return true;
}

function tablesDropping(jail: JailNode, desired: Topology, observed: Topology): string[] {
  const address = jail.interfaces[0]?.address.split('/')[0];
  if (address === undefined) return [];

  return Object.entries(observed.tables)
    .filter(
      ([key, table]) =>
        table.addresses.includes(address) &&
        !(desired.tables[key]?.addresses.includes(address) ?? false),
    )
    .map(([key]) => stepId('pf.replaceTable', key));
}

function addAnchorSteps(steps: StepList, change: AnchorChange): void {
  const reason = change.reasons[0] ?? { kind: 'new' };
  const base = { key: change.name, target: change.name, resource: 'pf', reason } as const;
  if (change.desired !== undefined) {
    const { path, rules } = change.desired;
    steps.add({
      ...base,
      action: { type: 'pf.loadAnchor', anchor: path, rules },
      symbol: change.op === 'create' ? '+' : '~',
      destructive: false,
    });
    return;
  }
  steps.add({
    ...base,
    action: { type: 'pf.flushAnchor', anchor: change.name },
    symbol: '-',
    destructive: true,
  });
}

function addTableSteps(steps: StepList, change: TableChange, desired: Topology): void {
  const reason = change.reasons[0] ?? { kind: 'new' };
  const base = { key: change.name, target: change.name, resource: 'pf', reason } as const;
  if (change.desired !== undefined) {
    const table = change.desired;
    // New endpoints join the table once they have started.
    const joining = Object.values(desired.jails)
      .filter((j) => {
        const address = j.interfaces[0]?.address.split('/')[0];
        return address !== undefined && table.addresses.includes(address);
      })
      .map((j) => stepId('jail.startCommand', j.name));
    steps.add({
      ...base,
      action: {
        type: 'pf.replaceTable',
        anchor: table.anchor,
        table: table.name,
        addresses: table.addresses,
      },
      symbol: change.op === 'create' ? '+' : '~',
      destructive: false,
      dependsOn: [stepId('pf.loadAnchor', table.anchor), ...joining],
    });
    return;
  }

  const table = change.observed;
  if (table === undefined) return;
  steps.add({
    ...base,
    action: { type: 'pf.killTable', anchor: table.anchor, table: table.name },
    symbol: '-',
    destructive: true,
    dependsOn: [stepId('pf.flushAnchor', table.anchor)],
  });
}
