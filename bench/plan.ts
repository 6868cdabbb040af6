// SPDX-License-Identifier: BSD-2-Clause
// Benchmark of the pure core: compile + diff + plan for 1,000 jails, 200 services, 20 networks
// and 300 volumes against a host that runs a slightly older commit. Prints the median time of
// N runs and the peak resident set size. Target: median under 50 ms.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { defaultNodeConfig } from '../src/config/load.js';
import type { JailDoc, ManifestSet } from '../src/manifest/types.js';
import { planChanges } from '../src/plan/plan.js';
import { compileTopology } from '../src/topology/compile.js';

/** What runPlanBenchmark measured. */
export interface PlanBenchmarkResult {
  medianMs: number;
  /** Median CPU time (user + system) of one run: steadier than wall time on a shared machine. */
  medianCpuMs: number;
  peakRssMb: number;
  iterations: number;
  jails: number;
  steps: number;
}

/** Sizes of the generated repository. */
export const BENCH_SIZE = { jails: 1000, services: 200, networks: 20, volumes: 300, images: 10 };

/**
 * Runs compile + diff + plan `iterations` times (default 30, after 3 warm-up runs) on a
 * generated repository and resolves with the median and the peak RSS of the process.
 */
export async function runPlanBenchmark(
  options: { iterations?: number } = {},
): Promise<{ medianMs: number; peakRssMb: number } & PlanBenchmarkResult> {
  const iterations = options.iterations ?? 30;
  const config = defaultNodeConfig({ name: 'bench' });
  const base = compileTopology(generateManifests({ variant: 'base' }), config);
  const head = generateManifests({ variant: 'head' });

  let steps = 0;
  const cpuTimes: number[] = [];
  const once = (): number => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const desired = compileTopology(head, config, { previous: base });
    const plan = planChanges(desired, base, { maxPruneRatio: 0.5, allowPruneAll: false });
    steps = plan.steps.length;
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpu);
    cpuTimes.push((used.user + used.system) / 1000);
    return elapsed;
  };

  for (let i = 0; i < 3; i++) once();
  cpuTimes.length = 0;
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    times.push(once());
    // Yield so that a caller's timers and I/O are not starved during a long run.
    await new Promise((resolve) => setImmediate(resolve));
  }

  return {
    medianMs: median(times),
    medianCpuMs: median(cpuTimes),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    iterations,
    jails: Object.keys(base.jails).length,
    steps,
  };
}

/**
 * The benchmark repository. `head` differs from `base` the way a typical merge does: one
 * manifest gains a replica, one changes its memory limit, one changes its command.
 */
export function generateManifests(options: { variant: 'base' | 'head' }): ManifestSet {
  const head = options.variant === 'head';
  const meta = (kind: string, name: string) => ({ file: `${kind}/${name}.yaml`, doc: 0 });
  const set: ManifestSet = {
    networks: [],
    volumes: [],
    images: [],
    jails: [],
    services: [],
    nodes: [],
    files: {},
  };

  for (let n = 0; n < BENCH_SIZE.networks; n++) {
    set.networks.push({
      apiVersion: 'stockade/v1',
      kind: 'Network',
      metadata: { name: `net${n}` },
      spec: {
        mode: n % 4 === 3 ? 'shared' : 'vnet',
        cidr: `10.${100 + n}.0.0/22`,
        nat: n % 2 === 0,
      },
      source: meta('networks', `net${n}`),
    });
  }
  for (let v = 0; v < BENCH_SIZE.volumes; v++) {
    set.volumes.push({
      apiVersion: 'stockade/v1',
      kind: 'Volume',
      metadata: { name: `vol${v}` },
      spec: { quota: `${1 + (v % 50)}G`, properties: { compression: 'lz4' } },
      source: meta('volumes', `vol${v}`),
    });
  }
  for (let i = 0; i < BENCH_SIZE.images; i++) {
    set.images.push({
      apiVersion: 'stockade/v1',
      kind: 'Image',
      metadata: { name: `img${i}` },
      spec: {
        release: '14.2-RELEASE',
        packages: [`pkg${i}`],
        commands: [['/usr/sbin/pkg', 'install', '-y', `pkg${i}`]],
      },
      source: meta('images', `img${i}`),
    });
  }

  // 200 jail manifests of 5 replicas each; 300 volumes over the first 150 manifests.
  const manifests = BENCH_SIZE.jails / 5;
  for (let j = 0; j < manifests; j++) {
    const doc: JailDoc = {
      apiVersion: 'stockade/v1',
      kind: 'Jail',
      metadata: { name: `app${j}`, labels: { app: `app${j}`, tier: `t${j % 4}` } },
      spec: {
        image: `img${j % BENCH_SIZE.images}`,
        replicas: head && j === 1 ? 6 : 5,
        command: head && j === 3 ? ['/usr/local/bin/app', '--v2'] : ['/usr/local/bin/app'],
        networks: [{ name: `net${j % BENCH_SIZE.networks}` }],
        volumes:
          j < 150
            ? [
                { name: `vol${j * 2}`, mountPath: '/data' },
                { name: `vol${j * 2 + 1}`, mountPath: '/logs', readOnly: true },
              ]
            : [],
        env: { APP: `app${j}` },
        resources: { memory: head && j === 2 ? '1G' : '512M', maxproc: 200, pcpu: '50%' },
        files: [{ path: '/usr/local/etc/app.conf', content: `name=app${j}\n` }],
        ...(j > 0 && j % 10 === 0 ? { dependsOn: [`app${j - 1}`] } : {}),
      },
      source: meta('jails', `app${j}`),
    };
    set.jails.push(doc);
  }
  for (let s = 0; s < BENCH_SIZE.services; s++) {
    set.services.push({
      apiVersion: 'stockade/v1',
      kind: 'Service',
      metadata: { name: `svc${s}` },
      spec: {
        selector: { app: `app${s}` },
        ports: [{ port: 80, ...(s < 50 ? { hostPort: 10000 + s } : {}) }],
      },
      source: meta('services', `svc${s}`),
    });
  }
  return set;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] ?? 0;
  return ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const json = process.argv.includes('--json');
  const iterations = Number(process.argv.slice(2).find((a) => a !== '--json') ?? 30);
  const result = await runPlanBenchmark({ iterations });
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      `plan: ${result.jails} jails, ${result.steps} steps; median ${result.medianMs.toFixed(1)} ms ` +
        `(CPU ${result.medianCpuMs.toFixed(1)} ms) over ${result.iterations} runs (target < 50 ms); ` +
        `peak RSS ${result.peakRssMb.toFixed(0)} MB\n`,
    );
  }
}
