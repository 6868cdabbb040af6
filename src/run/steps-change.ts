// SPDX-License-Identifier: BSD-2-Clause
// The steps of a run that change the host: rollback point, apply, health gate and record. A
// failure here is returned as an outcome with `undo`, and the engine rolls the host back.

import { HealthGateError } from '../errors/health-gate-error.js';
import type { StepAction } from '../plan/types.js';
import { REASONS } from '../status/reasons.js';
import { applyWaves } from './apply-waves.js';
import type { RunContext, Step } from './context.js';
import { withDeadline } from './deadline.js';
import { runHealthGate } from './health-gate.js';
import { existingTrees, pruneRollbackPoints, rollbackPointName } from './rollback-point.js';
import type { AppliedState } from './state-store.js';
import { hostBudget, short } from './steps-prepare.js';

/** Snapshots the jails and volumes trees at once, after writing the point to the journal. */
export const rollbackPointStep: Step = {
  phase: 'rollback-point',
  async run(ctx) {
    const { root } = ctx.deps.config.zfs;
    const existing = existingTrees(ctx.observed!, root);
    // Resuming the same commit after a crash: its rollback point still holds the state before it.
    const earlier =
      ctx.recovered?.commit === ctx.commit!.oid ? ctx.recovered.rollbackPoint : undefined;
    if (earlier !== undefined) {
      ctx.rollbackPoint = earlier;
      await writeJournal(ctx);
      return undefined;
    }
    // On a fresh host neither tree exists yet and there is nothing to roll back to.
    if (existing.length === 0) {
      await writeJournal(ctx);
      return undefined;
    }
    ctx.rollbackPoint = rollbackPointName(ctx.commit!.oid, ctx.deps.clock.now());
    await writeJournal(ctx);
    await withDeadline(
      ctx.deps.host.snapshotRecursive(existing, ctx.rollbackPoint),
      hostBudget(ctx),
      'zfs snapshot',
    );
    ctx.log.info(
      { dataset: existing.join(' '), action: ctx.rollbackPoint },
      'rollback point taken',
    );
    return undefined;
  },
};

/** Runs the plan wave by wave. */
export const applyStep: Step = {
  phase: 'apply',
  async run(ctx) {
    await writeJournal(ctx);
    // A boot run re-applies the commit the host already ran: keep every independent jail going.
    const boot = ctx.options.boot === true && ctx.applied?.commit.oid === ctx.commit!.oid;
    const waves = await applyWaves(ctx.plan!.steps, {
      concurrency: ctx.deps.concurrency ?? 4,
      continueOnError: boot,
      signal: ctx.options.signal,
      applyStep: async (step) => {
        const jail = jailOf(step.action);
        const log = ctx.log.child(jail === undefined ? { step: step.id } : { step: step.id, jail });
        await withDeadline(ctx.deps.host.applyStep(step), hostBudget(ctx), step.id);
        log.info({ action: step.action.type }, 'step applied');
      },
    });
    ctx.completedSteps.push(...waves.completed);
    for (const { step, error } of waves.failed) {
      ctx.log.error({ step: step.id, err: error }, 'step failed');
    }

    if (waves.aborted) return undefined;
    const first = waves.failed[0];
    if (first === undefined) return undefined;
    if (!boot)
      return {
        ...failure(first.step.id),
        undo: { step: first.step.id, error: first.error, reason: REASONS.StepFailed },
      };

    for (const { step } of waves.failed) markJail(ctx, step.id, 'failed');
    for (const id of waves.blocked) markJail(ctx, id, 'blocked');
    return {
      result: 'Failed',
      reason: REASONS.JailsFailed,
      message: `${waves.failed.length} step(s) failed at start; independent jails were started`,
      failedStep: first.step.id,
    };
  },
};

/** Waits for every jail with a health check to pass it. */
export const healthStep: Step = {
  phase: 'health',
  async run(ctx) {
    await writeJournal(ctx);
    const jails = Object.values(ctx.desired!.jails).flatMap((jail) => {
      const check = ctx.healthChecks.get(jail.manifest);
      return check === undefined ? [] : [{ jail, check }];
    });
    const verdicts = await runHealthGate({
      jails,
      probe: ctx.deps.probe,
      clock: ctx.deps.clock,
      defaultBudgetMs: ctx.deadlines.healthMs,
      signal: ctx.options.signal,
    });
    // An abort is not a verdict: the engine reports it and the next run gates again.
    if (ctx.options.signal?.aborted === true) return undefined;
    for (const v of verdicts) ctx.health.set(v.jail, v.healthy ? 'healthy' : 'unhealthy');
    const sick = verdicts.find((v) => !v.healthy);
    if (sick === undefined) return undefined;

    const step = `health:${sick.jail}`;
    return {
      ...failure(step),
      undo: {
        step,
        error: new HealthGateError(sick.jail, sick.attempts),
        reason: REASONS.HealthCheckFailed,
      },
    };
  },
};

/** Records the commit as applied, moves the pin and applies rollback point retention. */
export const recordStep: Step = {
  phase: 'record',
  async run(ctx) {
    await writeJournal(ctx);
    await recordApplied(ctx);
    const drift = ctx.drift && !ctx.pinned;
    return {
      result: 'Applied',
      reason: ctx.pinned ? REASONS.Pinned : drift ? REASONS.DriftCorrected : REASONS.Applied,
      message: drift
        ? `drift corrected in ${ctx.plan!.steps.length} step(s)`
        : `commit ${short(ctx.commit!.oid)} applied in ${ctx.plan!.steps.length} step(s)`,
      converged: true,
    };
  },
};

/** Writes applied.json, history, the pin, prunes old rollback points and ends the journal. */
export async function recordApplied(ctx: RunContext): Promise<void> {
  const now = new Date(ctx.deps.clock.now()).toISOString();
  const commit = ctx.commit!;
  if (ctx.applied?.commit.oid !== commit.oid || ctx.rollbackPoint !== undefined) {
    await ctx.store.writeApplied({
      commit,
      topology: ctx.desired!,
      appliedAt: now,
      checks: checksOf(ctx),
    });
    await ctx.store.appendHistory({
      commit: commit.oid,
      message: commit.message,
      appliedAt: now,
      result: ctx.drift ? 'DriftCorrected' : 'Applied',
      ...(ctx.rollbackPoint === undefined ? {} : { rollbackPoint: ctx.rollbackPoint }),
      pinned: ctx.pinned,
    });
  }
  await ctx.store.writePin(ctx.nextPin);

  if (ctx.rollbackPoint !== undefined) {
    const { root, rollbackPoints } = ctx.deps.config.zfs;
    const protect = new Set([ctx.rollbackPoint]);
    if (ctx.recovered?.rollbackPoint !== undefined) protect.add(ctx.recovered.rollbackPoint);
    const destroyed = await pruneRollbackPoints({
      host: ctx.deps.host,
      root,
      policy: rollbackPoints,
      nowMs: ctx.deps.clock.now(),
      protect,
      existing: new Set(existingTrees(ctx.observed!, root)),
    });
    if (destroyed.length > 0)
      ctx.log.info({ action: destroyed.join(' ') }, 'rollback points expired');
  }
  await ctx.store.clearJournal();
}

/** Health check and restart policy of each desired jail, from its manifest. */
function checksOf(ctx: RunContext): NonNullable<AppliedState['checks']> {
  const byManifest = new Map(
    (ctx.manifests?.jails ?? []).map((doc) => [doc.metadata.name, doc.spec]),
  );
  const checks: NonNullable<AppliedState['checks']> = {};
  for (const jail of Object.values(ctx.desired!.jails)) {
    const spec = byManifest.get(jail.manifest);
    checks[jail.name] = {
      ...(spec?.health === undefined ? {} : { health: spec.health }),
      ...(spec?.restartPolicy === undefined ? {} : { restartPolicy: spec.restartPolicy }),
    };
  }
  return checks;
}

/** Writes the journal at a phase boundary. */
export async function writeJournal(ctx: RunContext): Promise<void> {
  await ctx.store.writeJournal({
    commit: ctx.commit!.oid,
    phase: ctx.phase,
    ...(ctx.rollbackPoint === undefined ? {} : { rollbackPoint: ctx.rollbackPoint }),
    startedAt: new Date(ctx.startedAt).toISOString(),
  });
}

function failure(step: string): {
  result: 'RolledBack';
  reason: typeof REASONS.StepFailed;
  message: string;
  failedStep: string;
} {
  return {
    result: 'RolledBack',
    reason: REASONS.StepFailed,
    message: `step ${step} failed`,
    failedStep: step,
  };
}

function markJail(ctx: RunContext, stepId: string, state: 'failed' | 'blocked'): void {
  const step = ctx.plan!.steps.find((s) => s.id === stepId);
  const jail = step === undefined ? undefined : jailOf(step.action);
  if (jail !== undefined && ctx.jailOverrides.get(jail) !== 'failed') {
    ctx.jailOverrides.set(jail, state);
  }
}

/** The jail a step acts on, if any. */
export function jailOf(action: StepAction): string | undefined {
  if (action.type === 'jail.create') return action.jail.name;
  return 'jail' in action && typeof action.jail === 'string' ? action.jail : undefined;
}
