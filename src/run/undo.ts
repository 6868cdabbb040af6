// SPDX-License-Identifier: BSD-2-Clause
// Undoes a failed apply: rolls jail roots back to the rollback point, rolls back the volumes the
// failed commit's own jails could have written, then plans the previous commit's topology
// against a fresh observe and applies it, so nothing the failed commit made is left behind.

import type { PlanStep } from '../plan/types.js';
import { REASONS } from '../status/reasons.js';
import type { Topology } from '../topology/types.js';
import { applyWaves } from './apply-waves.js';
import type { Outcome, RunContext } from './context.js';
import { withDeadline } from './deadline.js';
import { rollbackDatasets } from './rollback-point.js';
import { hostBudget, short, toReported } from './steps-prepare.js';

/**
 * Restores the host to the last applied commit after `failure`. Resolves with RolledBack, or
 * with Failed (RollbackFailed) when restoring failed too; the journal is cleared only when the
 * host is back in the previous state.
 */
export async function undoApply(
  ctx: RunContext,
  failure: { step: string; error: unknown; reason: Outcome['reason'] },
): Promise<Outcome> {
  const { host, config } = ctx.deps;
  const failed = toReported(failure.error);
  const errors = [{ ...failed, step: failure.step }];
  const previous = ctx.applied?.topology ?? emptyTopology(config.zfs.root);
  ctx.log.warn({ step: failure.step, err: failure.error }, 'rolling back');

  try {
    if (ctx.rollbackPoint !== undefined) {
      const trees = rollbackDatasets(config.zfs.root);
      await withDeadline(
        host.rollbackRecursive(trees.jails, ctx.rollbackPoint),
        hostBudget(ctx),
        'zfs rollback',
      );
      for (const volume of volumesWritten(ctx)) {
        await withDeadline(
          host.rollbackRecursive(volume, ctx.rollbackPoint),
          hostBudget(ctx),
          'zfs rollback',
        );
      }
    }
    const observed = await withDeadline(host.observe(), hostBudget(ctx), 'observe');
    ctx.observed = observed;
    // Going back to what ran before is never a prune the operator has to approve.
    const plan = ctx.deps.plan(previous, observed, { maxPruneRatio: 1, allowPruneAll: true });
    const waves = await applyWaves(plan.steps, {
      concurrency: ctx.deps.concurrency ?? 4,
      continueOnError: false,
      applyStep: (step: PlanStep) => withDeadline(host.applyStep(step), hostBudget(ctx), step.id),
    });
    const restoreFailure = waves.failed[0];
    if (restoreFailure !== undefined) throw restoreFailure.error;
    await destroyNewDatasets(ctx, previous);
  } catch (err) {
    ctx.log.error({ err }, 'rollback failed');
    return {
      result: 'Failed',
      reason: REASONS.RollbackFailed,
      message: `step ${failure.step} failed and restoring the previous commit failed too`,
      failedStep: failure.step,
      errors: [...errors, toReported(err)],
    };
  }

  await ctx.store.clearJournal();
  const back =
    ctx.applied === undefined ? 'an empty host' : `commit ${short(ctx.applied.commit.oid)}`;
  return {
    result: 'RolledBack',
    reason: failure.reason,
    message: `${failure.step} failed${failed.command === undefined ? '' : ` (${failed.command})`}; rolled back to ${back}`,
    failedStep: failure.step,
    errors,
  };
}

/**
 * Volume datasets to roll back: those mounted read-write into a jail whose start command this
 * apply ran, because that process ran the failed commit's code against the data. A volume only
 * mounted, or mounted read-only, keeps its data.
 */
export function volumesWritten(ctx: RunContext): string[] {
  const { volumes } = rollbackDatasets(ctx.deps.config.zfs.root);
  const started = new Set<string>();
  for (const id of ctx.completedSteps) {
    const step = ctx.plan?.steps.find((s) => s.id === id);
    if (step?.action.type === 'jail.startCommand') started.add(step.action.jail);
  }
  const datasets = new Set<string>();
  for (const name of started) {
    for (const mount of ctx.desired?.jails[name]?.mounts ?? []) {
      if (!mount.readonly) datasets.add(`${volumes}/${mount.volume}`);
    }
  }
  return [...datasets].sort();
}

/**
 * Datasets the failed apply created (jail roots, volumes) that the previous commit does not
 * have and the restore left behind. They hold nothing older than the failed commit, so this is
 * the one case where an undo destroys a volume; any other volume the previous commit lacks is
 * retained as usual. Children go before parents.
 */
async function destroyNewDatasets(ctx: RunContext, previous: Topology): Promise<void> {
  const observed = await withDeadline(ctx.deps.host.observe(), hostBudget(ctx), 'observe');
  const created = ctx.completedSteps.flatMap((id) => {
    const action = ctx.plan?.steps.find((s) => s.id === id)?.action;
    const isCreate = action?.type === 'dataset.create' || action?.type === 'dataset.clone';
    return isCreate ? [action.dataset.name] : [];
  });
  const leftovers = created
    .filter((name) => previous.datasets[name] === undefined && observed.topology.datasets[name])
    .sort((a, b) => b.length - a.length || a.localeCompare(b));
  for (const name of leftovers) {
    const destroy: PlanStep = {
      id: `dataset.destroy:${name}`,
      action: { type: 'dataset.destroy', name },
      target: name,
      resource: 'dataset',
      symbol: '-',
      reason: { kind: 'removed' },
      dependsOn: [],
      wave: 0,
      destructive: true,
    };
    await withDeadline(ctx.deps.host.applyStep(destroy), hostBudget(ctx), destroy.id);
    ctx.log.info({ dataset: name }, 'dataset of the failed commit destroyed');
  }
}

/** The topology of a host that runs nothing of Stockade's. */
export function emptyTopology(root: string): Topology {
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
