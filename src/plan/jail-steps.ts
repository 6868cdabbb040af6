// SPDX-License-Identifier: BSD-2-Clause
// The step sequences of one jail: creation (root clone, files, mounts, epairs, the jail, its
// network, limits, start), teardown in the reference's order (stop, epairs back and destroyed,
// remove, unmount, limits cleared, root destroyed), and in-place updates. Pure.

import type { DatasetNode, JailNode, Topology } from '../topology/types.js';
import { stepId, type StepList } from './step-list.js';
import type { ChangeReason, ChangeSymbol } from './types.js';

/** Common fields of every step of one jail change. */
export interface JailStepContext {
  steps: StepList;
  reason: ChangeReason;
  symbol: ChangeSymbol;
  destructive: boolean;
}

/**
 * Adds the creation sequence of `jail` and returns the id of its start step. With `existing`
 * the root dataset is already there (a stopped jail brought back), so no clone is made.
 */
export function addJailCreate(
  context: JailStepContext,
  jail: JailNode,
  desired: Topology,
  options: { after?: string; existing?: boolean } = {},
): string {
  const { steps } = context;
  const base = {
    target: jail.name,
    reason: context.reason,
    symbol: context.symbol,
    destructive: context.destructive,
  };
  const imageDataset = jail.image.split('@')[0] ?? jail.image;
  let previous: string[] = options.after === undefined ? [] : [options.after];

  if (options.existing !== true) {
    const dataset = desired.datasets[jail.dataset] as DatasetNode;
    const clone = steps.add({
      ...base,
      action: { type: 'dataset.clone', dataset },
      key: jail.dataset,
      target: jail.dataset,
      resource: 'jail',
      dependsOn: [
        ...previous,
        stepId('image.build', imageDataset),
        stepId('dataset.create', desired.root),
      ],
    });
    previous = [clone];
  }

  const files = steps.add({
    ...base,
    action: { type: 'file.write', jail: jail.name, root: jail.path, files: jail.files },
    key: jail.name,
    resource: 'jail',
    dependsOn: previous,
  });

  const mounts = jail.mounts.map((mount) =>
    steps.add({
      ...base,
      action: { type: 'mount.add', jail: jail.name, mount },
      key: `${jail.name}:${mount.target}`,
      resource: 'volume',
      dependsOn: [files, stepId('dataset.create', `${desired.root}/volumes/${mount.volume}`)],
    }),
  );
  const beforeNetwork = mounts.length > 0 ? mounts : [files];

  const epairs: string[] = [];
  for (const iface of jail.interfaces) {
    if (iface.epair === undefined) continue;
    epairs.push(
      steps.add({
        ...base,
        action: { type: 'epair.create', jail: jail.name, iface },
        key: `${jail.name}:${iface.network}`,
        resource: 'network',
        dependsOn: [...beforeNetwork, stepId('netif.create', iface.netif)],
      }),
    );
  }

  const shared = jail.interfaces
    .filter((i) => i.epair === undefined)
    .map((i) => stepId('netif.create', i.netif));
  const create = steps.add({
    ...base,
    action: { type: 'jail.create', jail },
    key: jail.name,
    resource: 'jail',
    dependsOn: [...(epairs.length > 0 ? epairs : beforeNetwork), ...shared],
  });

  const configured = jail.interfaces.map((iface) =>
    steps.add({
      ...base,
      action: { type: 'jail.configureNetwork', jail: jail.name, iface },
      key: `${jail.name}:${iface.network}`,
      resource: 'network',
      dependsOn: [create],
    }),
  );
  const beforeLimits = configured.length > 0 ? configured : [create];

  const limits: string[] = [];
  if (jail.rctl.length > 0) {
    limits.push(
      steps.add({
        ...base,
        action: { type: 'rctl.set', jail: jail.name, rules: jail.rctl },
        key: jail.name,
        resource: 'limits',
        dependsOn: beforeLimits,
      }),
    );
  }
  if (jail.cpuset !== undefined) {
    limits.push(
      steps.add({
        ...base,
        action: { type: 'cpuset.set', jail: jail.name, cpus: jail.cpuset },
        key: jail.name,
        resource: 'limits',
        dependsOn: beforeLimits,
      }),
    );
  }

  // A jail starts after the jails it depends on have started, when they are in this plan.
  return steps.add({
    ...base,
    action: { type: 'jail.startCommand', jail: jail.name, command: jail.command, env: jail.env },
    key: jail.name,
    resource: 'jail',
    dependsOn: [
      ...(limits.length > 0 ? limits : beforeLimits),
      ...jail.dependsOn.map((d) => stepId('jail.startCommand', d)),
    ],
  });
}

/**
 * Adds the teardown sequence of `jail` as observed on the host and returns the id of the step
 * that destroys its root dataset. The root goes last, after every mount under it is gone, so a
 * volume is never deleted through a still-mounted path.
 */
export function addJailRemove(
  context: JailStepContext,
  jail: JailNode,
  options: { after?: (string | undefined)[] } = {},
): string {
  const { steps } = context;
  const base = {
    target: jail.name,
    reason: context.reason,
    symbol: context.symbol,
    destructive: context.destructive,
  };
  const stop = steps.add({
    ...base,
    action: {
      type: 'jail.stop',
      jail: jail.name,
      ...(jail.jid === undefined ? {} : { jid: jail.jid }),
    },
    key: jail.name,
    resource: 'jail',
    dependsOn: options.after ?? [],
  });

  // Interfaces leave the jail and are destroyed before the jail is removed.
  const epairs: string[] = [];
  for (const iface of jail.interfaces) {
    if (iface.epair === undefined) continue;
    epairs.push(
      steps.add({
        ...base,
        action: { type: 'epair.destroy', jail: jail.name, epair: iface.epair },
        key: `${jail.name}:${iface.network}`,
        resource: 'network',
        dependsOn: [stop],
      }),
    );
  }

  const remove = steps.add({
    ...base,
    action: {
      type: 'jail.remove',
      jail: jail.name,
      ...(jail.jid === undefined ? {} : { jid: jail.jid }),
    },
    key: jail.name,
    resource: 'jail',
    dependsOn: epairs.length > 0 ? epairs : [stop],
  });

  const after = jail.mounts.map((mount) =>
    steps.add({
      ...base,
      action: { type: 'mount.remove', jail: jail.name, target: mount.target },
      key: `${jail.name}:${mount.target}`,
      resource: 'volume',
      dependsOn: [remove],
    }),
  );

  // rctl rules are keyed by jail name and outlive the jail, so they are cleared explicitly.
  if (jail.rctl.length > 0) {
    after.push(
      steps.add({
        ...base,
        action: { type: 'rctl.clear', jail: jail.name },
        key: jail.name,
        resource: 'limits',
        dependsOn: [remove],
      }),
    );
  }

  return steps.add({
    ...base,
    action: { type: 'dataset.destroy', name: jail.dataset },
    key: jail.dataset,
    target: jail.dataset,
    resource: 'jail',
    dependsOn: after.length > 0 ? after : [remove],
  });
}
