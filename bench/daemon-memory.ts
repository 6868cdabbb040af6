// SPDX-License-Identifier: BSD-2-Clause
// Daemon-memory benchmark: the engine's poll loop driven in-process with a short interval
// against the real Git server, RSS sampled every 100 idle polls after a garbage collection.
// The host answers from a recording of the test host's real output for an idle run, so a
// thousand polls take minutes rather than the hours a thousand rounds of simulator processes
// would.

import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { createHostDriver } from '../src/host/driver.js';
import { createRunner, type SpawnFn } from '../src/host/exec.js';
import { silentLogger } from '../src/log/logger.js';
import { createEngine } from '../src/run/engine.js';
import { createRealDeps } from '../src/run/wire.js';
import {
  hostCommandsOf,
  measureIdlePoll,
  openConvergedSession,
  type LoggedCommand,
} from './idle-poll.js';
import { slope, toMb, type BenchRow } from './table.js';

/** One RSS sample, taken after `poll` idle polls. */
export interface MemorySample {
  poll: number;
  rssMb: number;
  heapUsedMb: number;
}

export interface DaemonMemoryResult {
  polls: number;
  intervalMs: number;
  samples: MemorySample[];
  /** Whether each sample followed a full garbage collection. */
  gc: boolean;
  /** Polls that did not end NoChange. */
  unexpected: number;
  /** Git server requests per poll, to show every poll really fetched. */
  requestsPerPoll: number;
  /** Which application the recorded host ran. */
  app: string;
}

/** Growth over the whole run, from the slope, under which RSS counts as not growing. */
export const FLAT_GROWTH_MB = 2;

/** Runs `polls` idle polls (1,000 by default) `intervalMs` (10) apart and samples RSS. */
export async function runDaemonMemoryBenchmark(
  options: { polls?: number; intervalMs?: number; sampleEvery?: number } = {},
): Promise<DaemonMemoryResult> {
  const { polls = 1000, intervalMs = 10, sampleEvery = 100 } = options;
  const collect = garbageCollector();
  const { session, app } = await openConvergedSession();
  try {
    const recordFrom = session.lines.length;
    await measureIdlePoll(session);
    const recorded = hostCommandsOf(session.lines.slice(recordFrom));
    // The recording is all the engine needs from now on; the trace lines are dropped.
    session.lines.length = 0;

    const deps = await createRealDeps(session.config, silentLogger);
    const host = createHostDriver(session.config, {
      runner: createRunner({ tools: session.config.tools, spawn: replaySpawn(recorded) }),
      logger: silentLogger,
    });
    const engine = createEngine({ ...deps, host });

    const samples: MemorySample[] = [];
    const requestsBefore = session.stack.git.requests.length;
    let unexpected = 0;
    for (let poll = 1; poll <= polls; poll++) {
      const report = await engine.run();
      if (report.result !== 'NoChange') unexpected += 1;
      if (poll % sampleEvery === 0) samples.push(sample(poll, collect));
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    const requests = session.stack.git.requests.length - requestsBefore;
    return {
      polls,
      intervalMs,
      samples,
      gc: collect !== undefined,
      unexpected,
      requestsPerPoll: requests / polls,
      app,
    };
  } finally {
    await session.stop();
  }
}

/** Rows: first and last sample, the slope, and the verdict. */
export function daemonMemoryRows(r: DaemonMemoryResult): BenchRow[] {
  const first = r.samples[0];
  const last = r.samples[r.samples.length - 1];
  const perPoll = slope(r.samples.map((s) => ({ x: s.poll, y: s.rssMb })));
  const growth = perPoll * ((last?.poll ?? 0) - (first?.poll ?? 0));
  const gc = r.gc ? 'after GC' : 'no GC available';
  return [
    { benchmark: 'daemon-memory', metric: 'what the recorded host runs', value: r.app, target: '' },
    {
      benchmark: 'daemon-memory',
      metric: `RSS after ${first?.poll ?? '?'} idle polls (${gc})`,
      value: `${first?.rssMb ?? '?'} MB (heap ${first?.heapUsedMb ?? '?'} MB)`,
      target: '',
    },
    {
      benchmark: 'daemon-memory',
      metric:
        `RSS after ${last?.poll ?? '?'} idle polls (${r.unexpected} not NoChange, ` +
        `${r.requestsPerPoll.toFixed(1)} Git requests/poll)`,
      value: `${last?.rssMb ?? '?'} MB (heap ${last?.heapUsedMb ?? '?'} MB)`,
      target: '',
    },
    {
      benchmark: 'daemon-memory',
      metric: 'RSS slope over the samples',
      value: `${(perPoll * 1024 * 100).toFixed(0)} KB per 100 polls`,
      target: `growth < ${FLAT_GROWTH_MB} MB over the run`,
      met: growth < FLAT_GROWTH_MB && r.unexpected === 0,
    },
  ];
}

/** Answers each command with what the host printed for the same argv in the recording. */
export function replaySpawn(recorded: readonly LoggedCommand[]): SpawnFn {
  const byArgv = new Map(recorded.map((c) => [c.argv.join('\0'), c]));
  return async (file, args) => {
    const hit = byArgv.get([file, ...args].join('\0'));
    if (hit === undefined) {
      return {
        stdout: '',
        stderr: `not in the recording: ${path.basename(file)} ${args.join(' ')}`,
        exitCode: 1,
        signal: undefined,
        timedOut: false,
      };
    }
    return {
      stdout: hit.stdout ?? '',
      stderr: hit.stderr ?? '',
      exitCode: hit.exitCode ?? 0,
      signal: undefined,
      timedOut: false,
    };
  };
}

function sample(poll: number, collect: (() => void) | undefined): MemorySample {
  collect?.();
  const usage = process.memoryUsage();
  return { poll, rssMb: toMb(usage.rss), heapUsedMb: toMb(usage.heapUsed) };
}

/** global.gc when node runs with --expose-gc, else one obtained by setting the flag now. */
function garbageCollector(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing !== undefined) return existing;

  setFlagsFromString('--expose-gc');
  const obtained = runInNewContext('gc') as unknown;
  return typeof obtained === 'function' ? (obtained as () => void) : undefined;
}
