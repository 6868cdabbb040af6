// SPDX-License-Identifier: BSD-2-Clause
// Idle-poll benchmark: on the test host with the real Git server, the real engine runs once to
// apply the demo application, then runs again with nothing new, as the daemon does between
// resyncs (skipIfApplied) and at a resync (a full run); each idle run's HTTP round trips to the
// Git server, host commands and CPU time are counted. Also owns the in-process engine
// session (test host, Git server, engine, a logger whose lines are kept) other benchmarks reuse.

import { mkdtemp, readFile, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { loadNodeConfig } from '../src/config/load.js';
import type { NodeConfig } from '../src/config/types.js';
import { createLogger } from '../src/log/logger.js';
import type { EngineDeps } from '../src/run/deps.js';
import { createEngine, type Engine, type RunOptions } from '../src/run/engine.js';
import type { RunReport } from '../src/run/report.js';
import { createRealDeps } from '../src/run/wire.js';
import { findRepoRoot } from '../test/host/paths.js';
import { startStack, type Stack } from '../test/host/stack.js';
import { median, type BenchRow } from './table.js';

/** What one idle run cost. */
export interface IdlePoll {
  result: string;
  /** Requests the Git server answered during the run (a 401 challenge counts). */
  requests: number;
  /** Requests that were not 401 challenges. */
  authenticatedRequests: number;
  hostCommands: number;
  /** argv[0] basenames of the host commands, in order. */
  tools: string[];
  cpuMs: number;
  wallMs: number;
}

export interface IdlePollResult {
  /** Idle runs as the daemon makes them between resyncs. */
  polls: IdlePoll[];
  /** Idle runs as the daemon makes them at a resync: host read and plan. */
  resyncs: IdlePoll[];
  /** Result of the first run, which applies the demo application. */
  firstResult: string;
  /** One observe of the host the first run left: its commands and the jails it found. */
  observe: { commands: number; jails: number };
  /** Which application the host runs; see openConvergedSession. */
  app: string;
}

/** One parsed pino line. */
export type LogLine = Record<string, unknown> & { msg?: string; time?: number };

/** The test host, Git server and an in-process engine whose log lines are kept in `lines`. */
export interface EngineSession {
  stack: Stack;
  config: NodeConfig;
  deps: EngineDeps;
  engine: Engine;
  lines: LogLine[];
  stop(): Promise<void>;
}

/** Idle polls after the first apply; `polls` idle runs (5 by default). */
export async function runIdlePollBenchmark(
  options: { polls?: number } = {},
): Promise<IdlePollResult> {
  const { session, app, first } = await openConvergedSession();
  try {
    const observed = await session.deps.host.observe();
    const observe = {
      commands: observed.commands,
      jails: Object.keys(observed.topology.jails).length,
    };
    const polls: IdlePoll[] = [];
    const resyncs: IdlePoll[] = [];
    for (let i = 0; i < (options.polls ?? 5); i++) {
      resyncs.push(await measureIdlePoll(session));
      polls.push(await measureIdlePoll(session, { skipIfApplied: true }));
    }
    return { polls, resyncs, firstResult: first.result, observe, app };
  } finally {
    await session.stop();
  }
}

/**
 * A session whose host runs the demo application with two web jails; when the demo cannot be
 * applied, one with only its network and volume, and `app` says so with the demo's failure.
 */
export async function openConvergedSession(): Promise<{
  session: EngineSession;
  app: string;
  first: RunReport;
}> {
  const demo = await openEngineSession({ replicas: 2 });
  try {
    return { session: demo, app: 'demo app, 2 web jails', first: await applyFirst(demo) };
  } catch (err) {
    await demo.stop();
    const why = (err instanceof Error ? err.message : String(err)).slice(0, 160);
    const bare = await openEngineSession({ withoutJails: true });
    try {
      return {
        session: bare,
        app: `network and volume only, demo failed: ${why}`,
        first: await applyFirst(bare),
      };
    } catch (bareErr) {
      await bare.stop();
      throw bareErr;
    }
  }
}

/**
 * The first run applies the application; a failed one is retried up to twice more, as the
 * daemon would on its next polls.
 */
export async function applyFirst(session: EngineSession): Promise<RunReport> {
  let report = await session.engine.run({ boot: true });
  for (let attempt = 2; attempt <= 3 && !isConverged(report); attempt++) {
    report = await session.engine.run();
  }
  assertResult(report, ['Applied', 'NoChange'], 'the first run (after 3 attempts)');
  return report;
}

function isConverged(report: RunReport): boolean {
  return report.result === 'Applied' || report.result === 'NoChange';
}

/** Rows: medians of the idle runs against the targets. */
export function idlePollRows(r: IdlePollResult): BenchRow[] {
  const requests = median(r.polls.map((p) => p.requests));
  const authed = median(r.polls.map((p) => p.authenticatedRequests));
  const commands = median(r.polls.map((p) => p.hostCommands));
  const results = [...new Set(r.polls.map((p) => p.result))].join(',');
  const tools = tally(r.polls[0]?.tools ?? []) || 'none';
  const resyncTools = tally(r.resyncs[0]?.tools ?? []);
  return [
    { benchmark: 'idle-poll', metric: 'what the host runs', value: r.app, target: '' },
    {
      benchmark: 'idle-poll',
      metric: `HTTP requests to the Git server per idle run (${r.polls.length} runs, ${results})`,
      value: `${requests} (${authed} authenticated)`,
      target: '1 fetch round trip',
      met: requests <= 2 && authed <= 1,
    },
    {
      benchmark: 'idle-poll',
      metric: `host commands per idle run (${tools})`,
      value: String(commands),
      target: '<= 8',
      met: commands <= 8,
    },
    {
      benchmark: 'idle-poll',
      metric: 'CPU time of the engine process per idle run (median)',
      value: `${median(r.polls.map((p) => p.cpuMs)).toFixed(0)} ms`,
      target: '',
    },
    {
      benchmark: 'idle-poll',
      metric: 'wall time per idle run (median; host commands are simulator processes)',
      value: `${median(r.polls.map((p) => p.wallMs)).toFixed(0)} ms`,
      target: '',
    },
    {
      benchmark: 'idle-poll',
      metric: `HTTP requests per idle resync run (every resyncInterval, ${r.resyncs.length} runs)`,
      value: String(median(r.resyncs.map((p) => p.requests))),
      target: '',
    },
    {
      benchmark: 'idle-poll',
      metric: `host commands per idle resync run (${resyncTools})`,
      value: String(median(r.resyncs.map((p) => p.hostCommands))),
      target: '',
    },
    {
      benchmark: 'idle-poll',
      metric: 'CPU time of the engine process per idle resync run (median)',
      value: `${median(r.resyncs.map((p) => p.cpuMs)).toFixed(0)} ms`,
      target: '',
    },
    {
      benchmark: 'idle-poll',
      metric: 'wall time per idle resync run (median)',
      value: `${median(r.resyncs.map((p) => p.wallMs)).toFixed(0)} ms`,
      target: '',
    },
    {
      benchmark: 'observe (test host)',
      metric: `host commands of one observe, ${r.observe.jails} jails`,
      value: String(r.observe.commands),
      target: '',
    },
  ];
}

/** Runs the engine once and counts what it cost; the run must find nothing to do. */
export async function measureIdlePoll(
  session: EngineSession,
  options: RunOptions = {},
): Promise<IdlePoll> {
  const requestsBefore = session.stack.git.requests.length;
  const linesBefore = session.lines.length;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const report = await session.engine.run(options);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  assertResult(report, ['NoChange'], 'an idle run');

  const requests = session.stack.git.requests.slice(requestsBefore);
  const commands = hostCommandsOf(session.lines.slice(linesBefore));
  return {
    result: report.result,
    requests: requests.length,
    authenticatedRequests: requests.filter((q) => q.status !== 401).length,
    hostCommands: commands.length,
    tools: commands.map((c) => path.basename(c.argv[0] ?? '')),
    cpuMs: (used.user + used.system) / 1000,
    wallMs,
  };
}

/** A host command the runner logged ('host command finished' at debug level). */
export interface LoggedCommand {
  argv: string[];
  durationMs: number;
  time: number;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

/** The host commands in `lines`, with their output when trace lines are present. */
export function hostCommandsOf(lines: readonly LogLine[]): LoggedCommand[] {
  const commands: LoggedCommand[] = [];
  for (const line of lines) {
    if (line.msg === 'host command finished' && Array.isArray(line['argv'])) {
      commands.push({
        argv: line['argv'] as string[],
        durationMs: Number(line['durationMs'] ?? 0),
        time: Number(line.time ?? 0),
        ...(typeof line['exitCode'] === 'number' ? { exitCode: line['exitCode'] } : {}),
      });
    } else if (line.msg === 'host command output') {
      const last = commands[commands.length - 1];
      if (last === undefined || !sameArgv(last.argv, line['argv'])) continue;
      last.stdout = String(line['stdout'] ?? '');
      last.stderr = String(line['stderr'] ?? '');
    }
  }
  return commands;
}

/** Counts of each name, e.g. 'zfs x2, jls x1', in first-seen order. */
export function tally(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name} x${n}`).join(', ');
}

/**
 * Starts the stack with the demo application (`replicas` web jails, `memory` their limit) and
 * an in-process engine over the real modules whose every log line, trace included, is kept.
 */
export async function openEngineSession(
  demo: DemoOptions & { concurrency?: number; manifests?: string } = {},
): Promise<EngineSession> {
  const manifests = demo.manifests ?? (await writeDemoManifests(demo));
  let stack: Stack | undefined;
  try {
    stack = await startStack({ manifests, pollInterval: 5 });
    const config = await loadNodeConfig(stack.configPath);
    const lines: LogLine[] = [];
    const logger = createLogger({ level: 'trace', destination: collect(lines) });
    const real = await createRealDeps(config, logger);
    const deps: EngineDeps = {
      ...real,
      ...(demo.concurrency === undefined ? {} : { concurrency: demo.concurrency }),
    };
    const opened = stack;
    return {
      stack: opened,
      config,
      deps,
      engine: createEngine(deps),
      lines,
      stop: async () => {
        await opened.stop();
        if (demo.manifests === undefined) await rm(manifests, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stack?.stop();
    if (demo.manifests === undefined) await rm(manifests, { recursive: true, force: true });
    throw err;
  }
}

/** Variations of demo-repo the benchmarks use. */
export interface DemoOptions {
  replicas?: number;
  memory?: string;
  /** Only the network and the volume: nothing that needs an image built. */
  withoutJails?: boolean;
  /** The volume's quota. */
  quota?: string;
}

/** Copies demo-repo to a temporary folder with `replicas` and `memory` set; returns the folder. */
export async function writeDemoManifests(demo: DemoOptions = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stockade-bench-demo-'));
  const source = path.join(findRepoRoot(), 'demo-repo');
  await mkdir(path.join(dir, 'www'));
  await copyFile(path.join(source, 'www', 'index.html'), path.join(dir, 'www', 'index.html'));
  const text = await readFile(path.join(source, 'stockade.yaml'), 'utf8');
  await writeFile(path.join(dir, 'stockade.yaml'), demoManifest(text, demo));
  return dir;
}

/** demo-repo's stockade.yaml with the web jail's replicas and memory limit replaced. */
export function demoManifest(text: string, demo: DemoOptions): string {
  let out = demo.withoutJails === true ? keepKinds(text, ['Network', 'Volume']) : text;
  if (demo.quota !== undefined) out = replaceOnce(out, /quota: \S+/, `quota: ${demo.quota}`);
  if (demo.withoutJails === true) return out;
  if (demo.replicas !== undefined)
    out = replaceOnce(out, /replicas: \d+/, `replicas: ${demo.replicas}`);
  if (demo.memory !== undefined) out = replaceOnce(out, /memory: \S+/, `memory: ${demo.memory}`);
  return out;
}

/** The documents of a multi-document YAML text whose kind is one of `kinds`. */
export function keepKinds(text: string, kinds: readonly string[]): string {
  const docs = text
    .split(/^---$/m)
    .filter((doc) => kinds.some((k) => new RegExp(`^kind: ${k}$`, 'm').test(doc)));
  return docs.map((doc) => doc.trim()).join('\n---\n') + '\n';
}

function replaceOnce(text: string, pattern: RegExp, value: string): string {
  if (!pattern.test(text)) throw new Error(`demo-repo/stockade.yaml has no ${pattern.source}`);
  return text.replace(pattern, value);
}

function assertResult(report: RunReport, expected: string[], what: string): void {
  if (expected.includes(report.result)) return;
  const errors = report.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
  throw new Error(`${what} ended ${report.result} (${report.reason}): ${report.message} ${errors}`);
}

function sameArgv(a: readonly string[], b: unknown): boolean {
  return Array.isArray(b) && a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A pino destination that parses each line into `lines`. */
function collect(lines: LogLine[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
}
