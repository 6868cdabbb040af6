// SPDX-License-Identifier: BSD-2-Clause
// The health loop between commits: probes jails on their intervals, restarts failed ones with
// backoff, keeps service tables on healthy endpoints, repairs drift, and publishes a debounced
// summary. Every effect (probe, observe, restart, step, status) and time itself are injected.

import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import type { HealthCheck, RestartPolicy } from '../manifest/types.js';
import type { PlanStep } from '../plan/types.js';
import type { HostEntry, JailNode, Topology } from '../topology/types.js';
import { settleStatuses, shouldSend, type DebounceState } from './debounce.js';
import { detectDrift, type DriftRecord } from './drift.js';
import { resolveHealthTiming, type HealthTiming } from './duration.js';
import { computeEndpoints, type UnavailableService } from './endpoints.js';
import { runProbes } from './probe-pool.js';
import type { ProbeResult, ProbeTarget } from './probes.js';
import {
  createRestartState,
  decideRestart,
  markRestarted,
  type RestartEvent,
  type RestartOptions,
  type RestartState,
} from './restart.js';
import { createTracker, recordProbe, type HealthStatus, type TrackerState } from './tracker.js';

/** What the last apply asked for: the topology and each jail's check and restart policy. */
export interface MonitorDesired {
  topology: Topology;
  jails: Record<string, { health?: HealthCheck; restartPolicy?: RestartPolicy }>;
}

/** Timers, injected so tests drive the loop with a fake clock. */
export interface MonitorTimers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The monitor's collaborators. */
export interface MonitorDeps {
  /** The last applied state; undefined before the first apply, when the monitor idles. */
  desired(): MonitorDesired | undefined;
  probe(target: ProbeTarget, check: HealthCheck): Promise<ProbeResult>;
  /** A fresh observation of the host's topology. */
  observe(): Promise<Topology>;
  restartJail(name: string): Promise<void>;
  applyStep(step: PlanStep): Promise<void>;
  /** Writes service names with healthy endpoints; called only when they change. */
  applyHosts?(hosts: HostEntry[]): Promise<void>;
  /** The tail of a jail's output, for CrashLooping (readOutputTail on the jail's path). */
  readOutputTail(jail: JailNode): Promise<string>;
  onStatus(summary: HealthSummary): void | Promise<void>;
  /** Milliseconds; any monotonic origin. */
  now(): number;
  timers: MonitorTimers;
  nodeSelfHeal: boolean;
  logger?: Logger;
}

/** Loop timing; every field has a default. */
export interface MonitorOptions {
  /** How often the loop wakes up; probes still follow each check's interval. */
  tickMs: number;
  driftIntervalMs: number;
  /** A status must hold this long to be shown, and updates go out at most once per window. */
  debounceMs: number;
  /** Probes open at the same time. */
  probeConcurrency: number;
  restart: Partial<RestartOptions>;
}

export const MONITOR_DEFAULTS: MonitorOptions = {
  tickMs: 1_000,
  driftIntervalMs: 30_000,
  debounceMs: 10_000,
  probeConcurrency: 32,
  restart: {},
};

/** One jail in the published summary. */
export interface JailHealthSummary {
  jail: string;
  /** Debounced status; `unchecked` for a jail without a health check. */
  status: HealthStatus | 'unchecked';
  detail?: string;
  restarts: number;
  crashLooping: boolean;
  nextRestartAt?: number;
  /** Last output of a CrashLooping jail, at most 4 KiB. */
  outputTail?: string;
}

/** What goes to the status branch. */
export interface HealthSummary {
  at: number;
  jails: JailHealthSummary[];
  drift: DriftRecord[];
  unavailable: UnavailableService[];
}

/** The running loop. */
export interface HealthMonitor {
  /** Starts ticking at once; a second call does nothing. */
  start(): void;
  /** Stops ticking and resolves when the tick in flight, if any, is done. */
  stop(): Promise<void>;
  /** Runs one pass now; used by start and by tests. */
  tick(): Promise<void>;
  /**
   * Forgets what the service tables hold; the engine calls it after an apply, which writes the
   * tables whole, so the next pass takes unhealthy endpoints out again.
   */
  resetTables(): void;
}

interface JailState {
  checkKey: string;
  check?: HealthCheck;
  timing?: HealthTiming;
  tracker?: TrackerState;
  nextProbeAt: number;
  restart: RestartState;
  /** Drift repair of a stopped jail, applied when its backoff is due instead of restartJail. */
  repair?: PlanStep[];
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
    for (const [name, state] of jails) {
      const dueAt = state.restart.dueAt;
      if (dueAt === undefined || dueAt > deps.now()) continue;

      try {
        if (state.repair === undefined) {
          await deps.restartJail(name);
        } else {
          await applyInOrder(state.repair);
        }
        log.info({ jail: name, action: 'restart' }, 'jail restarted');
      } catch (err) {
        // A failed restart still counts as an attempt, so the next one backs off further.
        log.warn({ jail: name, err }, 'jail restart failed');
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
      if (state.restart.crashLooping) {
        await captureTail(desired.topology.jails[name], state);
      }
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
    due.forEach(([name, state], i) => {
      const timing = state.timing as HealthTiming;
      const out = recordProbe(
        state.tracker as TrackerState,
        results[i] as ProbeResult,
        now,
        timing,
      );
      state.tracker = out.state;
      state.nextProbeAt = now + timing.intervalMs;
      if (out.transition?.to === 'unhealthy') {
        log.warn({ jail: name }, 'jail unhealthy');
        scheduleRestart(name, state, { kind: 'unhealthy' }, desired);
      }
    });
  }

  function scheduleRestart(
    name: string,
    state: JailState,
    event: RestartEvent,
    desired: MonitorDesired,
  ): boolean {
    const policy = desired.jails[name]?.restartPolicy;
    const out = decideRestart(state.restart, event, policy, deps.now(), opts.restart);
    state.restart = out.state;
    return out.decision.action === 'restart' || out.decision.reason === 'pending';
  }

  async function updateEndpoints(desired: MonitorDesired): Promise<void> {
    const health: Record<string, HealthStatus> = {};
    for (const [name, state] of jails) {
      if (state.tracker !== undefined) health[name] = state.tracker.status;
    }
    // A jail is out while the last observation found it stopped and it has not been brought
    // back since; its probes are paused meanwhile, so its tracker would not notice.
    for (const record of drift) {
      if (record.kind !== 'JailStopped') continue;
      const pending = jails.get(record.target)?.restart.dueAt !== undefined;
      if (!record.healed || pending) health[record.target] = 'unhealthy';
    }
    const result = computeEndpoints({ desired: desired.topology, health, current: tables });
    unavailable = result.unavailable;
    for (const step of result.steps) {
      try {
        await deps.applyStep(step);
        if (step.action.type === 'pf.replaceTable') tables[step.target] = step.action.addresses;
      } catch (err) {
        // The table keeps its old content; the next pass tries again.
        log.warn({ step: step.id, err }, 'table update failed');
      }
    }

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
    for (const name of stopped) {
      const state = jails.get(name);
      const repair = found.steps.filter((s) => s.target === name);
      if (state === undefined || !scheduleRestart(name, state, { kind: 'stopped' }, desired)) {
        markUnhealed(found.records, name);
        continue;
      }
      state.repair ??= repair;
    }
    drift = found.records;
    await applyInOrder(
      found.steps.filter((s) => !stopped.has(s.target)),
      true,
    );
    for (const step of found.steps) {
      if (step.action.type === 'pf.replaceTable') tables[step.target] = step.action.addresses;
    }
  }

  function expectedTables(desired: MonitorDesired): Topology['tables'] {
    const out: Topology['tables'] = {};
    for (const [key, table] of Object.entries(desired.topology.tables)) {
      out[key] = { ...table, addresses: tables[key] ?? table.addresses };
    }
    return out;
  }

  /** Applies steps in order; a failed step skips the steps that depend on it. */
  async function applyInOrder(steps: PlanStep[], tolerate = false): Promise<void> {
    const failed = new Set<string>();
    for (const step of steps) {
      if (step.dependsOn.some((id) => failed.has(id))) {
        failed.add(step.id);
        continue;
      }
      try {
        await deps.applyStep(step);
      } catch (err) {
        if (!tolerate) throw err;
        failed.add(step.id);
        log.warn({ step: step.id, err }, 'drift repair failed');
      }
    }
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
        .flatMap((name) => summarizeJail(name, shown[name])),
      drift,
      unavailable,
    };
    const fingerprint = fingerprintOf(summary);
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

  function summarizeJail(name: string, status: HealthStatus | undefined): JailHealthSummary[] {
    const state = jails.get(name);
    if (state === undefined) return [];
    if (state.tracker !== undefined && status === undefined) return [];

    const { restart } = state;
    return [
      {
        jail: name,
        status: status ?? 'unchecked',
        ...(state.tracker?.lastDetail === undefined ? {} : { detail: state.tracker.lastDetail }),
        restarts: restart.restarts.length,
        crashLooping: restart.crashLooping,
        ...(restart.dueAt === undefined ? {} : { nextRestartAt: restart.dueAt }),
        ...(restart.crashLooping && state.outputTail !== undefined
          ? { outputTail: state.outputTail }
          : {}),
      },
    ];
  }

  function schedule(ms: number): void {
    handle = deps.timers.setTimeout(() => {
      inFlight = tick()
        .catch((err: unknown) => log.error({ err }, 'health pass failed'))
        .finally(() => {
          inFlight = undefined;
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
      await inFlight;
    },
    tick,
    resetTables() {
      seededTables = false;
    },
  };
}

function targetOf(jail: JailNode | undefined, name: string): ProbeTarget {
  const address = jail?.interfaces[0]?.address.split('/')[0] ?? '';
  return { address, jail: name };
}

function markUnhealed(records: DriftRecord[], jail: string): void {
  for (const record of records) {
    if (record.target === jail && record.kind === 'JailStopped') record.healed = false;
  }
}

/** What counts as a change worth a status update: not the time, not probe detail text. */
function fingerprintOf(summary: HealthSummary): string {
  return JSON.stringify({
    jails: summary.jails.map((j) => [j.jail, j.status, j.restarts, j.crashLooping, j.outputTail]),
    drift: summary.drift,
    unavailable: summary.unavailable,
  });
}
