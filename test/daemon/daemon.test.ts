// SPDX-License-Identifier: BSD-2-Clause
// The daemon end to end over the engine fakes: start, webhook, status write, metrics, reload,
// SIGTERM during a run, and the lock against a second instance.
import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { NodeConfig } from '../../src/config/types.js';
import { hasConverged, startDaemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/log/logger.js';
import { createEngine, type Engine } from '../../src/run/engine.js';
import type { RunReport } from '../../src/run/report.js';
import { fakeDeps, manifestFile } from '../run/fakes.js';
import { tempDir } from '../run/helpers.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

async function setup(options: { monitor?: boolean; now?: () => number } = {}) {
  const dir = await tempDir();
  const secretFile = join(dir, 'hook.secret');
  await writeFile(secretFile, 'first-secret\n');
  const fakes = fakeDeps(join(dir, 'state'));
  fakes.git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
  let config: NodeConfig = {
    ...fakes.deps.config,
    webhook: { listen: '127.0.0.1:0', secretFile, maxBodyBytes: 65536 },
    metrics: { listen: '127.0.0.1:0' },
  };
  const signals = new EventEmitter();
  const builds: NodeConfig[] = [];
  const runs: { skipIfApplied: boolean; phase: string; result: string }[] = [];
  const start = () =>
    startDaemon({
      configPath: join(dir, 'stockade.yaml'),
      loadConfig: async () => config,
      build: (c) => {
        builds.push(c);
        const engine = createEngine({ ...fakes.deps, config: c });
        const run = engine.run;
        const recorded: Engine = {
          store: engine.store,
          run: async (o) => {
            const report = await run(o);
            runs.push({
              skipIfApplied: o?.skipIfApplied === true,
              phase: report.phase,
              result: report.result,
            });
            return report;
          },
        };
        return options.monitor === true
          ? { engine: recorded, source: fakes.git, host: fakes.host, plan: fakes.deps.plan }
          : { engine: recorded, source: fakes.git };
      },
      logger: silentLogger,
      signals: signals as unknown as NodeJS.Process,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
  const setConfig = (c: NodeConfig) => (config = c);
  return {
    ...fakes,
    dir,
    secretFile,
    signals,
    builds,
    runs,
    start,
    setConfig,
    config: () => config,
  };
}

async function push(port: number, secret: string): Promise<number> {
  const body = JSON.stringify({ ref: 'refs/heads/main' });
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  const res = await fetch(`http://127.0.0.1:${port}/webhook`, {
    method: 'POST',
    headers: { 'x-github-event': 'push', 'x-hub-signature-256': signature },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

describe('the daemon', () => {
  it('applies at start, applies a pushed commit on a webhook and writes status once per change', async () => {
    const { git, host, start } = await setup({ monitor: true });
    const daemon = await start();
    await daemon.trigger('test');
    const afterStart = git.writes.length;

    git.push(B, { 'app.json': manifestFile([{ name: 'web', version: '2' }, { name: 'api' }]) });
    expect(await push(daemon.webhookAddress()!.port, 'first-secret')).toBe(202);
    await daemon.trigger('test');
    const metrics = await (
      await fetch(`http://127.0.0.1:${daemon.metricsAddress()!.port}/metrics`)
    ).text();
    await daemon.stop();

    expect(afterStart).toBe(1);
    expect(git.writes.map((w) => w.message)).toEqual([
      'status: node1 Applied Applied at aaaaaaa',
      'status: node1 Applied Applied at bbbbbbb',
    ]);
    expect(Object.keys(host.topology.jails).sort()).toEqual(['api-0', 'web-0']);
    expect(metrics).toContain('stockade_runs_total{result="Applied"} 2\n');
    expect(metrics).toContain('stockade_runs_total{result="NoChange"} 2\n');
    expect(metrics).toContain('stockade_jails{state="running"} 2\n');
    expect(metrics).toContain('stockade_applied_commit_timestamp_seconds 1700000000\n');
    expect(metrics).toContain('stockade_webhook_requests_total{code="202"} 1\n');
    expect(metrics).toContain('# TYPE stockade_run_duration_seconds summary\n');
  });

  it('ends a run on the applied commit at the fetch until the resync interval has passed', async () => {
    let clock = 1_000_000;
    const { git, runs, start, setConfig, config, signals } = await setup({
      monitor: true,
      now: () => clock,
    });
    const daemon = await start();
    await daemon.trigger('poll');
    clock += 299_000;
    await daemon.trigger('poll');
    clock += 1_000;
    await daemon.trigger('poll');
    await daemon.trigger('poll');
    git.push(B, { 'app.json': manifestFile([{ name: 'web', version: '2' }]) });
    await daemon.trigger('webhook:github');
    // A reloaded config may give the same commit another meaning: the next run is full.
    setConfig({ ...config(), labels: { zone: 'b' } });
    signals.emit('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await daemon.trigger('poll');
    await daemon.trigger('poll');
    setConfig({ ...config(), resyncInterval: 0 });
    signals.emit('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await daemon.trigger('poll');
    await daemon.trigger('poll');
    await daemon.stop();

    expect(runs).toEqual([
      // The first run is a boot run, which always reads the host.
      { skipIfApplied: false, phase: 'record', result: 'Applied' },
      { skipIfApplied: true, phase: 'fetch', result: 'NoChange' },
      { skipIfApplied: true, phase: 'fetch', result: 'NoChange' },
      // 300 s after the last full run: a resync.
      { skipIfApplied: false, phase: 'plan', result: 'NoChange' },
      { skipIfApplied: true, phase: 'fetch', result: 'NoChange' },
      // A new commit is applied even when the run may skip.
      { skipIfApplied: true, phase: 'record', result: 'Applied' },
      { skipIfApplied: false, phase: 'plan', result: 'NoChange' },
      { skipIfApplied: true, phase: 'fetch', result: 'NoChange' },
      // resyncInterval 0: every run reads the host.
      { skipIfApplied: false, phase: 'plan', result: 'NoChange' },
      { skipIfApplied: false, phase: 'plan', result: 'NoChange' },
    ]);
  });

  it('writes one status commit when idle runs resume, none for skipped or full ones after', async () => {
    let clock = 1_000_000;
    const { git, runs, start } = await setup({ monitor: true, now: () => clock });
    const daemon = await start();
    await daemon.trigger('poll');
    // A force push is refused; resetting the branch back to the applied commit ends it.
    git.push(B, { 'app.json': manifestFile([{ name: 'other' }]) }, null);
    await daemon.trigger('poll');
    git.tip = A;
    for (let i = 0; i < 2; i++) {
      await daemon.trigger('poll');
      await daemon.trigger('poll');
      clock += 300_000;
    }
    await daemon.stop();

    expect(runs.map((r) => [r.phase, r.result])).toEqual([
      ['record', 'Applied'],
      ['fetch', 'NoChange'],
      ['fetch', 'Refused'],
      // After a refused run the next one reads the host; then skipped and full ones alternate.
      ['plan', 'NoChange'],
      ['fetch', 'NoChange'],
      ['plan', 'NoChange'],
      ['fetch', 'NoChange'],
    ]);
    expect(git.writes.map((w) => w.message)).toEqual([
      'status: node1 Applied Applied at aaaaaaa',
      'status: node1 Refused ForcePushRefused at bbbbbbb',
      'status: node1 NoChange UpToDate at aaaaaaa',
    ]);
  });

  it('refuses a second instance on the same state directory, and frees the lock on stop', async () => {
    const { start } = await setup();
    const first = await start();

    await expect(start()).rejects.toMatchObject({ code: 'LOCK_HELD', data: { pid: process.pid } });
    await first.stop();
    const again = await start();
    await again.stop();
  });

  it('reloads the config and webhook secret on SIGHUP', async () => {
    const { start, signals, secretFile, builds, setConfig, config } = await setup();
    const daemon = await start();
    await writeFile(secretFile, 'second-secret\n');
    setConfig({ ...config(), pollInterval: 300 });

    signals.emit('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const port = daemon.webhookAddress()!.port;
    const statuses = [await push(port, 'first-secret'), await push(port, 'second-secret')];
    await daemon.stop();

    expect(statuses).toEqual([401, 202]);
    expect(builds.map((b) => b.pollInterval)).toEqual([60, 300]);
  });

  it('on SIGTERM finishes the running step, stops, and the next start converges', async () => {
    const { git, host, start, signals, deps } = await setup();
    const daemon = await start();
    await daemon.trigger('test');
    git.push(B, { 'app.json': manifestFile([{ name: 'web', version: '2' }, { name: 'api' }]) });
    host.beforeStep = (step) => {
      if (step.id === 'jail.stop:web-0') signals.emit('SIGTERM');
    };

    void daemon.trigger('test');
    await daemon.done;
    const stepsBeforeStop = host.calls
      .filter((c) => c.method === 'applyStep')
      .map((c) => c.args[0]);
    const journal = await createEngine(deps).store.readJournal();
    host.beforeStep = undefined;
    const second = await start();
    await second.trigger('test');
    await second.stop();

    expect(journal).toMatchObject({ commit: B, phase: 'apply' });
    // The step that was running finished; nothing after it started.
    expect(stepsBeforeStop.at(-1)).toBe('jail.stop:web-0');
    expect(stepsBeforeStop).not.toContain('jail.remove:web-0');
    expect(Object.keys(host.topology.jails).sort()).toEqual(['api-0', 'web-0']);
    expect(host.topology.jails['web-0']!.specHash).toBe('2');
    expect(git.writes.at(-1)!.message).toBe('status: node1 Applied Applied at bbbbbbb');
  });
});

describe('hasConverged', () => {
  const report = (over: Partial<RunReport>): RunReport =>
    ({ result: 'NoChange', reason: 'UpToDate', phase: 'plan', ...over }) as RunReport;

  it('is true for an apply and for a full run that found nothing to change', () => {
    expect(hasConverged(report({ result: 'Applied', reason: 'Applied', phase: 'record' }))).toBe(
      true,
    );
    expect(
      hasConverged(report({ result: 'Applied', reason: 'DriftCorrected', phase: 'record' })),
    ).toBe(true);
    expect(hasConverged(report({}))).toBe(true);
    expect(hasConverged(report({ reason: 'Pinned' }))).toBe(true);
  });

  it('is false for a run that read nothing, left drift, or did not apply', () => {
    expect(hasConverged(report({ phase: 'fetch' }))).toBe(false);
    expect(hasConverged(report({ reason: 'DriftDetected' }))).toBe(false);
    expect(hasConverged(report({ result: 'ValidationFailed', reason: 'ManifestInvalid' }))).toBe(
      false,
    );
    expect(hasConverged(report({ result: 'RolledBack', reason: 'HealthCheckFailed' }))).toBe(false);
  });
});
