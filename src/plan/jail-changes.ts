// SPDX-License-Identifier: BSD-2-Clause
// Plan steps for one jail change: creation, removal (after its dependants and after it left its
// service tables), replacement behind a snapshot, and in-place updates of files, the shared
// /etc/hosts, limits and a stopped jail. Pure.

import type { JailChange } from '../diff/diff.js';
import { stripPrefix } from '../topology/addresses.js';
import type { JailNode, Topology } from '../topology/types.js';
import { addJailCreate, addJailRemove, type JailStepContext } from './jail-steps.js';
import { stepId, type StepList } from './step-list.js';
import type { ChangeReason, ChangeSymbol } from './types.js';

/** Name of the snapshot taken of a jail root before it is replaced. */
export function replaceSnapshotName(jail: JailNode): string {
  return `pre-replace-${jail.specHash}`;
}

/** What addJailSteps needs besides the change. */
export interface JailPlanContext {
  steps: StepList;
  desired: Topology;
  observed: Topology;
  /** Jails this plan removes (not replaces). */
  removedJails: Set<string>;
  warnings: string[];
  /** The reason given to every /etc/hosts rewrite, worked out on first use. */
  hostsReason: () => ChangeReason;
}

/**
 * What changes in every jail's /etc/hosts: the `name=addresses` lines that go and come.
 */
export function hostsReason(desired: Topology, observed: Topology): ChangeReason {
  const before = hostLines(observed);
  const after = hostLines(desired);
  return {
    kind: 'changed',
    field: 'hosts',
    from: [...before].filter((line) => !after.has(line)).sort(),
    to: [...after].filter((line) => !before.has(line)).sort(),
  };
}

/** Steps for `change`; false when it plans nothing (drift that selfHeal leaves alone). */
export function addJailSteps(plan: JailPlanContext, change: JailChange): boolean {
  const { steps, desired, observed, removedJails, warnings } = plan;
  const hostsOnly =
    change.reasons.length > 0 &&
    change.reasons.every((r) => r.kind === 'changed' && r.field === 'hosts');
  const reason = hostsOnly ? plan.hostsReason() : (change.reasons[0] ?? { kind: 'new' });
  const sequence = (symbol: ChangeSymbol, destructive: boolean): JailStepContext => ({
    steps,
    reason,
    symbol,
    destructive,
  });

  if (change.op === 'create' && change.desired !== undefined) {
    addJailCreate(sequence('+', false), change.desired, desired);
    return true;
  }

  if (change.op === 'destroy' && change.observed !== undefined) {
    const jail = change.observed;
    // Dependants stop first, and the jail leaves its service tables before it stops.
    const dependants = Object.values(observed.jails)
      .filter((j) => removedJails.has(j.name) && j.dependsOn.includes(jail.name))
      .map((j) => stepId('jail.stop', j.name));
    const drains = tablesDropping(jail, desired, observed);
    addJailRemove(sequence('-', true), jail, { after: [...dependants, ...drains] });
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
    const removed = addJailRemove(sequence('-/+', true), old, { after: [snapshot] });
    addJailCreate(sequence('-/+', true), change.desired, desired, { after: removed });
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

  const ctx = sequence('~', false);
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
  if (update.files || update.hosts) {
    steps.add({
      ...base,
      action: { type: 'file.write', jail: jail.name, root: jail.path, files: jail.files },
      resource: 'jail',
    });
  }
  if (update.rctl) {
    steps.add({
      ...base,
      reason: fieldReason(change.reasons, 'rctl') ?? reason,
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
      reason: fieldReason(change.reasons, 'cpuset') ?? reason,
      action: { type: 'cpuset.set', jail: jail.name, cpus: jail.cpuset ?? 'all' },
      resource: 'limits',
    });
  }
  return true;
}

/**
 * The reason about `field` among a jail's reasons, so a limits step does not carry the reason of
 * the /etc/hosts rewrite that happened to come first. A drift reason names its field first.
 */
function fieldReason(reasons: ChangeReason[], field: string): ChangeReason | undefined {
  return reasons.find((r) =>
    r.kind === 'changed'
      ? r.field === field
      : r.kind === 'drift' && r.detail.startsWith(`${field} `),
  );
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

function hostLines(topology: Topology): Set<string> {
  const lines = new Set<string>();
  for (const jail of Object.values(topology.jails)) {
    const address = jail.interfaces[0]?.address;
    if (address !== undefined) lines.add(`${jail.hostname}=${stripPrefix(address)}`);
  }
  for (const entry of topology.hosts) lines.add(`${entry.name}=${entry.addresses.join(',')}`);
  return lines;
}
