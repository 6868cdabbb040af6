// SPDX-License-Identifier: BSD-2-Clause
// Parallel-apply benchmark: on the test host, one run of the real engine creates 100 new jails
// (two manifests of 50 replicas on one network), once with the engine's wave-parallel executor
// at its default concurrency and once at concurrency 1, each on a fresh test host. Also counts
// the commands of one observe of the host the run left, for the real observe figure.

import { mkdtemp, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { findRepoRoot } from '../test/host/paths.js';
import { openEngineSession } from './idle-poll.js';
import type { BenchRow } from './table.js';

/** One apply of every jail. */
export interface ApplyTiming {
  /** undefined: the engine's default. */
  concurrency: number | undefined;
  result: string;
  steps: number;
  wallMs: number;
  /** Jails observed running after the run. */
  running: number;
  /** Host commands of one observe afterwards. */
  observeCommands: number;
}

export interface ParallelApplyResult {
  jails: number;
  parallel: ApplyTiming;
  serial: ApplyTiming;
}

/** Applies `jails` new jails (an even number; 100 by default) in parallel, then serially. */
export async function runParallelApplyBenchmark(
  options: { jails?: number } = {},
): Promise<ParallelApplyResult> {
  const jails = options.jails ?? 100;
  const manifests = await writeFleetManifests(jails);
  try {
    const parallel = await applyFleet(manifests, undefined);
    const serial = await applyFleet(manifests, 1);
    return { jails, parallel, serial };
  } finally {
    await rm(manifests, { recursive: true, force: true });
  }
}

/** Rows: both wall times, their ratio and what the runs left behind. */
export function parallelApplyRows(r: ParallelApplyResult): BenchRow[] {
  const row = (t: ApplyTiming, label: string): BenchRow => ({
    benchmark: 'parallel-apply',
    metric: `${r.jails} new jails, ${label} (${t.result}, ${t.steps} steps, ${t.running} running)`,
    value: `${(t.wallMs / 1000).toFixed(1)} s`,
    target: '',
    met: t.result === 'Applied' && t.running === r.jails ? undefined : false,
  });
  return [
    row(r.parallel, 'wave-parallel, default concurrency'),
    row(r.serial, 'concurrency 1'),
    {
      benchmark: 'parallel-apply',
      metric: 'speed-up of wave-parallel over serial',
      value: `${(r.serial.wallMs / r.parallel.wallMs).toFixed(2)}x`,
      target: '',
    },
    {
      benchmark: 'observe (test host)',
      metric: `host commands, ${r.parallel.running} jails running`,
      value: String(r.parallel.observeCommands),
      target: '',
    },
  ];
}

async function applyFleet(
  manifests: string,
  concurrency: number | undefined,
): Promise<ApplyTiming> {
  const session = await openEngineSession({
    manifests,
    ...(concurrency === undefined ? {} : { concurrency }),
  });
  try {
    const started = performance.now();
    const report = await session.engine.run();
    const wallMs = performance.now() - started;
    const observed = await session.deps.host.observe();
    return {
      concurrency,
      result: report.result,
      steps: report.plan?.steps ?? 0,
      wallMs,
      running: Object.values(observed.topology.jails).filter((j) => j.running).length,
      observeCommands: observed.commands,
    };
  } finally {
    await session.stop();
  }
}

/** demo-repo's image and network, and two jail manifests of `jails / 2` replicas each. */
async function writeFleetManifests(jails: number): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'stockade-bench-fleet-'));
  const source = path.join(findRepoRoot(), 'demo-repo');
  await mkdir(path.join(dir, 'www'));
  await copyFile(path.join(source, 'www', 'index.html'), path.join(dir, 'www', 'index.html'));
  const jail = (name: string): string =>
    [
      'apiVersion: stockade/v1',
      'kind: Jail',
      'metadata:',
      `  name: ${name}`,
      'spec:',
      '  image: busybox',
      `  replicas: ${jails / 2}`,
      '  networks:',
      '    - name: demo',
      '  command: [/bin/sleep, "86400"]',
      '',
    ].join('\n');
  const docs = [
    [
      'apiVersion: stockade/v1',
      'kind: Image',
      'metadata:',
      '  name: busybox',
      'spec:',
      '  release: busybox',
      '  files:',
      '    - path: /www/index.html',
      '      source: www/index.html',
      '      mode: "0644"',
      '',
    ].join('\n'),
    [
      'apiVersion: stockade/v1',
      'kind: Network',
      'metadata:',
      '  name: demo',
      'spec:',
      '  mode: vnet',
      '  cidr: 127.77.0.0/16',
      '  isolated: true',
      '',
    ].join('\n'),
    jail('fleet-a'),
    jail('fleet-b'),
  ];
  await writeFile(path.join(dir, 'stockade.yaml'), docs.join('---\n'));
  return dir;
}
