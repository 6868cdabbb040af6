// SPDX-License-Identifier: BSD-2-Clause
// Commit-to-applied benchmark: the whole stack with `stockade run` as a process and its webhook
// on loopback. A pushed commit changes one jail, a signed webhook announces it, and the clock
// stops when the status commit names it. The daemon's debug log gives the per-step breakdown
// and the argv of every host command it issued; replaying those in /bin/sh is the floor.

import { type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';

import { execa } from 'execa';

import { formatCommand } from '../src/host/exec.js';
import { WEBHOOK_PATH } from '../src/daemon/webhook.js';
import { startStack, waitFor, type Stack } from '../test/host/stack.js';
import { findRepoRoot } from '../test/host/paths.js';
import {
  demoManifest,
  hostCommandsOf,
  writeDemoManifests,
  type DemoOptions,
  type LogLine,
} from './idle-poll.js';
import { type BenchRow } from './table.js';

/** One phase of the measured deploy and how long it took. */
export interface Phase {
  name: string;
  ms: number;
}

export interface CommitToAppliedResult {
  /** What the measured commit changed. */
  change: string;
  /** From the webhook POST to the status commit naming the new commit on the server. */
  wallMs: number;
  phases: Phase[];
  /** Host commands the run issued, and the sum of their own durations. */
  hostCommands: number;
  hostCommandMs: number;
  /** The same argv replayed in /bin/sh on the host in the state before the change. */
  floorMs: number;
  /** Replayed commands that exited non-zero (their state differs, e.g. a generated name). */
  floorFailures: number;
}

/**
 * Brings the stack up with one web jail, lets the daemon apply it, then measures one deploy that
 * changes the jail's memory limit. A second commit restores the limit so the replay starts from
 * the same host state the measured run saw. When the demo's deploy fails, the same is done with
 * only its network and volume, changing the volume's quota, and `change` says why.
 */
export async function runCommitToAppliedBenchmark(): Promise<CommitToAppliedResult> {
  try {
    return await measureOnStack({ replicas: 1, memory: '64M' }, { replicas: 1, memory: '96M' });
  } catch (err) {
    const measured = await measureOnStack(
      { withoutJails: true, quota: '64M' },
      { withoutJails: true, quota: '96M' },
    );
    const why = err instanceof Error ? err.message : String(err);
    return { ...measured, change: `${measured.change}; the demo failed: ${why.slice(0, 120)}` };
  }
}

/** The stack's first commit never reached the host. */
class FirstApplyError extends Error {}

async function measureOnStack(
  base: DemoOptions,
  changed: DemoOptions,
): Promise<CommitToAppliedResult> {
  const manifests = await writeDemoManifests(base);
  const sourceText = await readFile(
    path.join(findRepoRoot(), 'demo-repo', 'stockade.yaml'),
    'utf8',
  );
  const savedLevel = process.env['STOCKADE_LOG_LEVEL'];
  // The daemon inherits this process's environment; debug lines carry each command's argv.
  process.env['STOCKADE_LOG_LEVEL'] = 'debug';
  let stack: Stack | undefined;
  try {
    stack = await startStack({ manifests, pollInterval: 600, webhookPort: await freePort() });
    restoreEnv('STOCKADE_LOG_LEVEL', savedLevel);
    const daemon = await stack.startDaemon();
    const first = (await stack.git_(['rev-parse', 'HEAD'])).trim();
    await applyFirst(stack, first);

    const result = await measureDeploy(stack, {
      'stockade.yaml': demoManifest(sourceText, changed),
    });
    const measured = runLines(await readLog(stack), result.runStart, result.runEnd);

    // Back to the state the measured run started from, then the daemon stops so the replay is
    // the only thing changing the host.
    await deploy(stack, { 'stockade.yaml': demoManifest(sourceText, base) }, 'Restore the limit');
    await stopProcess(daemon);
    const replay = await replayInShell(
      stack,
      measured.commands.map((c) => c.argv),
    );

    return {
      change: describeChange(changed),
      wallMs: result.wallMs,
      phases: phasesOf(measured.lines, result),
      hostCommands: measured.commands.length,
      hostCommandMs: measured.commands.reduce((s, c) => s + c.durationMs, 0),
      floorMs: replay.ms,
      floorFailures: replay.failures,
    };
  } finally {
    restoreEnv('STOCKADE_LOG_LEVEL', savedLevel);
    // For reading the measured run's lines afterwards: the stack's folder goes with it.
    const keep = process.env['STOCKADE_BENCH_KEEP_LOG'];
    if (keep !== undefined && stack !== undefined)
      await copyFile(stack.daemonLog, keep).catch(() => undefined);
    await stack?.stop();
    await rm(manifests, { recursive: true, force: true });
  }
}

function describeChange(changed: DemoOptions): string {
  return changed.withoutJails === true
    ? `volume quota to ${changed.quota ?? '?'} (no jails)`
    : `one web jail's memory limit to ${changed.memory ?? '?'}`;
}

/** Rows: the wall time, each phase, the floor and the overhead against the target. */
export function commitToAppliedRows(r: CommitToAppliedResult): BenchRow[] {
  const overhead = r.wallMs / r.floorMs;
  return [
    {
      benchmark: 'commit-to-applied',
      metric: 'what the commit changes',
      value: r.change,
      target: '',
    },
    {
      benchmark: 'commit-to-applied',
      metric: 'webhook POST to status commit on the server',
      value: `${Math.round(r.wallMs)} ms`,
      target: '',
    },
    ...r.phases.map((p) => ({
      benchmark: 'commit-to-applied',
      metric: `  ${p.name}`,
      value: `${Math.round(p.ms)} ms`,
      target: '',
    })),
    {
      benchmark: 'commit-to-applied',
      metric: `host commands issued by the run (sum of their durations)`,
      value: `${r.hostCommands} (${Math.round(r.hostCommandMs)} ms)`,
      target: '',
    },
    {
      benchmark: 'commit-to-applied',
      metric: `floor: same argv in /bin/sh (${r.floorFailures} exited non-zero)`,
      value: `${Math.round(r.floorMs)} ms`,
      target: '',
    },
    {
      benchmark: 'commit-to-applied',
      metric: 'overhead: wall time / floor',
      value: `${overhead.toFixed(2)}x`,
      target: '< 1.5x',
      met: overhead < 1.5,
    },
  ];
}

/** Splits the measured deploy into phases from the daemon's log line times. */
export function phasesOf(
  lines: readonly LogLine[],
  marks: { postedAt: number; statusSeenAt: number; runStart: number; runEnd: number },
): Phase[] {
  const timeOf = (msg: string, last = false): number | undefined => {
    const found = lines.filter((l) => l.msg === msg);
    return (last ? found[found.length - 1] : found[0])?.time;
  };
  const rollback = timeOf('rollback point taken');
  const lastStep = timeOf('step applied', true);
  const phases: Phase[] = [
    { name: 'webhook to run start (queue)', ms: marks.runStart - marks.postedAt },
  ];
  if (rollback !== undefined && lastStep !== undefined) {
    phases.push(
      { name: 'fetch, observe, load, compile, plan, snapshot', ms: rollback - marks.runStart },
      { name: 'apply (plan steps)', ms: lastStep - rollback },
      { name: 'health gate and record', ms: marks.runEnd - lastStep },
    );
  } else {
    phases.push({ name: 'run (no step applied)', ms: marks.runEnd - marks.runStart });
  }
  phases.push({
    name: 'status push and seen on the server',
    ms: marks.statusSeenAt - marks.runEnd,
  });
  return phases;
}

/** The log lines of the run that started at `start`, and its host commands. */
function runLines(
  lines: readonly LogLine[],
  start: number,
  end: number,
): { lines: LogLine[]; commands: ReturnType<typeof hostCommandsOf> } {
  const inRun = lines.filter((l) => (l.time ?? 0) >= start && (l.time ?? 0) <= end);
  return { lines: inRun, commands: hostCommandsOf(inRun) };
}

interface DeployMarks {
  wallMs: number;
  postedAt: number;
  statusSeenAt: number;
  runStart: number;
  runEnd: number;
}

/** Pushes `files`, posts the webhook and waits for the status commit; times the whole. */
async function measureDeploy(stack: Stack, files: Record<string, string>): Promise<DeployMarks> {
  const oid = (await stack.commit('Raise the web jail memory limit', files)).trim();
  const logBefore = (await readLog(stack)).length;
  const postedAt = Date.now();
  const started = performance.now();
  await postWebhook(stack, oid);
  await waitForApplied(stack, oid, 300_000, 100);
  const wallMs = performance.now() - started;
  const statusSeenAt = Date.now();

  const after = (await readLog(stack)).slice(logBefore);
  const runStart = after.find((l) => l.msg === 'run started')?.time;
  const runEnd = after.find((l) => l.msg === 'run finished')?.time;
  if (runStart === undefined || runEnd === undefined) {
    throw new Error('the daemon log shows no run for the webhook');
  }
  return { wallMs, postedAt, statusSeenAt, runStart, runEnd };
}

/**
 * Waits for the daemon's start run to apply `oid`; when it fails (the daemon would retry on its
 * next poll), a webhook asks for another run, at most three times.
 */
async function applyFirst(stack: Stack, oid: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await waitForApplied(stack, oid, 120_000);
      return;
    } catch (err) {
      if (attempt === 3)
        throw new FirstApplyError(err instanceof Error ? err.message : String(err));
      await postWebhook(stack, oid);
    }
  }
}

async function deploy(stack: Stack, files: Record<string, string>, message: string): Promise<void> {
  const oid = (await stack.commit(message, files)).trim();
  await postWebhook(stack, oid);
  await waitForApplied(stack, oid, 300_000);
}

/** A GitHub-style push event for main, signed with the stack's webhook secret. */
async function postWebhook(stack: Stack, oid: string): Promise<void> {
  if (stack.webhookUrl === undefined) throw new Error('the stack has no webhook');
  const body = JSON.stringify({ ref: 'refs/heads/main', after: oid });
  const signature = createHmac('sha256', stack.webhookSecret).update(body).digest('hex');
  const response = await fetch(`${stack.webhookUrl}${WEBHOOK_PATH}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${signature}`,
    },
    body,
  });
  if (response.status !== 202) throw new Error(`the webhook answered ${response.status}`);
}

/**
 * Waits until the server's status branch says the node applied `oid`; rejects at once when the
 * status says a run on `oid` ended otherwise (the daemon would only retry on its next poll).
 */
async function waitForApplied(
  stack: Stack,
  oid: string,
  timeoutMs: number,
  intervalMs = 500,
): Promise<void> {
  let failed: string | undefined;
  await waitFor(
    `status naming ${oid.slice(0, 7)} as applied`,
    async () => {
      const text = await stack.readStatus('nodes/testhost.json');
      if (text === undefined) return undefined;
      const status = JSON.parse(text) as {
        applied?: { commit?: string } | null;
        observed?: string | null;
        result?: string;
      };
      if (status.applied?.commit === oid) return true;
      if (status.observed === oid && status.result !== undefined && status.result !== 'NoChange') {
        failed = status.result;
        return true;
      }
      return undefined;
    },
    timeoutMs,
    intervalMs,
  );
  if (failed !== undefined) throw new Error(`the run on ${oid.slice(0, 7)} ended ${failed}`);
}

/** Replays argv lines in one /bin/sh script with the test host's environment. */
async function replayInShell(
  stack: Stack,
  commands: string[][],
): Promise<{ ms: number; failures: number }> {
  const script = path.join(stack.host.tempDir, 'replay.sh');
  const body = commands.map(
    (argv) => `${formatCommand(argv)} >/dev/null 2>&1 || failures=$((failures + 1))`,
  );
  await writeFile(script, ['failures=0', ...body, 'echo "$failures"', ''].join('\n'));
  const started = performance.now();
  const result = await execa('/bin/sh', [script], { env: { ...process.env, ...stack.host.env } });
  return { ms: performance.now() - started, failures: Number(result.stdout.trim()) };
}

async function readLog(stack: Stack): Promise<LogLine[]> {
  const text = await readFile(stack.daemonLog, 'utf8').catch(() => '');
  const lines: LogLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // A line cut by the buffer at the moment of reading is read whole next time.
    }
  }
  return lines;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** A port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
