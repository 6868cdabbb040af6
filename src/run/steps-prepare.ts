// SPDX-License-Identifier: BSD-2-Clause
// The steps of a run that change nothing on the host: fetch, observe, load, compile and plan.
// Each either fills in the run context or ends the run with a typed outcome.

import { hasCode, StockadeError } from '../errors/stockade-error.js';
import { REASONS } from '../status/reasons.js';
import type { Topology } from '../topology/types.js';
import type { Outcome, RunContext, Step } from './context.js';
import { withDeadline } from './deadline.js';
import { endedWell, type ReportedError } from './report.js';

/**
 * Fetches the branch and decides which commit this run works on (tip, pin or rollback); with
 * `skipIfApplied`, ends a run that has nothing new to work on.
 */
export const fetchStep: Step = {
  phase: 'fetch',
  async run(ctx) {
    return (await chooseCommit(ctx)) ?? (await skipIfApplied(ctx));
  },
};

async function chooseCommit(ctx: RunContext): Promise<Outcome | undefined> {
  const { source, config } = ctx.deps;
  let tip;
  try {
    tip = await withDeadline(source.fetch(), hostBudget(ctx), 'git fetch');
  } catch (err) {
    ctx.log.warn({ err }, 'fetch failed');
    return {
      result: 'Failed',
      reason: REASONS.SourceUnavailable,
      message: ctx.applied
        ? `repository unreachable; keeping commit ${short(ctx.applied.commit.oid)}`
        : 'repository unreachable',
      errors: [toReported(err)],
    };
  }

  if (ctx.options.target !== undefined) {
    ctx.commit = ctx.options.target;
    ctx.pinned = true;
    ctx.nextPin = { commit: ctx.options.target, branchTip: tip.oid, pinnedAt: iso(ctx) };
    return undefined;
  }
  if (ctx.pin !== undefined && !ctx.options.unpin && ctx.pin.branchTip === tip.oid) {
    // The branch has not moved since the rollback: hold the pinned commit.
    ctx.commit = ctx.pin.commit;
    ctx.pinned = true;
    ctx.nextPin = ctx.pin;
    return undefined;
  }

  ctx.commit = tip;
  ctx.nextPin = undefined;
  const held = await holdFailedHealth(ctx, tip.oid);
  if (held !== undefined) return held;
  const base = ctx.pin?.branchTip ?? ctx.applied?.commit.oid;
  if (base === undefined || base === tip.oid || config.repository.allowForcePush) return undefined;
  if (await withDeadline(source.isAncestor(base, tip.oid), hostBudget(ctx), 'git merge-base')) {
    return undefined;
  }
  return {
    result: 'Refused',
    reason: REASONS.ForcePushRefused,
    message: `commit ${short(tip.oid)} does not descend from ${short(base)}; set repository.allowForcePush to follow it`,
    errors: [
      { code: 'FORCE_PUSH_REFUSED', message: `history rewritten from ${base} to ${tip.oid}` },
    ],
  };
}

/**
 * The fetched commit is the applied one and the last run on it ended well: nothing to do that
 * a full run would find, short of drift. Boot runs, rollbacks, unpins and runs that find a
 * journal always go on, and so does a commit whose last run reported drift it left in place.
 */
async function skipIfApplied(ctx: RunContext): Promise<Outcome | undefined> {
  const { options } = ctx;
  if (options.skipIfApplied !== true || options.boot === true || options.unpin === true) {
    return undefined;
  }
  const oid = ctx.commit!.oid;
  if (
    options.target !== undefined ||
    ctx.recovered !== undefined ||
    ctx.applied?.commit.oid !== oid
  )
    return undefined;
  const last = await ctx.store.readLastRun();
  if (last === undefined || last.commit?.oid !== oid) return undefined;
  if (!endedWell(last)) return undefined;
  return {
    result: 'NoChange',
    reason: ctx.pinned ? REASONS.Pinned : REASONS.UpToDate,
    // The last no-change message, so that skipped and full idle runs publish the same status
    // and the status branch gets no commit for either.
    message:
      last.result === 'NoChange'
        ? last.message
        : `commit ${short(oid)} is applied and nothing new was fetched; the host was not read`,
    reuse: last,
  };
}

/**
 * A tip whose last run failed its health gate and was rolled back is not applied again on every
 * poll: each retry would take a rollback point and restart the jails only to fail the same way.
 * The verdict stands until a new commit is pushed. Boot runs and runs that find a journal still
 * go ahead, since they repair the host.
 */
async function holdFailedHealth(ctx: RunContext, tip: string): Promise<Outcome | undefined> {
  if (ctx.options.boot === true || ctx.recovered !== undefined) return undefined;
  const last = await ctx.store.readLastRun();
  if (last === undefined || last.commit?.oid !== tip) return undefined;
  if (last.result !== 'RolledBack' || last.reason !== REASONS.HealthCheckFailed) return undefined;
  return {
    result: 'RolledBack',
    reason: last.reason,
    message: last.message,
    ...(last.failedStep === undefined ? {} : { failedStep: last.failedStep }),
    errors: last.errors,
  };
}

/** Reads every manifest of the commit and validates the whole set before anything changes. */
export const loadStep: Step = {
  phase: 'load',
  async run(ctx) {
    const commit = ctx.commit!;
    const files = await withDeadline(
      ctx.deps.source.readTree(commit.oid),
      hostBudget(ctx),
      'git read tree',
    );
    const loaded = ctx.deps.load(files, {
      policy: ctx.deps.config.policy,
      // The host's own addresses, so a manifest claiming one is refused before anything
      // changes. Observe reports them with their prefix length; the loader compares bare ones.
      hostAddresses: ctx.observed!.foreign.hostAddresses.map((a) => a.split('/')[0] ?? a),
    });
    ctx.warnings.push(
      ...loaded.warnings.map((w) => `${w.file}:${w.line}:${w.column}: ${w.message}`),
    );
    if (!loaded.ok) {
      return {
        result: 'ValidationFailed',
        reason: REASONS.ManifestInvalid,
        message: `commit ${short(commit.oid)} has ${loaded.errors.length} manifest error(s); nothing was changed`,
        errors: loaded.errors.map((d) => ({
          code: d.code,
          message: d.message,
          file: d.file,
          line: d.line,
          column: d.column,
          path: d.path,
        })),
      };
    }
    ctx.manifests = loaded.manifests;
    for (const jail of loaded.manifests.jails) {
      if (jail.spec.health !== undefined)
        ctx.healthChecks.set(jail.metadata.name, jail.spec.health);
    }
    return undefined;
  },
};

/** Compiles this node's share of the topology, with the last applied one as `previous`. */
export const compileStep: Step = {
  phase: 'compile',
  async run(ctx) {
    try {
      ctx.desired = ctx.deps.compile(
        ctx.manifests!,
        ctx.deps.config,
        optionalPrevious(ctx.applied?.topology),
      );
    } catch (err) {
      if (!(err instanceof StockadeError)) throw err;
      return {
        result: 'ValidationFailed',
        reason: REASONS.CompileFailed,
        message: `commit ${short(ctx.commit!.oid)} cannot be compiled for this node; nothing was changed`,
        errors: [toReported(err)],
      };
    }
    return undefined;
  },
};

/** Reads the host once per run: the load step's address check and the plan both use it. */
export const observeStep: Step = {
  phase: 'observe',
  async run(ctx) {
    ctx.observed = await withDeadline(ctx.deps.host.observe(), hostBudget(ctx), 'observe');
    return undefined;
  },
};

/** Diffs desired against observed; an empty plan ends the run, a refused prune too. */
export const planStep: Step = {
  phase: 'plan',
  async run(ctx) {
    const { policy, selfHeal } = ctx.deps.config;
    try {
      ctx.plan = ctx.deps.plan(ctx.desired!, ctx.observed!, {
        maxPruneRatio: policy.maxPruneRatio,
        allowPruneAll: policy.allowPruneAll,
        ...(ctx.applied === undefined ? {} : { applied: ctx.applied.topology }),
      });
    } catch (err) {
      if (!hasCode(err, 'PRUNE_GUARD')) throw err;
      return {
        result: 'Refused',
        reason: REASONS.PruneGuard,
        message: `commit ${short(ctx.commit!.oid)} would remove too many jails; raise policy.maxPruneRatio or set allowPruneAll`,
        errors: [toReported(err)],
      };
    }
    ctx.warnings.push(...ctx.plan.warnings);
    ctx.drift = ctx.applied?.commit.oid === ctx.commit!.oid;

    // A run that died after its apply still owes the health gate and the record.
    const unfinished =
      ctx.recovered?.commit === ctx.commit!.oid &&
      ['apply', 'health'].includes(ctx.recovered.phase);
    if (ctx.plan.steps.length === 0 && !unfinished) {
      return {
        result: 'NoChange',
        reason: ctx.pinned ? REASONS.Pinned : REASONS.UpToDate,
        message: 'host matches the commit',
        converged: true,
      };
    }
    if (ctx.drift && !selfHeal) {
      return {
        result: 'NoChange',
        reason: REASONS.DriftDetected,
        message: `host drifted from commit ${short(ctx.commit!.oid)} in ${ctx.plan.steps.length} step(s); selfHeal is off`,
      };
    }
    return undefined;
  },
};

/** Milliseconds a host call may take: its own limit, or what is left of the run. */
export function hostBudget(ctx: RunContext): number {
  const left = ctx.startedAt + ctx.deadlines.runMs - ctx.deps.clock.now();
  return Math.max(1, Math.min(ctx.deadlines.hostCallMs, left));
}

/** An error as the status shows it: code, message, position and the failing command. */
export function toReported(err: unknown): ReportedError {
  if (!(err instanceof StockadeError)) {
    return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
  }
  const data = err.data;
  const reported: ReportedError = { code: err.code, message: err.message };
  if (typeof data['file'] === 'string') reported.file = data['file'];
  if (typeof data['line'] === 'number') reported.line = data['line'];
  if (typeof data['column'] === 'number') reported.column = data['column'];
  if (typeof data['path'] === 'string') reported.path = data['path'];
  const command = commandOf(data);
  if (command !== undefined) reported.command = command;
  return reported;
}

/** The short form of an object id. */
export function short(oid: string): string {
  return oid.slice(0, 7);
}

function commandOf(data: Record<string, unknown>): string | undefined {
  if (typeof data['command'] === 'string') return data['command'];
  const argv = data['argv'];
  if (Array.isArray(argv)) return argv.map(String).join(' ');
  return undefined;
}

function optionalPrevious(previous: Topology | undefined): { previous?: Topology } {
  return previous === undefined ? {} : { previous };
}

function iso(ctx: RunContext): string {
  return new Date(ctx.deps.clock.now()).toISOString();
}
