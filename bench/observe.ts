// SPDX-License-Identifier: BSD-2-Clause
// Observe benchmark: how many host commands observeHost issues for 1, 50 and 200 jails, with a
// runner that replays generated FreeBSD tool output (no process is started). The count must not
// grow with the number of jails.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type { HostContext } from '../src/host/context.js';
import { createRunner, type SpawnFn, type SpawnResult } from '../src/host/exec.js';
import { encodeRecord, RECORD_JAIL } from '../src/host/marks.js';
import { observeHost } from '../src/host/observe.js';
import { silentLogger } from '../src/log/logger.js';
import type { BenchRow } from './table.js';

/** Commands observeHost issued for one host size, and the jails it found. */
export interface ObserveCount {
  jails: number;
  commands: number;
  found: number;
  /** Wall time of one observe with the replayed output (parsing only, no processes). */
  ms: number;
}

const ROOT = 'bench/stockade';

/** Observes generated hosts of each size in `sizes` (default 1, 50 and 200 jails). */
export async function runObserveBenchmark(
  options: { sizes?: number[] } = {},
): Promise<ObserveCount[]> {
  const sizes = options.sizes ?? [1, 50, 200];
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'stockade-bench-observe-'));
  try {
    // Two anchors and one table, as a host with one network and one published service has.
    await writeFile(path.join(stateDir, 'pf-anchors.json'), JSON.stringify(PF_RECORDS));
    const counts: ObserveCount[] = [];
    for (const jails of sizes) {
      const ctx = replayContext(generateHostOutput(jails), stateDir);
      const started = performance.now();
      const observed = await observeHost(ctx);
      counts.push({
        jails,
        commands: observed.commands,
        found: Object.keys(observed.topology.jails).length,
        ms: performance.now() - started,
      });
    }
    return counts;
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** Table rows: one per size, judged against the count of the smallest host. */
export function observeRows(counts: readonly ObserveCount[]): BenchRow[] {
  const baseline = counts[0]?.commands;
  return counts.map((c) => ({
    benchmark: 'observe (replayed)',
    metric: `host commands, ${c.jails} jail(s) (${c.found} found, ${c.ms.toFixed(1)} ms)`,
    value: String(c.commands),
    target: `same for all (${baseline ?? '?'})`,
    met: c.commands === baseline && c.found === c.jails,
  }));
}

/** Replies keyed by `tool arg...` (tool by basename), as the tools print them on FreeBSD. */
export type HostOutput = Map<string, string>;

/** Tool output of a host running `jails` Stockade jails on one vnet network. */
export function generateHostOutput(jails: number): HostOutput {
  const names = Array.from({ length: jails }, (_, i) => `app-${i}`);
  const dataset = (n: string): string => `${ROOT}/jails/${n}`;
  const image = `${ROOT}/images/app-0a1b2c3d`;
  const epair = (i: number): string => `se${String(i).padStart(9, '0')}a`;

  const list = [
    `${ROOT}\t-\t/stockade`,
    `${ROOT}/jails\t-\t/stockade/jails`,
    `${image}\t-\t/stockade/images/app-0a1b2c3d`,
    `${image}@ready\t-\t-`,
    ...names.map((n) => `${dataset(n)}\t${image}@ready\t/stockade/jails/${n}`),
  ];
  const get = [
    `${ROOT}\tstockade:managed\ttrue\tlocal`,
    `${ROOT}\tstockade:role\troot\tlocal`,
    `${ROOT}/jails\tstockade:managed\ttrue\tlocal`,
    `${ROOT}/jails\tstockade:role\troot\tlocal`,
    ...names.flatMap((n, i) => [
      `${dataset(n)}\tstockade:managed\ttrue\tlocal`,
      `${dataset(n)}\tstockade:role\tjail\tlocal`,
      `${dataset(n)}\tquota\t1073741824\tlocal`,
      ...Object.entries(encodeRecord(RECORD_JAIL, jailRecord(n, i, epair(i)))).map(
        ([k, v]) => `${dataset(n)}\t${k}\t${v}\tlocal`,
      ),
    ]),
  ];
  const jls = names.map(
    (n, i) =>
      `{"jid":"${i + 1}","name":"${n}","path":"/stockade/jails/${n}",` +
      `"host.hostname":"${n}","vnet":"new","dying":false}`,
  );
  const ifconfig = [
    'em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
    '\tinet 192.0.2.10 netmask 0xffffff00 broadcast 192.0.2.255',
    'sb0a1b2c3d: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
    '\tdescription: stockade:net:front',
    '\tinet 10.90.0.1 netmask 0xffff0000 broadcast 10.90.255.255',
    ...names.flatMap((n, i) => [
      `${epair(i)}: flags=8963<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500`,
      `\tdescription: stockade:jail:${n}:front`,
    ]),
  ];

  return new Map([
    ['jls', `{"__version": "2", "jail-information": {"jail": [${jls.join(', ')}]}}\n`],
    ['zfs list', `${list.join('\n')}\n`],
    ['zfs get', `${get.join('\n')}\n`],
    ['ifconfig', `${ifconfig.join('\n')}\n`],
    ['rctl', names.map((n) => `jail:${n}:memoryuse:deny=536870912\n`).join('')],
    ['mount', names.map((n) => `${dataset(n)}\t/stockade/jails/${n}\tzfs\trw\t0 0\n`).join('')],
    ['pfctl Anchors', '  stockade/net-front\n  stockade/svc-app\n'],
    ['pfctl nat', 'nat on em0 inet from 10.90.0.0/16 to any -> (em0) round-robin\n'],
    [
      'pfctl rules',
      'pass in quick on em0 inet proto tcp from any to <app> port = http keep state\n',
    ],
    ['pfctl show', names.map((_, i) => `   ${addressOf(i)}\n`).join('')],
  ]);
}

/** The key of `generateHostOutput` a command is answered from; undefined for no output. */
export function replyKey(tool: string, args: readonly string[]): string | undefined {
  if (tool === 'zfs') return `zfs ${args[0] ?? ''}`;
  if (tool === 'pfctl') {
    if (args.includes('Anchors')) return 'pfctl Anchors';
    if (args.includes('nat')) return 'pfctl nat';
    if (args.includes('rules')) return 'pfctl rules';
    if (args.includes('-T')) return 'pfctl show';
    return undefined;
  }
  return tool;
}

/** A host context whose runner answers from `output` and counts every command. */
export function replayContext(output: HostOutput, stateDir: string): HostContext {
  const spawn: SpawnFn = async (file, args): Promise<SpawnResult> => {
    const key = replyKey(path.basename(file), args);
    const stdout = key === undefined ? '' : (output.get(key) ?? '');
    return { stdout, stderr: '', exitCode: 0, signal: undefined, timedOut: false };
  };
  return {
    runner: createRunner({ spawn }),
    root: ROOT,
    stateDir,
    anchor: 'stockade',
    releases: {},
    logger: silentLogger,
    pollDelayMs: 0,
  };
}

const PF_RECORDS = {
  anchors: {
    'stockade/net-front': {
      rules: ['nat on em0 inet from 10.90.0.0/16 to any -> (em0)'],
      printed: ['nat on em0 inet from 10.90.0.0/16 to any -> (em0) round-robin'],
    },
  },
  tables: { 'stockade/svc-app:app': { anchor: 'stockade/svc-app', table: 'app' } },
};

function addressOf(i: number): string {
  return `10.90.${Math.floor(i / 250)}.${(i % 250) + 2}`;
}

/** The record the driver keeps on a jail's dataset, for jail `name`. */
function jailRecord(name: string, i: number, epair: string): Record<string, unknown> {
  return {
    name,
    manifest: 'app',
    replica: i,
    dataset: `${ROOT}/jails/${name}`,
    path: `/stockade/jails/${name}`,
    image: `${ROOT}/images/app-0a1b2c3d@ready`,
    hostname: name,
    vnet: true,
    params: {},
    command: ['/usr/local/bin/app'],
    env: {},
    interfaces: [
      {
        network: 'front',
        mode: 'vnet',
        epair,
        netif: 'sb0a1b2c3d',
        address: `${addressOf(i)}/16`,
        gateway: '10.90.0.1',
        description: `stockade:jail:${name}:front`,
      },
    ],
    mounts: [],
    files: [],
    rctl: [],
    dependsOn: [],
    specHash: '0000ffff',
    running: true,
    selfHeal: true,
    labels: {},
  };
}
