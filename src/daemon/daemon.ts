// SPDX-License-Identifier: BSD-2-Clause
// The daemon behind `stockade run`: holds the state directory's lock, runs the engine at start
// (in boot mode), on every poll interval and on verified webhook pushes, one run at a time with
// triggers coalesced, writes the status after each run, and serves metrics. Between resyncs, a
// run that fetches nothing new ends after the fetch while the health monitor watches the host.
// SIGTERM finishes the running host step and stops; SIGHUP reloads the config.

import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { readSecret } from '../config/load.js';
import type { NodeConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { HealthSummary } from '../health/monitor.js';
import type { PlanFn } from '../run/deps.js';
import type { Engine } from '../run/engine.js';
import type { GitSource, HostDriver } from '../run/ports.js';
import { endedWell, type RunReport } from '../run/report.js';
import { publishStatus } from '../status/publish.js';
import { createWiredMonitor, withHealth, type WiredMonitor } from './health-wiring.js';
import { carryHealth } from './carry-health.js';
import { acquireLock, type Lock } from './lock.js';
import { createMetrics, createMetricsServer, type Metrics } from './metrics.js';
import { createRunQueue } from './run-queue.js';
import { createWebhookServer } from './webhook.js';

/** What the daemon is built from; `build` makes the engine and Git source for a config. */
export interface DaemonDeps {
  configPath: string;
  loadConfig: (path: string) => Promise<NodeConfig>;
  build: (config: NodeConfig, logger: Logger) => Promise<Built> | Built;
  logger: Logger;
  /** Where SIGTERM, SIGINT and SIGHUP come from; defaults to the process. */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
  env?: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch, for the resync interval; defaults to Date.now. */
  now?: () => number;
}

/** The engine and Git source built for one config; with host and plan, a health monitor runs. */
export interface Built {
  engine: Engine;
  source: GitSource;
  host?: HostDriver;
  plan?: PlanFn;
}

/** A running daemon. */
export interface Daemon {
  trigger(reason: string): Promise<void>;
  reload(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the daemon has stopped and released its lock. */
  readonly done: Promise<void>;
  readonly metrics: Metrics;
  readonly runs: number;
  webhookAddress(): AddressInfo | undefined;
  metricsAddress(): AddressInfo | undefined;
}

/**
 * Starts the daemon: loads the config, takes the lock (rejects with LOCK_HELD when another
 * instance runs, CONFIG_INVALID for a bad config), starts the listeners and the first run.
 */
export async function startDaemon(deps: DaemonDeps): Promise<Daemon> {
  const signals = deps.signals ?? process;
  let config = await deps.loadConfig(deps.configPath);
  const lock: Lock = await acquireLock(config.stateDir);
  const log = deps.logger.child({ node: config.name });
  let built = await deps.build(config, deps.logger);
  let secret = await webhookSecret(config, deps.env);
  if (config.webhook !== undefined && !secret) {
    log.warn({}, 'webhook secret is empty; every webhook request will be refused');
  }
  const metrics = createMetrics();
  let boot = true;
  const now = deps.now ?? Date.now;
  // When a run last read the host and planned; a run that ended at the fetch did neither.
  let lastFullRun = Number.NEGATIVE_INFINITY;
  let stopping = false;
  let abort: AbortController | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  let health: HealthSummary | undefined;
  let lastReport: RunReport | undefined;
  const publish = async (): Promise<void> => {
    if (lastReport === undefined) return;
    const { engine, source } = built;
    const report = withHealth(lastReport, health);
    // `stockade status` on the node reads this file; keep it as current as the status branch.
    await built.engine.store.writeLastRun(report);
    await publishStatus({
      node: config.name,
      labels: config.labels,
      report,
      source,
      store: engine.store,
      logger: log,
    });
  };
  const wireMonitor = (b: Built): WiredMonitor | undefined =>
    b.host === undefined || b.plan === undefined
      ? undefined
      : createWiredMonitor({
          config,
          host: b.host,
          plan: b.plan,
          store: b.engine.store,
          logger: log,
          onStatus: (summary) => {
            health = summary;
            // During a run the run's own status write carries it.
            if (abort === undefined && !stopping) void publish();
          },
        });
  let monitor = wireMonitor(built);

  const runOnce = async (reasons: string[]): Promise<void> => {
    if (stopping) return;
    let converged = false;
    abort = new AbortController();
    const { engine } = built;
    // The monitor and a run never change the host at the same time.
    await monitor?.monitor.stop();
    try {
      log.info({ action: [...new Set(reasons)].join(',') }, 'run started');
      const resyncDue = now() - lastFullRun >= config.resyncInterval * 1000;
      const startedAt = now();
      const report = await engine.run({
        boot,
        signal: abort.signal,
        // Drift between resyncs is the monitor's to find; without one, every run reads the host.
        skipIfApplied: !resyncDue && monitor !== undefined,
      });
      boot = false;
      if (report.phase !== 'fetch') lastFullRun = startedAt;
      converged = hasConverged(report);
      // The report of a run that checked nothing keeps what the last status knew of each jail.
      lastReport = carryHealth(report, lastReport && withHealth(lastReport, health));
      const applied = await engine.store.readApplied();
      metrics.record(report, { appliedCommitTime: applied?.commit.timestamp });
      await publish();
    } catch (err) {
      log.error({ err }, 'run crashed');
    } finally {
      abort = undefined;
    }
    if (monitor !== undefined && !stopping) {
      await monitor.refresh();
      monitor.monitor.resetTables();
      if (converged) monitor.monitor.deferDrift();
      monitor.monitor.start();
    }
  };
  const queue = createRunQueue(runOnce);

  const webhook =
    config.webhook === undefined
      ? undefined
      : createWebhookServer({
          secret: () => secret ?? '',
          branch: () => config.repository.branch,
          maxBodyBytes: () => config.webhook?.maxBodyBytes ?? 1_048_576,
          onPush: (forge) => void queue.trigger(`webhook:${forge}`),
          onRequest: (outcome) => {
            metrics.recordWebhook(outcome.status);
            log.info(
              { action: outcome.forge ?? 'unknown', exitCode: outcome.status },
              'webhook received',
            );
          },
        });
  const metricsServer = config.metrics === undefined ? undefined : createMetricsServer(metrics);
  if (webhook !== undefined) await listen(webhook, config.webhook!.listen);
  if (metricsServer !== undefined) await listen(metricsServer, config.metrics!.listen);

  const schedulePoll = (): void => {
    clearTimeout(pollTimer);
    if (stopping) return;
    pollTimer = setTimeout(() => {
      void queue.trigger('poll').finally(schedulePoll);
    }, config.pollInterval * 1000);
  };

  const stop = async (): Promise<void> => {
    if (stopping) return done;
    stopping = true;
    log.info({}, 'stopping');
    clearTimeout(pollTimer);
    // The engine lets the running host step finish and starts no new one.
    abort?.abort();
    await Promise.all([close(webhook), close(metricsServer), monitor?.monitor.stop()]);
    await queue.idle();
    signals.off('SIGTERM', onTerm);
    signals.off('SIGINT', onTerm);
    signals.off('SIGHUP', onHup);
    await lock.release();
    log.info({}, 'stopped');
    resolveDone();
    return done;
  };

  const reload = async (): Promise<void> => {
    let next: NodeConfig;
    try {
      next = await deps.loadConfig(deps.configPath);
      secret = await webhookSecret(next, deps.env);
    } catch (err) {
      log.error({ err }, 'config reload failed; keeping the running config');
      return;
    }
    if (
      next.stateDir !== config.stateDir ||
      next.webhook?.listen !== config.webhook?.listen ||
      next.metrics?.listen !== config.metrics?.listen
    ) {
      log.warn({}, 'state directory and listeners change only on restart');
      next = {
        ...next,
        stateDir: config.stateDir,
        webhook: config.webhook,
        metrics: config.metrics,
      } as NodeConfig;
    }
    let rebuilt: Built;
    try {
      rebuilt = await deps.build(next, deps.logger);
    } catch (err) {
      log.error({ err }, 'config reload failed; keeping the running config');
      return;
    }
    config = next;
    built = rebuilt;
    // A new manifest folder, labels or policy can change what the same commit means.
    lastFullRun = Number.NEGATIVE_INFINITY;
    // The new monitor starts after the next run has read the applied commit.
    await monitor?.monitor.stop();
    monitor = wireMonitor(built);
    log.info({}, 'config reloaded');
    schedulePoll();
  };

  const onTerm = (): void => void stop();
  const onHup = (): void => void reload();
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onTerm);
  signals.on('SIGHUP', onHup);

  void queue.trigger('start').finally(schedulePoll);

  return {
    trigger: (reason) => queue.trigger(reason),
    reload,
    stop,
    done,
    metrics,
    get runs() {
      return queue.runs;
    },
    webhookAddress: () => addressOf(webhook),
    metricsAddress: () => addressOf(metricsServer),
  };
}

/**
 * The run read the host and left it as the commit says: applied, or found nothing to change.
 * A run that ended at the fetch read nothing, and a refused or failed one may have left drift.
 */
export function hasConverged(report: RunReport): boolean {
  return endedWell(report) && (report.result === 'Applied' || report.phase !== 'fetch');
}

/** Splits `host:port` or `[v6]:port`. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(listen);
  if (match === null) throw new Error(`bad listen address '${listen}'`);
  return { host: match[1] as string, port: Number(match[2]) };
}

async function webhookSecret(
  config: NodeConfig,
  env: NodeJS.ProcessEnv | undefined,
): Promise<string | undefined> {
  if (config.webhook === undefined) return undefined;
  return readSecret({ file: config.webhook.secretFile, env: config.webhook.secretEnv }, env);
}

function listen(server: Server, address: string): Promise<void> {
  const { host, port } = parseListen(address);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server | undefined): Promise<void> {
  if (server === undefined || !server.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function addressOf(server: Server | undefined): AddressInfo | undefined {
  const address = server?.address();
  return typeof address === 'object' && address !== null ? address : undefined;
}
