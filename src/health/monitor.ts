// SPDX-License-Identifier: BSD-2-Clause
// The health loop between commits: probes jails on their intervals, restarts failed ones with
// backoff, keeps service tables on healthy endpoints, repairs drift, and publishes a debounced
// summary. Every effect (probe, observe, restart, step, status) and time itself are injected.

import { silentLogger } from '../log/logger.js';
import type { HealthCheck } from '../manifest/types.js';
import type { PlanStep } from '../plan/types.js';
import type { JailNode, Topology } from '../topology/types.js';
import { settleStatuses, shouldSend, type DebounceState } from './debounce.js';
import { detectDrift, type DriftRecord } from './drift.js';
import { resolveHealthTiming, type HealthTiming } from './duration.js';
import { computeEndpoints, type UnavailableService } from './endpoints.js';
import {
  MONITOR_DEFAULTS,
  type HealthMonitor,
  type MonitorDeps,
  type MonitorDesired,
  type MonitorOptions,
} from './monitor-deps.js';
import { runProbes } from './probe-pool.js';
import { jailTarget, type ProbeResult, type ProbeTarget } from './probes.js';
import {
  createRestartState,
  decideRestart,
  markRestarted,
  noteUp,
  type RestartEvent,
  type RestartState,
} from './restart.js';
import { fingerprintSummary, summarizeJail, type HealthSummary } from './summary.js';
import { createTracker, recordProbe, type HealthStatus, type TrackerState } from './tracker.js';

export * from './monitor-deps.js';
export type { HealthSummary, JailHealthSummary } from './summary.js';

interface JailState {
  checkKey: string;
  check?: HealthCheck;
  timing?: HealthTiming;
  tracker?: TrackerState;
  nextProbeAt: number;
  restart: RestartState;
  /** Drift repair of a stopped jail, applied when its backoff is due instead of restartJail. */
  repair?: PlanStep[];
  /** The last observation found the jail stopped and no repair has succeeded since. */
  stopped: boolean;
  outputTail?: string;
}

/** Makes a monitor; nothing runs until start() or tick(). */
export function createHealthMonitor(
  deps: MonitorDeps,
  options: Partial<MonitorOptions> = {},
): HealthMonitor {
  const opts = { ...MONITOR_DEFAULTS, ...options };
  const log = deps.logger ?? silentLogger;
  const jails = new Map<string, JailState>();
  const tables: Record<string, string[]> = {};
  const debounce: DebounceState = { shown: {} };
  let hostsKey: string | undefined;
  let drift: DriftRecord[] = [];
  let unavailable: UnavailableService[] = [];
  let nextDriftAt = 0;
  let seededTables = false;
  let running = false;
  let handle: unknown;
  let inFlight: Promise<void> | undefined;

  async function tick(): Promise<void> {
    const desired = deps.desired();
    if (desired === undefined) return;

    if (!seededTables) {
      // The last apply wrote the tables whole; start from that instead of rewriting them all.
      for (const [key, table] of Object.entries(desired.topology.tables)) {
        tables[key] = [...table.addresses];
      }
      seededTables = true;
    }
    syncJails(desired);
    // Due restarts first, so a restarted jail is not probed in the same pass.
    await runDueRestarts(desired);
    await runDueProbes(desired);
    await updateEndpoints(desired);
    if (deps.now() >= nextDriftAt) {
      await repairDrift(desired);
      nextDriftAt = deps.now() + opts.driftIntervalMs;
      // Again, so a jail found stopped leaves its services in this same pass.
      await updateEndpoints(desired);
    }
    await publish(desired);
  }

  function syncJails(desired: MonitorDesired): void {
    const now = deps.now();
    for (const name of [...jails.keys()]) {
      if (desired.topology.jails[name] === undefined) jails.delete(name);
    }
    for (const name of Object.keys(desired.topology.jails)) {
      const check = desired.jails[name]?.health;
      const checkKey = JSON.stringify(check ?? null);
      const known = jails.get(name);
      if (known !== undefined && known.checkKey === checkKey) continue;

      jails.set(name, {
        checkKey,
        ...prepareCheck(name, check, now),
        nextProbeAt: now,
        restart: known?.restart ?? createRestartState(),
        stopped: known?.stopped ?? false,
      });
    }
  }

  function prepareCheck(name: string, check: HealthCheck | undefined, now: number) {
    if (check === undefined) return {};
    try {
      return { check, timing: resolveHealthTiming(check), tracker: createTracker(name, now) };
    } catch (err) {
      log.warn({ jail: name, err }, 'health check ignored');
      return {};
    }
  }

  async function runDueRestarts(desired: MonitorDesired): Promise<void> {
    const isDue = (state: JailState) =>
      state.restart.dueAt !== undefined && state.restart.dueAt <= deps.now();
    if (![...jails.values()].some(isDue)) return;
    // A jail that failed its checks may have been stopped by hand: look before restarting, so
    // that shows as drift and self-healing decides whether it comes back.
    if ([...jails.values()].some((state) => isDue(state) && state.repair === undefined)) {
      await repairDrift(desired);
      nextDriftAt = deps.now() + opts.driftIntervalMs;
    }
    for (const [name, state] of jails) {
      if (!isDue(state)) continue;
      if (isUnhealedStop(name)) {
        const cancelled = { ...state.restart };
        delete cancelled.dueAt;
        state.restart = cancelled;
        log.info({ jail: name, action: 'restart' }, 'jail restart skipped: stopped, selfHeal off');
        continue;
      }

      // A failed restart still counts as an attempt, so the next one backs off further.
      if (await restartOne(name, state)) {
        state.stopped = false;
        log.info({ jail: name, action: 'restart' }, 'jail restarted');
      }
      const now = deps.now();
      state.restart = markRestarted(state.restart, now);
      delete state.repair;
      if (state.tracker !== undefined) {
        // A new instance starts over, but the last failure stays visible in the status.
        const lastDetail = state.tracker.lastDetail;
        state.tracker = { ...createTracker(name, now), ...(lastDetail && { lastDetail }) };
      }
      state.nextProbeAt = now + (state.timing?.intervalMs ?? 0);
    }
  }

  async function restartOne(name: string, state: JailState): Promise<boolean> {
    if (state.repair !== undefined) {
      // The repair rewrites the jail's files, /etc/hosts with every endpoint among them.
      hostsKey = undefined;
      return applyInOrder(state.repair);
    }
    try {
      await deps.restartJail(name);
      return true;
    } catch (err) {
      log.warn({ jail: name, err }, 'jail restart failed');
      return false;
    }
  }

  async function captureTail(jail: JailNode | undefined, state: JailState): Promise<void> {
    if (jail === undefined) return;
    try {
      state.outputTail = await deps.readOutputTail(jail);
    } catch (err) {
      log.warn({ jail: jail.name, err }, 'jail output unreadable');
    }
  }

  async function runDueProbes(desired: MonitorDesired): Promise<void> {
    const now = deps.now();
    const due: [string, JailState, HealthCheck][] = [];
    for (const [name, state] of jails) {
      if (state.check === undefined || state.restart.dueAt !== undefined) continue;
      if (state.nextProbeAt <= now) due.push([name, state, state.check]);
    }
    const results = await runProbes(
      due.map(([name, state, check]) => ({
        run: () => deps.probe(targetOf(desired.topology.jails[name], name), check),
        // The probe keeps its own timeout; this only catches one that never settles.
        deadlineMs: (state.timing as HealthTiming).timeoutMs * 2 + 1_000,
      })),
      { concurrency: opts.probeConcurrency, timers: deps.timers },
    );
    for (const [i, [name, state]] of due.entries()) {
      const timing = state.timing as HealthTiming;
      const result = results[i] as ProbeResult;
      const out = recordProbe(state.tracker as TrackerState, result, now, timing);
      state.tracker = out.state;
      state.nextProbeAt = now + timing.intervalMs;
      if (result.ok) state.restart = noteUp(state.restart, now, opts.restart);
      if (out.transition?.to === 'unhealthy') {
        log.warn({ jail: name }, 'jail unhealthy');
        await scheduleRestart(name, state, { kind: 'unhealthy' }, desired);
      }
    }
  }

  /**
   * Asks the restart policy about `event`; true when a restart is now scheduled. A jail found
   * crash looping has its output read now, before a restart can replace it.
   */
  async function scheduleRestart(
    name: string,
    state: JailState,
    event: RestartEvent,
    desired: MonitorDesired,
  ): Promise<boolean> {
    const policy = desired.jails[name]?.restartPolicy;
    const out = decideRestart(state.restart, event, policy, deps.now(), opts.restart);
    state.restart = out.state;
    if (out.decision.action === 'restart') {
      // durationMs carries the backoff delay, so the log alone shows how the delays grow.
      log.info(
        { jail: name, action: event.kind, durationMs: out.decision.delayMs },
        'jail restart scheduled',
      );
    }
    if (out.decision.action === 'restart' && out.decision.crashLooping) {
      log.warn({ jail: name }, 'jail is crash looping');
      await captureTail(desired.topology.jails[name], state);
    }
    return out.decision.action === 'restart' || out.decision.reason === 'pending';
  }

  async function updateEndpoints(desired: MonitorDesired): Promise<void> {
    const health: Record<string, HealthStatus> = {};
    for (const [name, state] of jails) {
      if (state.tracker !== undefined) health[name] = state.tracker.status;
      // Probes pause while a stopped jail waits for its repair, so the tracker would not notice.
      if (state.stopped) health[name] = 'unhealthy';
    }
    const result = computeEndpoints({ desired: desired.topology, health, current: tables });
    unavailable = result.unavailable;
    // A table whose update fails keeps its recorded content, so the next pass tries again.
    await applyInOrder(result.steps);

    const key = JSON.stringify(result.hosts);
    if (deps.applyHosts === undefined || key === hostsKey) return;
    try {
      await deps.applyHosts(result.hosts);
      hostsKey = key;
    } catch (err) {
      log.warn({ err }, 'service names update failed');
    }
  }

  async function repairDrift(desired: MonitorDesired): Promise<void> {
    let observed: Topology;
    try {
      observed = await deps.observe();
    } catch (err) {
      log.warn({ err }, 'drift check skipped');
      return;
    }

    // Tables are compared with what health allows now, not with every endpoint.
    const effective = { ...desired.topology, tables: expectedTables(desired) };
    const found = detectDrift({ desired: effective, observed, nodeSelfHeal: deps.nodeSelfHeal });
    const stopped = new Set(
      found.records.filter((r) => r.kind === 'JailStopped' && r.healed).map((r) => r.target),
    );
    const seenStopped = new Set(
      found.records.filter((r) => r.kind === 'JailStopped').map((r) => r.target),
    );
    for (const [name, state] of jails) {
      state.stopped = seenStopped.has(name);
      // Without a check, being seen running is all the monitor knows of a jail's health.
      if (!state.stopped && state.tracker === undefined) {
        state.restart = noteUp(state.restart, deps.now(), opts.restart);
      }
    }
    for (const name of stopped) {
      const state = jails.get(name);
      const repair = found.steps.filter((s) => s.target === name);
      if (
        state === undefined ||
        !(await scheduleRestart(name, state, { kind: 'stopped' }, desired))
      ) {
        markUnhealed(found.records, name);
        continue;
      }
      state.repair ??= repair;
    }
    drift = found.records;
    await applyInOrder(found.steps.filter((s) => !stopped.has(s.target)));
  }

  /** The last drift check found `jail` stopped and was not allowed to bring it back. */
  function isUnhealedStop(jail: string): boolean {
    return drift.some((r) => r.kind === 'JailStopped' && r.target === jail && !r.healed);
  }

  function expectedTables(desired: MonitorDesired): Topology['tables'] {
    const out: Topology['tables'] = {};
    for (const [key, table] of Object.entries(desired.topology.tables)) {
      out[key] = { ...table, addresses: tables[key] ?? table.addresses };
    }
    return out;
  }

  /**
   * Applies steps in order, recording table contents that were written; a failed step skips
   * the steps that depend on it. Resolves true when every step succeeded.
   */
  async function applyInOrder(steps: PlanStep[]): Promise<boolean> {
    const failed = new Set<string>();
    for (const step of steps) {
      if (step.dependsOn.some((id) => failed.has(id))) {
        failed.add(step.id);
        continue;
      }
      try {
        await deps.applyStep(step);
        if (step.action.type === 'pf.replaceTable') tables[step.target] = step.action.addresses;
      } catch (err) {
        failed.add(step.id);
        log.warn({ step: step.id, err }, 'step failed');
      }
    }
    return failed.size === 0;
  }

  async function publish(desired: MonitorDesired): Promise<void> {
    const now = deps.now();
    const trackers: Record<string, TrackerState> = {};
    for (const [name, state] of jails) {
      if (state.tracker !== undefined) trackers[name] = state.tracker;
    }
    const shown = settleStatuses(trackers, debounce.shown, now, opts.debounceMs);
    const summary: HealthSummary = {
      at: now,
      jails: Object.keys(desired.topology.jails)
        .sort()
        .flatMap((name) => {
          const state = jails.get(name);
          if (state === undefined) return [];
          const { tracker, restart, outputTail } = state;
          const line = summarizeJail({
            jail: name,
            shown: shown[name],
            tracker,
            restart,
            outputTail,
          });
          return line === undefined ? [] : [line];
        }),
      drift,
      unavailable,
    };
    const fingerprint = fingerprintSummary(summary);
    if (!shouldSend(debounce, fingerprint, now, opts.debounceMs)) return;

    debounce.shown = shown;
    debounce.lastSent = fingerprint;
    debounce.lastSentAt = now;
    try {
      await deps.onStatus(summary);
    } catch (err) {
      log.warn({ err }, 'health status not written');
    }
  }

  /** One pass at a time: a call during a pass waits for that pass instead of starting one. */
  function runOnce(): Promise<void> {
    inFlight ??= tick().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  function schedule(ms: number): void {
    handle = deps.timers.setTimeout(() => {
      void runOnce()
        .catch((err: unknown) => log.error({ err }, 'health pass failed'))
        .finally(() => {
          if (running) schedule(opts.tickMs);
        });
    }, ms);
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      running = false;
      if (handle !== undefined) deps.timers.clearTimeout(handle);
      // The pass's own caller has its error (the scheduled path logs it); stop only waits.
      await inFlight?.catch((err: unknown) => log.debug({ err }, 'health pass ended with error'));
    },
    tick: runOnce,
    resetTables() {
      seededTables = false;
    },
    deferDrift() {
      nextDriftAt = deps.now() + opts.driftIntervalMs;
    },
  };
}

function targetOf(jail: JailNode | undefined, name: string): ProbeTarget {
  return jail === undefined ? { address: '', jail: name } : jailTarget(jail);
}

function markUnhealed(records: DriftRecord[], jail: string): void {
  for (const record of records) {
    if (record.target === jail && record.kind === 'JailStopped') record.healed = false;
  }
}
