// SPDX-License-Identifier: BSD-2-Clause
// `npm run bench`: runs the benchmarks named on the command line (all by default), one after the
// other, and prints one table of every figure with its target. Benchmarks that need root and
// the test host print a 'skipped' row when not root; a failing benchmark prints its error as a
// row and the others still run.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { execa } from 'execa';

import { commitToAppliedRows, runCommitToAppliedBenchmark } from './commit-to-applied.js';
import { daemonMemoryRows, runDaemonMemoryBenchmark } from './daemon-memory.js';
import { runGitBenchmark } from './git.js';
import { idlePollRows, runIdlePollBenchmark } from './idle-poll.js';
import { observeRows, runObserveBenchmark } from './observe.js';
import { parallelApplyRows, runParallelApplyBenchmark } from './parallel-apply.js';
import { findRepoRoot } from '../test/host/paths.js';
import type { PlanBenchmarkResult } from './plan.js';
import { formatMs, formatTable, isRoot, skippedRow, type BenchRow } from './table.js';

/** One benchmark `npm run bench` knows, by the name given on the command line. */
export interface BenchEntry {
  name: string;
  /** Needs root for the test host (zfs-fuse pool, chroot, bind mounts). */
  needsRoot: boolean;
  run(): Promise<BenchRow[]>;
  /** For one that `run` starts in a process of its own: what that process runs. */
  inProcess?: () => Promise<BenchRow[]>;
}

/** Every benchmark, in the order they run. */
export const BENCHMARKS: readonly BenchEntry[] = [
  { name: 'plan', needsRoot: false, run: planRows },
  { name: 'observe', needsRoot: false, run: async () => observeRows(await runObserveBenchmark()) },
  { name: 'git', needsRoot: false, run: gitRows },
  {
    name: 'idle-poll',
    needsRoot: true,
    run: async () => idlePollRows(await runIdlePollBenchmark()),
  },
  {
    name: 'commit-to-applied',
    needsRoot: true,
    run: async () => commitToAppliedRows(await runCommitToAppliedBenchmark()),
  },
  {
    name: 'parallel-apply',
    needsRoot: true,
    run: async () => parallelApplyRows(await runParallelApplyBenchmark()),
  },
  {
    name: 'daemon-memory',
    needsRoot: true,
    // Its RSS must not carry what the benchmarks before it left in the heap.
    run: async () => runInOwnProcess('daemon-memory'),
    inProcess: async () => daemonMemoryRows(await runDaemonMemoryBenchmark()),
  },
];

/** Picks the entries named in `argv` (all when empty); rejects an unknown name. */
export function selectBenchmarks(
  argv: readonly string[],
  all: readonly BenchEntry[] = BENCHMARKS,
): BenchEntry[] {
  if (argv.length === 0) return [...all];

  const unknown = argv.filter((name) => !all.some((b) => b.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `unknown benchmark(s): ${unknown.join(', ')}; known: ${all.map((b) => b.name).join(', ')}`,
    );
  }
  return all.filter((b) => argv.includes(b.name));
}

/** Runs `entries` in order and resolves with every row; progress goes to stderr. */
export async function runBenchmarks(
  entries: readonly BenchEntry[],
  options: { root?: boolean } = {},
): Promise<BenchRow[]> {
  const root = options.root ?? isRoot();
  const rows: BenchRow[] = [];
  for (const entry of entries) {
    if (entry.needsRoot && !root) {
      rows.push(skippedRow(entry.name, 'needs root for the test host'));
      continue;
    }
    process.stderr.write(`bench: running ${entry.name}\n`);
    try {
      rows.push(...(await entry.run()));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      rows.push({
        benchmark: entry.name,
        metric: 'failed',
        value: message.split('\n')[0] ?? '',
        target: '',
      });
    }
  }
  return rows;
}

/**
 * Runs the plan benchmark in a process of its own, so its peak RSS is the planner's and the
 * generated repository's, not that of the test host, Git and benchmark modules this one loads.
 */
export async function runPlanInChild(iterations = 30): Promise<PlanBenchmarkResult> {
  // The built file, also when this module runs from source under vitest.
  const script = path.join(findRepoRoot(), 'dist', 'bench', 'plan.js');
  const { stdout } = await execa(process.execPath, [script, String(iterations), '--json']);
  return JSON.parse(stdout) as PlanBenchmarkResult;
}

async function planRows(): Promise<BenchRow[]> {
  const r = await runPlanInChild();
  return [
    {
      benchmark: 'plan',
      metric: `median compile+diff+plan, ${r.jails} jails, ${r.steps} steps (${r.iterations} runs)`,
      value: `${formatMs(r.medianMs)} (CPU ${formatMs(r.medianCpuMs)})`,
      target: '< 50 ms',
      met: r.medianMs < 50,
    },
    {
      benchmark: 'plan',
      metric: 'peak RSS of the benchmark process (planner modules only)',
      value: `${r.peakRssMb.toFixed(0)} MB`,
      target: '< 150 MB',
      met: r.peakRssMb < 150,
    },
  ];
}

async function gitRows(): Promise<BenchRow[]> {
  const r = await runGitBenchmark();
  const size = `${r.files} files, ${r.commits} commits`;
  return [
    {
      benchmark: 'git',
      metric: `isomorphic-git only (transport http) fetch + read (${size})`,
      value: `${r.isomorphicMs} ms (fetch ${r.isomorphicFetchMs} ms)`,
      target: '',
    },
    {
      benchmark: 'git',
      metric: `git CLI clone + read (${size})`,
      value: `${r.cliMs} ms (clone ${r.cliFetchMs} ms)`,
      target: '',
    },
    {
      benchmark: 'git',
      metric: 'isomorphic-git / git CLI',
      value: `${r.ratio}x`,
      target: '',
    },
    {
      benchmark: 'git',
      metric: `Git source as the daemon runs it (auto, git present) fetch + read (${size})`,
      value: `${r.autoMs} ms (fetch ${r.autoFetchMs} ms)`,
      target: '',
    },
    {
      benchmark: 'git',
      metric: 'Git source (auto) / git CLI',
      value: `${r.autoRatio}x`,
      target: '<= 2x',
      met: r.autoRatio <= 2,
    },
    {
      benchmark: 'git',
      metric: `Git source with repository.transport: cli, fetch + read (${size})`,
      value: `${r.cliSourceMs} ms (fetch ${r.cliSourceFetchMs} ms)`,
      target: '',
    },
    {
      benchmark: 'git',
      metric: 'Git source (transport cli) / git CLI',
      value: `${r.cliSourceRatio}x`,
      target: '<= 2x',
      met: r.cliSourceRatio <= 2,
    },
  ];
}

/**
 * Runs the benchmark `name` in a new Node.js process (`run.js --in-process <name>`), which
 * prints its rows as JSON, and resolves with them.
 */
export async function runInOwnProcess(name: string): Promise<BenchRow[]> {
  const script = path.join(findRepoRoot(), 'dist', 'bench', 'run.js');
  const { stdout } = await execa(process.execPath, [script, '--in-process', name], {
    stderr: 'inherit',
  });
  return JSON.parse(stdout) as BenchRow[];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args[0] === '--in-process') {
    const entry = BENCHMARKS.find((b) => b.name === args[1]);
    if (entry?.inProcess === undefined) throw new Error(`no in-process benchmark '${args[1]}'`);
    process.stdout.write(`${JSON.stringify(await entry.inProcess())}\n`);
  } else {
    const rows = await runBenchmarks(selectBenchmarks(args));
    process.stdout.write(formatTable(rows));
  }
}
