// SPDX-License-Identifier: BSD-2-Clause
// The sync engine: one run is an ordered array of steps driven by one loop that stops at the
// first step that ends the run. Expected outcomes come back as a typed RunReport; a failure after
// the rollback point is undone before the run reports. The engine touches the world only
// through the injected collaborators.

import { DeadlineError } from '../errors/deadline-error.js';
import { StockadeError } from '../errors/stockade-error.js';
import { PHASES, REASONS } from '../status/reasons.js';
import type { Outcome, RunContext, RunOptions, Step } from './context.js';
import { DEFAULT_DEADLINES, type EngineDeps } from './deps.js';
import type { JailReport, RunReport } from './report.js';
import { listRollbackPoints } from './rollback-point.js';
import { openStateStore, type AppliedState, type StateStore } from './state-store.js';
import {
  applyStep,
  healthStep,
  recordApplied,
  recordStep,
  rollbackPointStep,
} from './steps-change.js';
import {
  compileStep,
  fetchStep,
  hostBudget,
  loadStep,
  observeStep,
  planStep,
  short,
  toReported,
} from './steps-prepare.js';
import { withDeadline } from './deadline.js';
import { undoApply } from './undo.js';

export type { RunOptions } from './context.js';

/** The steps of a run, in order. */
export const RUN_STEPS: readonly Step[] = [
  fetchStep,
  observeStep,
  loadStep,
  compileStep,
  planStep,
  rollbackPointStep,
  applyStep,
  healthStep,
  recordStep,
];

/** A sync engine bound to its collaborators and state directory. */
export interface Engine {
  readonly store: StateStore;
  /** Runs once; never rejects for an expected outcome, only for a broken state directory. */
  run(options?: RunOptions): Promise<RunReport>;
}

/** Makes an engine from its collaborators; see EngineDeps for what each one does. */
export function createEngine(deps: EngineDeps): Engine {
  const store = openStateStore(deps.stateDir ?? deps.config.stateDir);
  return { store, run: (options = {}) => runOnce(deps, store, options) };
}

async function runOnce(
  deps: EngineDeps,
  store: StateStore,
  options: RunOptions,
): Promise<RunReport> {
  const ctx = await openContext(deps, store, options);
  let outcome: Outcome;
  try {
    outcome = await driveSteps(ctx);
  } catch (err) {
    outcome = await handleThrow(ctx, err);
  }
  if (outcome.undo !== undefined) outcome = await undoApply(ctx, outcome.undo);
  if (outcome.converged === true && ctx.phase === 'plan') await recordNoChange(ctx);

  const report = await buildReport(ctx, outcome);
  await store.writeLastRun(report);
  ctx.log.info(
    { step: report.phase, durationMs: report.durationMs, action: report.result },
    'run finished',
  );
  return report;
}

async function openContext(
  deps: EngineDeps,
  store: StateStore,
  options: RunOptions,
): Promise<RunContext> {
  const [applied, pin, recovered] = await Promise.all([
    store.readApplied(),
    store.readPin(),
    store.readJournal(),
  ]);
  const log = deps.logger.child({ node: deps.config.name });
  if (recovered !== undefined) {
    log.warn({ commit: recovered.commit, step: recovered.phase }, 'previous run did not finish');
  }
  return {
    deps,
    deadlines: { ...DEFAULT_DEADLINES, ...deps.deadlines },
    store,
    log,
    options,
    startedAt: deps.clock.now(),
    phase: 'fetch',
    ...(applied === undefined ? {} : { applied }),
    ...(pin === undefined ? {} : { pin }),
    ...(recovered === undefined ? {} : { recovered }),
    pinned: false,
    drift: false,
    healthChecks: new Map(),
    jailOverrides: new Map(),
    health: new Map(),
    warnings: [],
    completedSteps: [],
  };
}

async function driveSteps(ctx: RunContext): Promise<Outcome> {
  for (const step of RUN_STEPS) {
    ctx.phase = step.phase;
    if (isAborted(ctx)) return aborted(ctx);
    if (ctx.deps.clock.now() >= ctx.startedAt + ctx.deadlines.runMs) {
      throw new DeadlineError('run', ctx.deadlines.runMs);
    }

    const outcome = await step.run(ctx);
    if (outcome !== undefined) return outcome;
    if (step.phase === 'fetch') ctx.log = ctx.log.child({ commit: short(ctx.commit!.oid) });
    // The apply stops starting steps on abort; the journal stays for the next run to see.
    if (isAborted(ctx)) return aborted(ctx);
  }
  throw new Error('the record step returned no outcome');
}

/** A throw is a crash of a step: before the rollback point nothing changed, after it undo. */
async function handleThrow(ctx: RunContext, err: unknown): Promise<Outcome> {
  const reason = err instanceof DeadlineError ? REASONS.DeadlineExceeded : REASONS.InternalError;
  const changing = PHASES.indexOf(ctx.phase) >= PHASES.indexOf('rollback-point');
  if (changing && ctx.phase !== 'record') {
    return {
      result: 'RolledBack',
      reason,
      message: '',
      undo: { step: ctx.phase, error: err, reason },
    };
  }
  ctx.log.error({ err, step: ctx.phase }, 'run failed');
  return {
    result: 'Failed',
    reason:
      err instanceof StockadeError && err.kind === 'transient' ? REASONS.DeadlineExceeded : reason,
    message: `run failed in ${ctx.phase}`,
    failedStep: ctx.phase,
    errors: [toReported(err)],
  };
}

function isAborted(ctx: RunContext): boolean {
  return ctx.options.signal?.aborted === true;
}

function aborted(ctx: RunContext): Outcome {
  return {
    result: 'Failed',
    reason: REASONS.Aborted,
    message: `run aborted in ${ctx.phase}`,
    failedStep: ctx.phase,
  };
}

/** A commit that needs no host change is still the commit the host runs now. */
async function recordNoChange(ctx: RunContext): Promise<void> {
  await recordApplied(ctx);
}

async function buildReport(ctx: RunContext, outcome: Outcome): Promise<RunReport> {
  const applied = await ctx.store.readApplied();
  const finishedAt = ctx.deps.clock.now();
  const summary = ctx.plan?.summary;
  // A skipped run repeats what the last full one on the same commit found, so both publish the
  // same status: its warnings (same manifests) and, after a no-change run, its empty plan.
  const reuse = outcome.reuse;
  const reusedPlan = reuse?.result === 'NoChange' ? reuse.plan : undefined;
  return {
    result: outcome.result,
    reason: outcome.reason,
    message: outcome.message,
    ...(ctx.commit === undefined ? {} : { commit: ctx.commit }),
    ...(applied === undefined ? {} : { applied: applied.commit.oid }),
    pinned: (await ctx.store.readPin()) !== undefined,
    phase: ctx.phase,
    ...(summary === undefined
      ? reusedPlan === undefined
        ? {}
        : { plan: reusedPlan }
      : { plan: { ...summary, steps: ctx.plan!.steps.length, warnings: [...ctx.plan!.warnings] } }),
    ...(outcome.failedStep === undefined ? {} : { failedStep: outcome.failedStep }),
    errors: outcome.errors ?? [],
    warnings: reuse?.warnings ?? ctx.warnings,
    jails: outcome.reuse?.jails ?? (await reportJails(ctx, applied?.topology, applied?.checks)),
    ...(ctx.rollbackPoint === undefined ? {} : { rollbackPoint: ctx.rollbackPoint }),
    rollbackPoints: outcome.reuse?.rollbackPoints ?? (await reportPoints(ctx)),
    ...(ctx.recovered === undefined
      ? {}
      : {
          recovered: {
            commit: ctx.recovered.commit,
            phase: ctx.recovered.phase,
            ...(ctx.recovered.rollbackPoint === undefined
              ? {}
              : { rollbackPoint: ctx.recovered.rollbackPoint }),
          },
        }),
    startedAt: new Date(ctx.startedAt).toISOString(),
    finishedAt: new Date(finishedAt).toISOString(),
    durationMs: finishedAt - ctx.startedAt,
  };
}

/** Each jail the host should run, with what a fresh observe says about it. */
async function reportJails(
  ctx: RunContext,
  desired: RunContext['desired'],
  checks: AppliedState['checks'],
): Promise<JailReport[]> {
  let running: Record<string, { running: boolean; jid?: number }> = {};
  try {
    // A run that changed nothing on the host reports what it observed before planning.
    const unchanged = ctx.completedSteps.length === 0 && ctx.observed !== undefined;
    const observed = unchanged
      ? ctx.observed!
      : await withDeadline(ctx.deps.host.observe(), hostBudget(ctx), 'observe');
    running = observed.topology.jails;
  } catch (err) {
    ctx.log.warn({ err }, 'observe for the report failed');
  }
  const wanted = desired ?? ctx.desired;
  const names = new Set([...Object.keys(wanted?.jails ?? {}), ...ctx.jailOverrides.keys()]);
  return [...names].sort().map((name) => {
    const node = wanted?.jails[name];
    const seen = running[name];
    const override = ctx.jailOverrides.get(name);
    const state =
      override ?? (seen === undefined ? 'missing' : seen.running ? 'running' : 'stopped');
    // The applied commit's checks: a refused commit loads none, and its jails still have theirs.
    const hasCheck =
      node !== undefined &&
      (checks === undefined
        ? ctx.healthChecks.has(node.manifest)
        : checks[name]?.health !== undefined);
    return {
      name,
      manifest: node?.manifest ?? name,
      state,
      ...(seen?.jid === undefined ? {} : { jid: seen.jid }),
      health: ctx.health.get(name) ?? (hasCheck ? 'unknown' : 'none'),
      ...(node === undefined || node.interfaces.length === 0
        ? {}
        : { addresses: node.interfaces.map((i) => i.address) }),
    };
  });
}

async function reportPoints(ctx: RunContext): Promise<string[]> {
  try {
    return (await listRollbackPoints(ctx.deps.host, ctx.deps.config.zfs.root)).map((p) => p.name);
  } catch (err) {
    ctx.log.debug({ err }, 'listing rollback points failed');
    return [];
  }
}
