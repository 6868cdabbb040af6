// SPDX-License-Identifier: BSD-2-Clause
// Turns the difference between a desired and an observed topology into an ordered plan of host
// steps with explicit dependencies and parallel waves, guarded against mass removal. Pure: the
// same inputs always give the same plan, byte for byte.

import { PruneGuardError } from '../errors/prune-guard-error.js';
import { diffTopology, type Change } from '../diff/diff.js';
import type { Topology } from '../topology/types.js';
import { addJailSteps, hostsReason } from './jail-changes.js';
import {
  addAnchorSteps,
  addDatasetSteps,
  addImageSteps,
  addNetifSteps,
  addTableSteps,
  isRetained,
} from './object-steps.js';
import { StepList } from './step-list.js';
import type { ChangeReason, ChangeSymbol, Plan, PlanChange, ResourceKind } from './types.js';

export { replaceSnapshotName } from './jail-changes.js';
export { VOLUME_DELETE_SNAPSHOT } from './object-steps.js';

/** Name of the plan line that stands for every jail's /etc/hosts. */
export const HOSTS_CHANGE_NAME = '/etc/hosts';

/** Options of planChanges. */
export interface PlanOptions {
  /** Largest share (0..1) of managed jails one plan may remove. */
  maxPruneRatio: number;
  /** Lift the prune guard entirely. */
  allowPruneAll: boolean;
  /** The topology last applied, so that host differences are reported as drift. */
  applied?: Topology;
}

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
  const listed: PlanChange[] = [];
  const jailContext = {
    steps,
    desired,
    observed,
    warnings,
    removedJails: new Set(
      changes.filter((c) => c.object === 'jail' && c.op === 'destroy').map((c) => c.name),
    ),
    hostsReason: lazyHostsReason(desired, observed),
  };

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
        // A jail whose only change is the shared /etc/hosts is shown once, as that file.
        if (!addJailSteps(jailContext, change) || isHostsOnly(change.reasons)) continue;
        break;
      case 'anchor':
        addAnchorSteps(steps, change);
        break;
      case 'table':
        addTableSteps(steps, change, desired);
        break;
    }
    listed.push(describeChange(change));
  }

  if (changes.some((c) => c.object === 'jail' && c.update?.hosts === true)) {
    listed.push({
      resource: 'network',
      name: HOSTS_CHANGE_NAME,
      symbol: '~',
      reasons: [jailContext.hostsReason()],
    });
  }
  return {
    steps: steps.finish(),
    changes: listed,
    warnings,
    summary: {
      create: listed.filter((c) => c.symbol === '+').length,
      change: listed.filter((c) => c.symbol === '~').length,
      destroy: listed.filter((c) => c.symbol === '-').length,
      replace: listed.filter((c) => c.symbol === '-/+').length,
    },
  };
}

function lazyHostsReason(desired: Topology, observed: Topology): () => ChangeReason {
  let reason: ChangeReason | undefined;
  return () => (reason ??= hostsReason(desired, observed));
}

function isHostsOnly(reasons: ChangeReason[]): boolean {
  return reasons.every((r) => r.kind === 'changed' && r.field === 'hosts');
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
    reasons: change.reasons.filter((r) => !(r.kind === 'changed' && r.field === 'hosts')),
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
