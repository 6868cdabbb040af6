// SPDX-License-Identifier: BSD-2-Clause
// The Linux test host: a zfs-fuse pool, a bin folder whose wrappers put the FreeBSD tool
// simulators (and the real zfs and zpool) first on PATH, the simulator's state with a main
// pf.conf that hooks the stockade anchors, and a busybox release archive. Teardown removes all
// of it and works from a JSON record, so `npm run testhost down` can undo another process's `up`.

import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { execa } from 'execa';

import { parseNodeConfig } from '../../src/config/load.js';
import type { NodeConfig, ToolName } from '../../src/config/types.js';
import { ensureSystemPackages, type SystemTools } from './deps.js';
import { killProcessesUnder, unmountUnder } from './leftovers.js';
import { findRepoRoot } from './paths.js';
import { buildReleaseArchive } from './release.js';
import { TestHostError } from './test-host-error.js';
import { createFilePool, destroyFilePool, type PoolRecord } from './zfs-pool.js';

/** The steps of startTestHost, in order; `failAfter` names one to test teardown halfway. */
export type StartPhase = 'pool' | 'bin' | 'simulator' | 'release';

export interface StartTestHostOptions {
  /** Install missing Debian packages with apt-get; defaults to true when `CI` is set. */
  install?: boolean;
  /** Size of the pool's sparse backing file; 1 GiB by default. */
  poolSizeBytes?: number;
  /** The simulated external interface and its address; `em0` on 127.0.0.1 by default. */
  externalInterface?: string;
  externalAddress?: string;
  /** Where built release archives are cached; `.testhost/cache/releases` by default. */
  releaseCacheDir?: string;
  /** Simulator entry points by tool, instead of those the simulator's index names. */
  simulators?: Partial<Record<ToolName, string>>;
  /** Fails on purpose right after this phase, so tests can check the cleanup. */
  failAfter?: StartPhase;
}

/** Everything teardown and `testhost env` need, JSON-safe; written to `.testhost/`. */
export interface TestHostRecord {
  tempDir: string;
  poolRecord: PoolRecord;
  /** Dataset Stockade may own: `<pool>/stockade` (not created here). */
  root: string;
  binDir: string;
  /** The simulator's state folder (STOCKADE_SIM_STATE). */
  stateDir: string;
  /** Stockade's own state folder, for NodeConfig.stateDir. */
  stockadeStateDir: string;
  releaseArchive: string;
  externalInterface: string;
  /** Variables to add to a child's environment: PATH with binDir first, the simulator's. */
  env: Record<string, string>;
  tools: Record<ToolName, string>;
  systemTools: SystemTools;
}

/** Config fields a test may override; nested objects are merged one level deep. */
export type NodeConfigOverrides = {
  [K in keyof NodeConfig]?: NodeConfig[K] extends unknown[]
    ? NodeConfig[K]
    : NodeConfig[K] extends object
      ? Partial<NodeConfig[K]>
      : NodeConfig[K];
};

/** A running test host. */
export interface TestHost extends TestHostRecord {
  /** The pool's name. */
  pool: string;
  /** Where the pool's datasets are mounted. */
  mountRoot: string;
  /** A complete, validated node config for this host, with `overrides` merged in. */
  nodeConfig(overrides?: NodeConfigOverrides): NodeConfig;
  /** Tears everything down; safe to call more than once. */
  stop(): Promise<void>;
}

/** The variable the simulator sets, to its state folder, in every simulated jail process. */
export const SIM_HOST_MARKER = 'STOCKADE_SIM_HOST';

/** The tools the simulator provides when its index does not say otherwise. */
export const DEFAULT_SIMULATED_TOOLS: readonly ToolName[] = [
  'jail',
  'jls',
  'jexec',
  'ifconfig',
  'pfctl',
  'rctl',
  'cpuset',
  'mount',
  'umount',
  'sysctl',
  'kldstat',
];

/** `text` as one single-quoted sh word, for the wrappers and the `testhost` exports. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The main ruleset loaded into the simulator: the operator's hooks for Stockade's anchors. */
export function mainPfConf(externalInterface: string): string {
  return [
    `ext_if = "${externalInterface}"`,
    'table <stockade_blocked> persist',
    'nat-anchor "stockade/*"',
    'rdr-anchor "stockade/*"',
    'anchor "stockade/*"',
    'pass all',
    '',
  ].join('\n');
}

/**
 * Starts a test host: checks (and in CI installs) the Debian packages, creates the pool, the
 * wrappers and the simulator state, loads the main pf.conf and builds the release archive.
 * If any step fails, what was made so far is torn down before it rejects with
 * TEST_HOST_START_FAILED (`data.phase` names the step, `cause` the failure).
 */
export async function startTestHost(options: StartTestHostOptions = {}): Promise<TestHost> {
  const systemTools = await ensureSystemPackages({
    install: options.install ?? process.env.CI !== undefined,
  });
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'stockade-testhost-'));
  const partial: Partial<TestHostRecord> & { tempDir: string } = { tempDir, systemTools };
  let phase: StartPhase = 'pool';
  const done = (finished: StartPhase) => {
    if (options.failAfter === finished) throw new Error(`failure injected after '${finished}'`);
  };

  try {
    partial.poolRecord = await createFilePool({
      dir: tempDir,
      tools: systemTools,
      ...(options.poolSizeBytes === undefined ? {} : { sizeBytes: options.poolSizeBytes }),
    });
    done(phase);

    phase = 'bin';
    const record = await layOutHost(partial.poolRecord, tempDir, systemTools, options);
    Object.assign(partial, record);
    done(phase);

    phase = 'simulator';
    await loadMainRuleset(record);
    done(phase);

    phase = 'release';
    record.releaseArchive = await buildReleaseArchive({
      tools: systemTools,
      ...(options.releaseCacheDir === undefined ? {} : { cacheDir: options.releaseCacheDir }),
    });
    done(phase);
    return openTestHost(record);
  } catch (err) {
    await teardownTestHost(partial).catch(() => undefined);
    throw new TestHostError(
      'TEST_HOST_START_FAILED',
      `failed to start the test host at '${phase}'`,
      {
        data: { phase, tempDir, pool: partial.poolRecord?.name },
        cause: err,
      },
    );
  }
}

/** A TestHost around a record, e.g. one `testhost up` wrote; `stop()` tears it down. */
export function openTestHost(record: TestHostRecord): TestHost {
  let stopping: Promise<void> | undefined;
  return {
    ...record,
    pool: record.poolRecord.name,
    mountRoot: record.poolRecord.mountpoint,
    nodeConfig: (overrides = {}) => makeNodeConfig(record, overrides),
    // A second call while or after a successful stop shares it; after a failure it retries.
    stop: () =>
      (stopping ??= teardownTestHost(record).catch((err: unknown) => {
        stopping = undefined;
        throw err;
      })),
  };
}

/** The JSON-safe part of a host, for `.testhost/host.json`. */
export function toRecord(host: TestHost): TestHostRecord {
  return {
    tempDir: host.tempDir,
    poolRecord: host.poolRecord,
    root: host.root,
    binDir: host.binDir,
    stateDir: host.stateDir,
    stockadeStateDir: host.stockadeStateDir,
    releaseArchive: host.releaseArchive,
    externalInterface: host.externalInterface,
    env: host.env,
    tools: host.tools,
    systemTools: host.systemTools,
  };
}

/**
 * Removes everything a test host made, in an order that works after a failure at any point:
 * kills processes running under the temp folder (simulated jails are chrooted there), unmounts
 * what the simulator mounted, destroys the pool, and removes the temp folder, but only once no
 * mount is left below it, so a bind mount can never make it delete a host folder. Every step
 * runs even if an earlier one failed, except that the temp folder stays when anything failed
 * (it holds the pool's file); the first failure is rethrown at the end.
 */
export async function teardownTestHost(
  record: Partial<TestHostRecord> & { tempDir: string },
): Promise<void> {
  const failures: unknown[] = [];
  const step = async (action: () => Promise<unknown>) => {
    try {
      await action();
    } catch (err) {
      failures.push(err);
    }
  };

  await step(async () => {
    // The simulator marks each jail process with its state folder, which finds those that
    // left the jail's root folder too.
    const markers = record.stateDir === undefined ? [] : [`${SIM_HOST_MARKER}=${record.stateDir}`];
    const survivors = await killProcessesUnder(record.tempDir, markers);
    if (survivors.length > 0) throw teardownError('processes survived SIGKILL', { survivors });
  });
  await step(() => unmountUnder(record.tempDir));
  if (record.poolRecord !== undefined && record.systemTools !== undefined) {
    const { poolRecord, systemTools } = record;
    await step(() => destroyFilePool(poolRecord, systemTools));
  }
  await step(async () => {
    // A pool that could not be destroyed still needs its file, which lies in the temp folder.
    if (failures.length > 0) return;
    const mounts = await unmountUnder(record.tempDir);
    if (mounts.length > 0) throw teardownError('mounts are left under the temp folder', { mounts });
    await rm(record.tempDir, { recursive: true, force: true });
  });

  if (failures.length > 0) {
    throw new TestHostError('TEST_HOST_TEARDOWN_FAILED', 'failed to tear the test host down', {
      data: { tempDir: record.tempDir, pool: record.poolRecord?.name, failures: failures.length },
      cause: failures[0],
    });
  }
}

/** The simulators' names and entry points: from the simulator's index once it exists. */
export async function findSimulators(): Promise<Map<ToolName, string>> {
  // A computed specifier: the index may not exist yet, and then the path rule applies.
  const specifier = './sim/index.js';
  let index: { SIMULATED_TOOLS?: string[]; simulatorPath?: (tool: string) => string } = {};
  try {
    index = (await import(specifier)) as typeof index;
  } catch {
    index = {};
  }
  const repoRoot = findRepoRoot();
  const names = (index.SIMULATED_TOOLS ?? DEFAULT_SIMULATED_TOOLS) as ToolName[];
  const entry = (tool: string) =>
    index.simulatorPath?.(tool) ?? path.join(repoRoot, 'dist', 'test', 'host', 'sim', `${tool}.js`);
  return new Map(names.map((tool) => [tool, entry(tool)]));
}

async function layOutHost(
  pool: PoolRecord,
  tempDir: string,
  systemTools: SystemTools,
  options: StartTestHostOptions,
): Promise<TestHostRecord> {
  const binDir = path.join(tempDir, 'bin');
  const stateDir = path.join(tempDir, 'sim-state');
  const stockadeStateDir = path.join(tempDir, 'stockade');
  for (const dir of [binDir, stateDir, stockadeStateDir]) await mkdir(dir, { recursive: true });

  const externalInterface = options.externalInterface ?? 'em0';
  const simEnv = {
    STOCKADE_SIM_STATE: stateDir,
    STOCKADE_SIM_EXTIF: externalInterface,
    STOCKADE_SIM_EXTADDR: options.externalAddress ?? '127.0.0.1',
  };
  const simulators = await findSimulators();
  for (const [tool, entry] of Object.entries(options.simulators ?? {})) {
    simulators.set(tool as ToolName, entry);
  }
  const tools = await writeWrappers(binDir, systemTools, simulators, simEnv);
  return {
    tempDir,
    poolRecord: pool,
    root: `${pool.name}/stockade`,
    binDir,
    stateDir,
    stockadeStateDir,
    releaseArchive: '',
    externalInterface,
    env: { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`, ...simEnv },
    tools,
    systemTools,
  };
}

/** PATH of the real zfs and zpool: the system's folders, never a test host's bin folder. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Start of the zfs wrapper: zfs-fuse answers the first destroy of a mounted dataset with
 * "dataset is busy" after it has unmounted it, and the same destroy then succeeds, where
 * FreeBSD's succeeds at once. A destroy is retried a few times on exactly that error; any other
 * failure, and the last one, keep zfs's message and exit status. `$ZFS` is the real zfs.
 */
/**
 * zfs-fuse deadlocks when several zfs commands run at once (two `create -p` of one wave hung
 * in uninterruptible sleep, and the daemon with them), so the test host runs one zfs command
 * at a time, machine-wide, since every test host shares the one zfs-fuse daemon. The lock is
 * held through exec by file descriptor 9 until the command exits. OpenZFS on FreeBSD needs no
 * such lock; the driver still runs independent steps in parallel.
 */
const ZFS_SERIALIZE = `exec 9>>${shellQuote(path.join(os.tmpdir(), 'stockade-zfs-fuse.lock'))}
flock 9
`;

const ZFS_DESTROY_RETRY = `if [ "$1" = destroy ]; then
  err=$(mktemp) || exit 1
  tries=0
  while :; do
    "$ZFS" "$@" 2>"$err"
    status=$?
    tries=$((tries + 1))
    if [ $status -eq 0 ] || [ $tries -ge 5 ] || ! grep -q 'dataset is busy' "$err"; then
      cat "$err" >&2
      rm -f "$err"
      exit $status
    fi
    sleep 0.2
  done
fi
`;

/**
 * One `#!/bin/sh` wrapper per simulated tool plus zfs and zpool, which exec the real ones.
 * The simulator wrappers set the STOCKADE_SIM_* variables to this host's themselves, so a
 * program that runs them by absolute path reaches this host's state whatever its environment
 * says (a shell may still hold another test host's exports).
 */
async function writeWrappers(
  binDir: string,
  systemTools: SystemTools,
  simulators: Map<ToolName, string>,
  simEnv: Record<string, string>,
): Promise<Record<ToolName, string>> {
  const missing = [...simulators].filter(([, file]) => !existsSync(file));
  if (missing.length > 0) {
    throw new TestHostError(
      'TEST_HOST_SIMULATOR_MISSING',
      'the tool simulators are not built: run npx tsc -p tsconfig.json (npm run build)',
      { data: { missing: missing.map(([tool, file]) => ({ tool, file })) } },
    );
  }

  const exports = Object.entries(simEnv).map(
    ([name, value]) => `${name}=${shellQuote(value)}; export ${name}\n`,
  );
  const tools: Partial<Record<ToolName, string>> = {
    tar: systemTools.tar,
    git: systemTools.git,
  };
  const write = async (tool: ToolName, body: string) => {
    const file = path.join(binDir, tool);
    await writeFile(file, `#!/bin/sh\n${body}`);
    await chmod(file, 0o755);
    tools[tool] = file;
  };
  for (const [tool, entry] of simulators) {
    const node = shellQuote(process.execPath);
    await write(tool, `${exports.join('')}exec ${node} ${shellQuote(entry)} "$@"\n`);
  }
  // zfs-fuse unmounts through the Linux umount(8): with binDir first on PATH it would find the
  // simulated FreeBSD one, which knows only nullfs mounts, and every destroy of a mounted
  // dataset would fail.
  const system = `PATH=${shellQuote(SYSTEM_PATH)}; export PATH\n`;
  const zfs = `ZFS=${shellQuote(systemTools.zfs)}\n`;
  await write('zfs', `${system}${ZFS_SERIALIZE}${zfs}${ZFS_DESTROY_RETRY}exec "$ZFS" "$@"\n`);
  await write('zpool', `${system}exec ${shellQuote(systemTools.zpool)} "$@"\n`);
  return tools as Record<ToolName, string>;
}

async function loadMainRuleset(record: TestHostRecord): Promise<void> {
  const file = path.join(record.tempDir, 'pf.conf');
  await writeFile(file, mainPfConf(record.externalInterface));
  const env = { ...process.env, ...record.env };
  await execa(record.tools.pfctl, ['-f', file], { env });
  const enable = await execa(record.tools.pfctl, ['-e'], { env, reject: false });
  if (enable.exitCode !== 0 && !enable.stderr.includes('pf already enabled')) {
    throw new Error(`pfctl -e failed: ${enable.stderr}`);
  }
}

function makeNodeConfig(record: TestHostRecord, overrides: NodeConfigOverrides): NodeConfig {
  const base: Record<string, unknown> = {
    name: 'testhost',
    // A placeholder that reaches nothing; tests that sync pass their Git server's URL.
    repository: { url: `file://${path.join(record.tempDir, 'repository.git')}` },
    pollInterval: 5,
    zfs: { root: record.root },
    pf: { externalInterface: record.externalInterface },
    releases: { busybox: record.releaseArchive },
    stateDir: record.stockadeStateDir,
    tools: record.tools,
  };
  for (const [key, value] of Object.entries(overrides)) {
    const current = base[key];
    base[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return parseNodeConfig(JSON.stringify(base), `${record.tempDir}/stockade.yaml`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function teardownError(message: string, data: Record<string, unknown>): TestHostError {
  return new TestHostError('TEST_HOST_TEARDOWN_FAILED', message, { data });
}
