// SPDX-License-Identifier: BSD-2-Clause
// Plan steps for the shared objects of a node: datasets and volumes, images, network
// interfaces, pf anchors and tables. Each adds its steps with the dependencies that keep a
// host consistent (an origin outlives its clones, a bridge outlives its jails). Pure.

import type {
  AnchorChange,
  DatasetChange,
  ImageChange,
  NetifChange,
  TableChange,
} from '../diff/diff.js';
import type { DatasetNode, Topology } from '../topology/types.js';
import { stripPrefix } from '../topology/addresses.js';
import { stepId, type StepList } from './step-list.js';

/** Name of the snapshot taken of a volume before a Delete reclaim policy destroys it. */
export const VOLUME_DELETE_SNAPSHOT = 'pre-delete';

/** True for a volume whose reclaim policy keeps it when its manifest goes away. */
export function isRetained(dataset: DatasetNode | undefined): boolean {
  if (dataset?.role !== 'volume') return false;
  return (dataset.reclaimPolicy ?? dataset.marks['stockade:reclaim'] ?? 'Retain') !== 'Delete';
}

/** Steps that create, update or remove a root, release or volume dataset. */
export function addDatasetSteps(
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

/** Steps that build a new image or destroy one no jail is cloned from any more. */
export function addImageSteps(steps: StepList, change: ImageChange, observed: Topology): void {
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

/** Steps that create, update or destroy a bridge or loopback. */
export function addNetifSteps(steps: StepList, change: NetifChange, observed: Topology): void {
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

/** Steps that load or flush a pf anchor. */
export function addAnchorSteps(steps: StepList, change: AnchorChange): void {
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

/** Steps that replace or kill a pf table. */
export function addTableSteps(steps: StepList, change: TableChange, desired: Topology): void {
  const reason = change.reasons[0] ?? { kind: 'new' };
  const base = { key: change.name, target: change.name, resource: 'pf', reason } as const;
  if (change.desired !== undefined) {
    const table = change.desired;
    // New endpoints join the table once they have started.
    const members = new Set(table.addresses);
    const joining = Object.values(desired.jails)
      .filter((j) => {
        const address = j.interfaces[0]?.address;
        return address !== undefined && members.has(stripPrefix(address));
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
