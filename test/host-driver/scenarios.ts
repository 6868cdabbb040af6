// SPDX-License-Identifier: BSD-2-Clause
// Scenario bodies shared by the Linux test host tests and the FreeBSD-only suite: the manifests
// they apply, a runner that records every command, the split of commands into reads and writes,
// and a reading of everything Stockade can leave on a host, taken with the host's own tools.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { expect } from 'vitest';

import type { NodeConfig, ToolName } from '../../src/config/types.js';
import { diffTopology } from '../../src/diff/diff.js';
import { createHostDriver } from '../../src/host/driver.js';
import { teardownJail } from '../../src/host/teardown.js';
import { createRunner, type RunOptions, type RunResult, type Runner } from '../../src/host/exec.js';
import { loadManifests } from '../../src/manifest/load.js';
import { planAgainstHost, type HostPlan } from '../../src/plan/plan-host.js';
import type { PlanStep, StepAction, StepType } from '../../src/plan/types.js';
import type { HostDriver } from '../../src/run/ports.js';
import type { ObservedHost } from '../../src/topology/types.js';

/** A host the scenarios run on: its node config and how to look at it. */
export interface ScenarioHost {
  /** zfs.root is a scratch dataset the scenario may fill and empty; zfs.mountpoint is set. */
  config: NodeConfig;
  /** Name of the release in config.releases that images are built from. */
  release: string;
  /** A network range jails may use; on the Linux test host a part of 127.0.0.0/8. */
  cidr: string;
  /** Process ids whose root directory lies at or below `dir` (the jail's processes). */
  processesUnder(dir: string): Promise<number[]>;
  /** Extra variables for tool runs (the test host's simulator state). */
  env: Record<string, string>;
}

/** One host command as the recording runner saw it. */
export interface RecordedCommand {
  tool: ToolName;
  args: string[];
}

/** A runner that records every command it passes on to a real runner. */
export interface RecordingRunner extends Runner {
  readonly log: RecordedCommand[];
  /** Forgets what was recorded so far. */
  clear(): void;
}

/** Every step action type of the plan contract; the compiler checks it is complete. */
export const ALL_STEP_TYPES: readonly StepType[] = Object.keys({
  'dataset.create': true,
  'dataset.update': true,
  'dataset.clone': true,
  'dataset.snapshot': true,
  'dataset.destroy': true,
  'image.build': true,
  'netif.create': true,
  'netif.update': true,
  'netif.destroy': true,
  'file.write': true,
  'mount.add': true,
  'mount.remove': true,
  'epair.create': true,
  'epair.destroy': true,
  'jail.create': true,
  'jail.configureNetwork': true,
  'jail.startCommand': true,
  'jail.stop': true,
  'jail.remove': true,
  'rctl.set': true,
  'rctl.clear': true,
  'cpuset.set': true,
  'pf.loadAnchor': true,
  'pf.flushAnchor': true,
  'pf.replaceTable': true,
  'pf.killTable': true,
  'volume.retain': true,
} satisfies Record<StepType, true>) as StepType[];

/** What the scenario manifests are made of. */
export interface ScenarioOptions {
  replicas?: number;
  /** Volume quota, e.g. 64M; changing it makes a dataset.update. */
  quota?: string;
  memory?: string;
  cpuset?: string;
  /** Content of the file every jail gets at /etc/stockade-scenario. */
  fileContent?: string;
  /** The jail's command; by default a long sleep. */
  command?: string[];
  /** Leave the Service (and so its pf anchor and table) out. */
  withoutService?: boolean;
}

/** Manifests of one image, one vnet network, one retained volume, one jail set and a service. */
export function scenarioManifests(host: ScenarioHost, options: ScenarioOptions = {}): string {
  const command = options.command ?? ['/bin/sleep', '86400'];
  const service = [
    '---',
    'apiVersion: stockade/v1',
    'kind: Service',
    'metadata: { name: app }',
    'spec:',
    '  selector: { app: scenario }',
    '  ports:',
    '    - { name: http, port: 80, targetPort: 8080, hostPort: 18099 }',
  ];
  return [
    'apiVersion: stockade/v1',
    'kind: Image',
    'metadata: { name: base }',
    `spec: { release: ${JSON.stringify(host.release)} }`,
    '---',
    'apiVersion: stockade/v1',
    'kind: Network',
    'metadata: { name: scn }',
    `spec: { mode: vnet, cidr: ${JSON.stringify(host.cidr)}, isolated: true }`,
    '---',
    'apiVersion: stockade/v1',
    'kind: Volume',
    'metadata: { name: data }',
    `spec: { quota: ${options.quota ?? '64M'}, reclaimPolicy: Retain }`,
    '---',
    'apiVersion: stockade/v1',
    'kind: Jail',
    'metadata: { name: app, labels: { app: scenario } }',
    'spec:',
    '  image: base',
    `  replicas: ${options.replicas ?? 1}`,
    '  networks: [{ name: scn }]',
    '  volumes: [{ name: data, mountPath: /data }]',
    '  files:',
    '    - path: /etc/stockade-scenario',
    `      content: ${JSON.stringify(options.fileContent ?? 'first\n')}`,
    '      mode: "0640"',
    `  command: ${JSON.stringify(command)}`,
    '  resources:',
    `    memory: ${options.memory ?? '64M'}`,
    '    maxproc: 32',
    ...(options.cpuset === undefined ? [] : [`    cpuset: ${JSON.stringify(options.cpuset)}`]),
    ...(options.withoutService === true ? [] : service),
    '',
  ].join('\n');
}

/** A runner over the host's tools that records each command. */
export function createRecordingRunner(config: NodeConfig): RecordingRunner {
  const inner = createRunner({ tools: config.tools });
  const log: RecordedCommand[] = [];
  return {
    log,
    clear: () => void log.splice(0),
    get commands() {
      return inner.commands;
    },
    run(tool: ToolName, args: string[], options?: RunOptions): Promise<RunResult> {
      log.push({ tool, args: [...args] });
      return inner.run(tool, args, options);
    },
  };
}

/** A driver over a recording runner, polling a dying jail without a pause. */
export function createRecordingDriver(config: NodeConfig): {
  driver: HostDriver;
  runner: RecordingRunner;
} {
  const runner = createRecordingRunner(config);
  return { driver: createHostDriver(config, { runner, pollDelayMs: 50 }), runner };
}

/**
 * True for a command that only reads the host. Everything not listed is a write, so a new
 * kind of command the driver issues counts against idempotence until it is classified here.
 */
export function isReadCommand(command: RecordedCommand): boolean {
  const { tool, args } = command;
  switch (tool) {
    case 'zfs':
      return args[0] === 'list' || args[0] === 'get';
    case 'zpool':
      return args[0] === 'list' || args[0] === 'get' || args[0] === 'status';
    case 'jls':
    case 'kldstat':
      return true;
    case 'ifconfig':
      return args.length <= 1 || (args.length === 2 && args[0] === '-g');
    case 'mount':
      return args.length === 0 || (args.length === 1 && args[0] === '-p');
    case 'pfctl':
      return args.includes('-s') || args.includes('-n') || args.join(' ').endsWith('-T show');
    case 'rctl':
      return !args.includes('-a') && !args.includes('-r');
    case 'cpuset':
      return args.includes('-g');
    case 'sysctl':
      return !args.some((a) => a.includes('='));
    case 'jexec':
      return isReadInJail(args.slice(1));
    default:
      return false;
  }
}

function isReadInJail(argv: string[]): boolean {
  if (argv[0] === '/sbin/ifconfig') return argv.length <= 2;
  if (argv[0] === '/sbin/route') return argv.includes('get');
  if (argv[0] === '/bin/sh' && argv[1] === '-c') {
    // The liveness probe of the start command: reads the pid file and sends signal 0.
    const script = argv[2] ?? '';
    return (
      script.includes('kill -0') &&
      !/kill -(TERM|KILL)|rm |>/.test(script.replace(/2>\/dev\/null/g, ''))
    );
  }
  return false;
}

/** Commands of `log` that change the host. */
export function writesOf(log: readonly RecordedCommand[]): string[] {
  return log.filter((c) => !isReadCommand(c)).map((c) => [c.tool, ...c.args].join(' '));
}

/** Runs a host tool from the config with the scenario environment; never rejects. */
export async function runTool(
  host: ScenarioHost,
  tool: ToolName,
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const file = host.config.tools[tool] ?? tool;
  const result = await execa(file, args, {
    reject: false,
    env: { ...process.env, ...host.env },
    stdin: 'ignore',
  });
  return {
    exitCode: result.exitCode ?? -1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
  };
}

/** Runs a host tool and resolves with its output; rejects naming the command when it fails. */
export async function readTool(
  host: ScenarioHost,
  tool: ToolName,
  args: string[],
): Promise<string> {
  const result = await runTool(host, tool, args);
  if (result.exitCode !== 0) {
    throw new Error(`${tool} ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  }
  return result.stdout;
}

/** Everything of Stockade's on the host, read with the host's tools. */
export interface HostState {
  /** `zfs get -s local all` below the root: NAME PROPERTY VALUE lines, sorted. */
  datasets: string[];
  /** Filesystem and snapshot names below the root. */
  names: string[];
  /** Interfaces whose description starts with `stockade:`, with their addresses and members. */
  interfaces: Record<string, string>;
  /** Jails by name: JID and path. */
  jails: Record<string, { jid: number; path: string }>;
  /** `mount -p` lines whose target lies below the root's mountpoint. */
  mounts: string[];
  /** pf anchors below the configured one: their nat and filter rules and tables. */
  anchors: Record<string, { rules: string[]; tables: Record<string, string[]> }>;
  /** `rctl` lines of jails. */
  rctl: string[];
  /** Processes by jail name. */
  processes: Record<string, number[]>;
}

/** Reads HostState. */
export async function readHostState(host: ScenarioHost): Promise<HostState> {
  const root = host.config.zfs.root;
  const mountpoint = host.config.zfs.mountpoint ?? `/${root}`;
  const zfsGet = await runTool(host, 'zfs', [
    'get',
    '-H',
    '-r',
    '-s',
    'local',
    '-o',
    'name,property,value',
    'all',
    root,
  ]);
  const zfsList = await runTool(host, 'zfs', ['list', '-H', '-r', '-t', 'all', '-o', 'name', root]);
  const state: HostState = {
    datasets: zfsGet.exitCode === 0 ? lines(zfsGet.stdout).sort() : [],
    names: zfsList.exitCode === 0 ? lines(zfsList.stdout).sort() : [],
    interfaces: await readInterfaces(host),
    jails: {},
    // ZFS's own mounts of the datasets are covered by `names`.
    mounts: lines(await readTool(host, 'mount', ['-p']))
      .filter((l) => {
        const [, target = '', fstype] = l.split(/\s+/);
        return fstype !== 'zfs' && isInside(target, mountpoint);
      })
      .sort(),
    anchors: await readAnchors(host),
    rctl: lines(await readTool(host, 'rctl', []))
      .filter((l) => l.startsWith('jail:'))
      .sort(),
    processes: {},
  };
  const jls = JSON.parse(
    await readTool(host, 'jls', ['--libxo', 'json', '-n', 'jid', 'name', 'path']),
  ) as { 'jail-information'?: { jail?: { jid: number; name: string; path: string }[] } };
  for (const jail of jls['jail-information']?.jail ?? []) {
    if (!isInside(jail.path, mountpoint)) continue;
    state.jails[jail.name] = { jid: Number(jail.jid), path: jail.path };
    state.processes[jail.name] = (await host.processesUnder(jail.path)).sort((a, b) => a - b);
  }
  return state;
}

async function readInterfaces(host: ScenarioHost): Promise<Record<string, string>> {
  const text = await readTool(host, 'ifconfig', []);
  const result: Record<string, string> = {};
  for (const block of text.split(/\n(?=\S)/)) {
    const name = /^([^:\s]+):/.exec(block)?.[1];
    if (name === undefined || !/\n\s+description: stockade:/.test(block)) continue;
    // Counters and media lines vary by themselves; keep what Stockade sets.
    result[name] = lines(block)
      .slice(1)
      .map((l) => l.trim())
      .filter(
        (l) => /^(description|inet6? |member:|groups:)/.test(l) && !l.startsWith('inet6 fe80'),
      )
      .sort()
      .join('\n');
  }
  return result;
}

async function readAnchors(
  host: ScenarioHost,
): Promise<Record<string, { rules: string[]; tables: Record<string, string[]> }>> {
  const parent = host.config.pf.anchor;
  const listed = await runTool(host, 'pfctl', ['-a', parent, '-v', '-s', 'Anchors']);
  const anchors: Record<string, { rules: string[]; tables: Record<string, string[]> }> = {};
  for (const anchor of listed.exitCode === 0 ? lines(listed.stdout).map((l) => l.trim()) : []) {
    const nat = await readTool(host, 'pfctl', ['-a', anchor, '-s', 'nat']);
    const rules = await readTool(host, 'pfctl', ['-a', anchor, '-s', 'rules']);
    const tables: Record<string, string[]> = {};
    const listedTables = await runTool(host, 'pfctl', ['-a', anchor, '-s', 'Tables']);
    for (const table of lines(listedTables.stdout).map((l) => l.trim())) {
      tables[table] = await readTable(host, anchor, table);
    }
    anchors[anchor] = { rules: [...lines(nat), ...lines(rules)], tables };
  }
  return anchors;
}

/** Addresses of a pf table, or undefined when the table does not exist. */
export async function readTable(
  host: ScenarioHost,
  anchor: string,
  table: string,
): Promise<string[]> {
  const shown = await runTool(host, 'pfctl', ['-a', anchor, '-t', table, '-T', 'show']);
  return shown.exitCode === 0
    ? lines(shown.stdout)
        .map((l) => l.trim())
        .sort()
    : [];
}

/** Loads the scenario manifests and plans them against what `driver` observes. */
export async function planScenario(
  host: ScenarioHost,
  driver: HostDriver,
  options: ScenarioOptions & { empty?: boolean } = {},
): Promise<HostPlan & { observed: ObservedHost }> {
  const files = new Map<string, string>(
    options.empty === true ? [] : [['scenario.yaml', scenarioManifests(host, options)]],
  );
  const observed = await driver.observe();
  const loaded = loadManifests(files, {
    policy: host.config.policy,
    hostAddresses: observed.foreign.hostAddresses.map((a) => a.split('/')[0] ?? a),
  });
  if (!loaded.ok) {
    throw new Error(`scenario manifests are invalid: ${JSON.stringify(loaded.errors)}`);
  }
  const config = {
    ...host.config,
    policy: { ...host.config.policy, allowPruneAll: true, maxPruneRatio: 1 },
  };
  return { ...planAgainstHost(loaded.manifests, config, observed), observed };
}

/** The steps of a plan in the order the engine carries them out (wave by wave). */
export function orderedSteps(steps: readonly PlanStep[]): PlanStep[] {
  return [...steps].sort((a, b) => a.wave - b.wave);
}

/** Applies every step of `steps` in wave order, one at a time. */
export async function applyAll(driver: HostDriver, steps: readonly PlanStep[]): Promise<void> {
  for (const step of orderedSteps(steps)) await driver.applyStep(step);
}

/** A plan step around a hand-made action. */
export function handStep(action: StepAction, target: string): PlanStep {
  return {
    id: `${action.type}:${target}`,
    action,
    target,
    resource: 'jail',
    symbol: '~',
    reason: { kind: 'new' },
    dependsOn: [],
    wave: 0,
    destructive: false,
  };
}

/** Content and permission bits of a file on the host, or undefined when it is missing. */
export async function readHostFile(
  file: string,
): Promise<{ content: string; mode: number; mtimeMs: number } | undefined> {
  try {
    const info = await stat(file);
    return {
      content: await readFile(file, 'utf8'),
      mode: info.mode & 0o7777,
      mtimeMs: info.mtimeMs,
    };
  } catch {
    return undefined;
  }
}

/** `dir` joined with an absolute path inside it. */
export function inRoot(dir: string, inside: string): string {
  return path.join(dir, inside);
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

function isInside(candidate: string, dir: string): boolean {
  return candidate === dir || candidate.startsWith(`${dir}/`);
}

/** The scenario host over a running Linux test host; its jails use part of 127.0.0.0/8. */
export function testHostScenario(
  host: {
    root: string;
    mountRoot: string;
    env: Record<string, string>;
    nodeConfig(overrides?: Record<string, unknown>): NodeConfig;
  },
  processesUnder: (dir: string) => Promise<number[]>,
): ScenarioHost {
  return {
    config: host.nodeConfig({
      zfs: { root: host.root, mountpoint: `${host.mountRoot}/stockade` },
    }),
    release: 'busybox',
    cidr: '127.78.1.0/24',
    env: host.env,
    processesUnder,
  };
}

/** Netmask as ifconfig prints it for an IPv4 prefix length, e.g. 24 -> 0xffffff00. */
export function netmaskOf(prefix: number): string {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `0x${mask.toString(16).padStart(8, '0')}`;
}

/** Local properties of a dataset as `zfs get -Hp` prints them, or undefined when it is gone. */
export async function readLocalProperties(
  host: ScenarioHost,
  dataset: string,
): Promise<Record<string, string> | undefined> {
  const shown = await runTool(host, 'zfs', [
    'get',
    '-Hp',
    '-s',
    'local',
    '-o',
    'property,value',
    'all',
    dataset,
  ]);
  if (shown.exitCode !== 0) return undefined;
  return Object.fromEntries(lines(shown.stdout).map((l) => l.split('\t') as [string, string]));
}

async function exists(host: ScenarioHost, dataset: string): Promise<boolean> {
  return (
    (await runTool(host, 'zfs', ['list', '-H', '-o', 'name', '-t', 'all', dataset])).exitCode === 0
  );
}

async function pidFileOf(root: string): Promise<number | undefined> {
  const file = await readHostFile(inRoot(root, '/var/run/stockade.pid'));
  return file === undefined ? undefined : Number(file.content.trim());
}

/**
 * Checks with the host's tools that `action` took effect. `before` is the host state before
 * the first application, `after` the state after it.
 */
export async function expectApplied(
  host: ScenarioHost,
  action: StepAction,
  before: HostState,
  after: HostState,
): Promise<void> {
  const label = action.type;
  switch (action.type) {
    case 'dataset.create':
    case 'dataset.clone': {
      const props = await readLocalProperties(host, action.dataset.name);
      expect(props, label).toMatchObject({
        ...action.dataset.properties,
        ...action.dataset.marks,
        'stockade:managed': 'true',
        'stockade:role': action.dataset.role,
      });
      if (action.type === 'dataset.clone') {
        const origin = await readTool(host, 'zfs', [
          'get',
          '-H',
          '-o',
          'value',
          'origin',
          action.dataset.name,
        ]);
        expect(origin.trim(), label).toBe(action.dataset.origin);
      }
      return;
    }
    case 'dataset.update':
      expect(await readLocalProperties(host, action.name), label).toMatchObject({
        ...action.properties,
        ...action.marks,
      });
      return;
    case 'dataset.snapshot':
      expect(after.names, label).toContain(`${action.name}@${action.snapshot}`);
      return;
    case 'dataset.destroy':
      expect(await exists(host, action.name), label).toBe(false);
      expect(
        after.names.filter(
          (n) =>
            n === action.name || n.startsWith(`${action.name}/`) || n.startsWith(`${action.name}@`),
        ),
        label,
      ).toEqual([]);
      return;
    case 'image.build': {
      expect(after.names, label).toContain(`${action.image.dataset}@ready`);
      const props = await readLocalProperties(host, action.image.dataset);
      expect(props?.['stockade:role'], label).toBe('image');
      return;
    }
    case 'netif.create':
    case 'netif.update': {
      const shown = await readTool(host, 'ifconfig', [action.netif.name]);
      expect(shown, label).toContain(`description: ${action.netif.description}`);
      if (action.netif.address !== undefined) {
        const [address, prefix] = action.netif.address.split('/');
        expect(shown, label).toContain(`inet ${address} netmask ${netmaskOf(Number(prefix))}`);
      }
      expect(shown.split('\n')[0], label).toMatch(/<UP[,>]/);
      return;
    }
    case 'netif.destroy':
      expect((await runTool(host, 'ifconfig', [action.name])).exitCode, label).not.toBe(0);
      expect(Object.keys(after.interfaces), label).not.toContain(action.name);
      return;
    case 'file.write':
      for (const file of action.files) {
        const onDisk = await readHostFile(inRoot(action.root, file.path));
        expect(onDisk?.content, `${label} ${file.path}`).toBe(
          Buffer.from(file.content, 'base64').toString('utf8'),
        );
        expect(onDisk?.mode, `${label} ${file.path}`).toBe(file.mode);
      }
      return;
    case 'mount.add': {
      const { source, target, readonly } = action.mount;
      expect(
        after.mounts.map((m) => m.split('\t').slice(0, 4).join(' ')),
        label,
      ).toContain(`${source} ${target} nullfs ${readonly ? 'ro' : 'rw'}`);
      return;
    }
    case 'mount.remove':
      expect(
        after.mounts.filter((m) => m.split('\t')[1] === action.target),
        label,
      ).toEqual([]);
      return;
    case 'epair.create': {
      const hostEnd = action.iface.epair ?? '';
      expect(await readTool(host, 'ifconfig', [hostEnd]), label).toContain(
        `description: ${action.iface.description}`,
      );
      expect(await readTool(host, 'ifconfig', [action.iface.netif]), label).toContain(
        `member: ${hostEnd} `,
      );
      return;
    }
    case 'epair.destroy': {
      const jailEnd = `${action.epair.slice(0, -1)}b`;
      expect((await runTool(host, 'ifconfig', [action.epair])).exitCode, label).not.toBe(0);
      expect((await runTool(host, 'ifconfig', [jailEnd])).exitCode, label).not.toBe(0);
      return;
    }
    case 'jail.create':
      expect(after.jails[action.jail.name]?.path, label).toBe(action.jail.path);
      expect((await readTool(host, 'jls', ['-j', action.jail.name, 'path'])).trim(), label).toBe(
        action.jail.path,
      );
      return;
    case 'jail.configureNetwork': {
      const jailEnd = `${(action.iface.epair ?? '').slice(0, -1)}b`;
      const [address, prefix] = action.iface.address.split('/');
      const shown = await readTool(host, 'jexec', [action.jail, '/sbin/ifconfig', jailEnd]);
      expect(shown, label).toContain(`inet ${address} netmask ${netmaskOf(Number(prefix))}`);
      const route = await readTool(host, 'jexec', [
        action.jail,
        '/sbin/route',
        '-n',
        'get',
        'default',
      ]);
      expect(route, label).toMatch(new RegExp(`gateway: ${action.iface.gateway ?? ''}\\b`));
      return;
    }
    case 'jail.startCommand': {
      const root = after.jails[action.jail]?.path ?? '';
      const pid = await pidFileOf(root);
      expect(pid, label).toBeGreaterThan(0);
      expect(after.processes[action.jail], label).toContain(pid);
      return;
    }
    case 'jail.stop': {
      const root = before.jails[action.jail]?.path ?? '';
      expect(before.processes[action.jail]?.length, label).toBeGreaterThan(0);
      expect(await pidFileOf(root), label).toBeUndefined();
      expect(after.processes[action.jail], label).toEqual([]);
      return;
    }
    case 'jail.remove': {
      const root = before.jails[action.jail]?.path ?? '';
      expect(after.jails[action.jail], label).toBeUndefined();
      expect((await runTool(host, 'jls', ['-j', action.jail, 'jid'])).exitCode, label).not.toBe(0);
      expect(await host.processesUnder(root), label).toEqual([]);
      return;
    }
    case 'rctl.set': {
      const shown = lines(await readTool(host, 'rctl', [`jail:${action.jail}`])).sort();
      const wanted = action.rules
        .map((r) => `jail:${action.jail}:${r.resource}:${r.action}=${r.amount}`)
        .sort();
      expect(shown, label).toEqual(wanted);
      return;
    }
    case 'rctl.clear':
      expect(lines(await readTool(host, 'rctl', [`jail:${action.jail}`])), label).toEqual([]);
      return;
    case 'cpuset.set': {
      const jid = after.jails[action.jail]?.jid ?? -1;
      const shown = await readTool(host, 'cpuset', ['-g', '-j', String(jid)]);
      expect(shown.split('\n')[0], label).toBe(
        `jail ${jid} mask: ${action.cpus.split(/[,-]/).join(', ')}`,
      );
      return;
    }
    case 'pf.loadAnchor': {
      const loaded = after.anchors[action.anchor]?.rules ?? [];
      // pfctl prints rules normalised (`port = 80`, service names), so compare their shape.
      expect(loaded.length, label).toBe(action.rules.length);
      expect(loaded.map(ruleHead), label).toEqual(action.rules.map(ruleHead));
      return;
    }
    case 'pf.flushAnchor':
      // An anchor left empty is removed by pf; reading its rules then fails with EINVAL.
      expect(await readRulesOrGone(host, action.anchor, 'rules'), label).toEqual([]);
      expect(await readRulesOrGone(host, action.anchor, 'nat'), label).toEqual([]);
      expect(after.anchors[action.anchor]?.rules ?? [], label).toEqual([]);
      return;
    case 'pf.replaceTable':
      expect(await readTable(host, action.anchor, action.table), label).toEqual(
        [...action.addresses].sort(),
      );
      return;
    case 'pf.killTable':
      expect(await readTable(host, action.anchor, action.table), label).toEqual([]);
      expect(after.anchors[action.anchor]?.tables[action.table], label).toBeUndefined();
      return;
    case 'volume.retain':
      expect(after, label).toEqual(before);
      expect(await exists(host, action.dataset), label).toBe(true);
      return;
  }
}

/** Rules of an anchor; empty when pf reports the anchor gone (DIOCGETRULES: EINVAL). */
async function readRulesOrGone(
  host: ScenarioHost,
  anchor: string,
  kind: 'rules' | 'nat',
): Promise<string[]> {
  const shown = await runTool(host, 'pfctl', ['-a', anchor, '-s', kind]);
  if (shown.exitCode !== 0) {
    expect(shown.stderr).toMatch(/DIOCGET(RULES|RULESETS).*Invalid argument/);
    return [];
  }
  return lines(shown.stdout);
}

function ruleHead(rule: string): string {
  return rule.split(/\s+/).slice(0, 4).join(' ');
}

/**
 * Applies `step` twice: checks its effect after the first time, then that the second time
 * changed nothing and issued only read commands. Resolves with the state after the first.
 */
export async function applyTwice(host: ScenarioHost, step: PlanStep): Promise<HostState> {
  const { driver, runner } = createRecordingDriver(host.config);
  const before = await readHostState(host);
  await driver.applyStep(step);
  const after = await readHostState(host);
  await expectApplied(host, step.action, before, after);
  const files = step.action.type === 'file.write' ? await fileTimes(step.action) : undefined;

  runner.clear();
  await driver.applyStep(step);
  expect(writesOf(runner.log), `second ${step.id}`).toEqual([]);
  expect(await readHostState(host), `second ${step.id}`).toEqual(after);
  if (files !== undefined && step.action.type === 'file.write') {
    expect(await fileTimes(step.action), `second ${step.id}`).toEqual(files);
  }
  return after;
}

async function fileTimes(action: { root: string; files: { path: string }[] }): Promise<unknown[]> {
  return Promise.all(action.files.map((f) => readHostFile(inRoot(action.root, f.path))));
}

/** Applies every step of `steps` twice in wave order; resolves with the types applied. */
export async function applyEachTwice(
  host: ScenarioHost,
  steps: readonly PlanStep[],
): Promise<StepType[]> {
  const applied: StepType[] = [];
  for (const step of orderedSteps(steps)) {
    await applyTwice(host, step);
    applied.push(step.action.type);
  }
  return applied;
}

/** Plans the removal of everything and applies it; destroys the retained volume too. */
export async function removeEverything(host: ScenarioHost): Promise<void> {
  const { driver } = createRecordingDriver(host.config);
  const { plan } = await planScenario(host, driver, { empty: true });
  await applyAll(driver, plan.steps);
  for (const step of plan.steps) {
    if (step.action.type === 'volume.retain') {
      await driver.applyStep(
        handStep({ type: 'dataset.destroy', name: step.action.dataset }, step.action.name),
      );
    }
  }
}

/** Asserts that nothing of Stockade's is left below the root but the empty parent datasets. */
export async function expectNothingLeft(host: ScenarioHost, jailPaths: string[]): Promise<void> {
  const state = await readHostState(host);
  const root = host.config.zfs.root;
  const parents = ['', '/images', '/jails', '/releases', '/volumes'].map((p) => `${root}${p}`);
  expect(state.names.filter((n) => !parents.includes(n))).toEqual([]);
  expect(state.interfaces).toEqual({});
  expect(state.jails).toEqual({});
  expect(state.mounts).toEqual([]);
  expect(state.anchors).toEqual({});
  expect(state.rctl).toEqual([]);
  for (const dir of jailPaths) expect(await host.processesUnder(dir), dir).toEqual([]);
}

/**
 * Every step of a new deployment, of in-place changes, of hand-made steps the planner does not
 * emit for these manifests, and of the removal, each applied twice. Resolves with the types.
 */
export async function scenarioEveryActionTwice(host: ScenarioHost): Promise<Set<StepType>> {
  const applied = new Set<StepType>();
  const { driver } = createRecordingDriver(host.config);

  const created = await planScenario(host, driver, { cpuset: '0' });
  for (const type of await applyEachTwice(host, created.plan.steps)) applied.add(type);

  const changed = await planScenario(host, driver, {
    cpuset: '0',
    quota: '96M',
    memory: '32M',
    fileContent: 'second\n',
  });
  expect(changed.plan.steps.map((s) => s.action.type).sort()).toEqual([
    'dataset.update',
    'file.write',
    'rctl.set',
  ]);
  for (const type of await applyEachTwice(host, changed.plan.steps)) applied.add(type);

  // Steps the planner emits only for drift or rollback points, made by hand.
  const volume = created.desired.datasets[`${host.config.zfs.root}/volumes/data`];
  const netif = Object.values(created.desired.netifs)[0];
  expect(volume).toBeDefined();
  expect(netif).toBeDefined();
  if (volume === undefined || netif === undefined) return applied;
  await applyTwice(
    host,
    handStep({ type: 'dataset.snapshot', name: volume.name, snapshot: 'scenario' }, volume.name),
  );
  applied.add('dataset.snapshot');
  await readTool(host, 'ifconfig', [netif.name, 'description', 'stockade:net:drifted']);
  await applyTwice(host, handStep({ type: 'netif.update', netif }, netif.name));
  applied.add('netif.update');

  const removal = await planScenario(host, driver, { empty: true });
  for (const type of await applyEachTwice(host, removal.plan.steps)) applied.add(type);
  await applyTwice(host, handStep({ type: 'dataset.destroy', name: volume.name }, volume.name));
  const jailPaths = Object.values(created.desired.jails).map((j) => j.path);
  await expectNothingLeft(host, jailPaths);
  return applied;
}

/** A full lifecycle, then removal through the planner: nothing is left. */
export async function scenarioTeardownLeavesNothing(host: ScenarioHost): Promise<void> {
  const { driver } = createRecordingDriver(host.config);
  const { plan, desired } = await planScenario(host, driver, { replicas: 2 });
  await applyAll(driver, plan.steps);
  expect(Object.keys((await readHostState(host)).jails).sort()).toEqual(['app-0', 'app-1']);
  await removeEverything(host);
  await expectNothingLeft(
    host,
    Object.values(desired.jails).map((j) => j.path),
  );
}

/**
 * A pf rule the host rejects fails the run after the jails are up; the removal plan then
 * takes everything down. A teardown interrupted at `jail -r` is resumed and finishes.
 */
export async function scenarioTeardownAfterFailure(host: ScenarioHost): Promise<void> {
  const { driver } = createRecordingDriver(host.config);
  const { plan, desired } = await planScenario(host, driver);
  // The anchor's load goes last and fails; the table fill that depends on it never runs.
  const broken = orderedSteps(plan.steps)
    .filter((step) => step.action.type !== 'pf.replaceTable')
    .map((step) =>
      step.action.type === 'pf.loadAnchor'
        ? {
            ...step,
            wave: 99,
            action: { ...step.action, rules: ['pass in on nosuchthing quickly'] },
          }
        : step,
    );
  const failure = await applyAll(driver, broken).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(failure).toMatchObject({ code: 'PF_RULES_INVALID' });
  const halfway = await readHostState(host);
  expect(Object.keys(halfway.jails)).toEqual(['app-0']);
  expect(halfway.anchors).toEqual({});

  // Interrupt the teardown at `jail -r`, then resume it with a runner that works.
  const jail = desired.jails['app-0'];
  expect(jail).toBeDefined();
  const failing = createRecordingRunner(host.config);
  const crashing: Runner = {
    get commands() {
      return failing.commands;
    },
    run: (tool, args, options) =>
      tool === 'jail' && args.includes('-r')
        ? Promise.reject(new Error('interrupted before jail -r'))
        : failing.run(tool, args, options),
  };
  const interrupted = createHostDriver(host.config, { runner: crashing, pollDelayMs: 50 });
  await expect(teardownJail(interrupted.context, 'app-0')).rejects.toThrow(
    'interrupted before jail -r',
  );
  const stopped = await readHostState(host);
  expect(stopped.jails['app-0']).toBeDefined();
  expect(stopped.processes['app-0']).toEqual([]);
  expect(Object.keys(stopped.interfaces).filter((i) => i === jail?.interfaces[0]?.epair)).toEqual(
    [],
  );

  const resumed = createHostDriver(host.config, { pollDelayMs: 50 });
  await teardownJail(resumed.context, 'app-0');
  const after = await readHostState(host);
  expect(after.jails).toEqual({});
  expect(after.mounts).toEqual([]);
  expect(after.rctl).toEqual([]);
  expect(after.names).not.toContain(jail?.dataset);
  expect(await host.processesUnder(jail?.path ?? '/nonexistent')).toEqual([]);

  await removeEverything(host);
  await expectNothingLeft(
    host,
    Object.values(desired.jails).map((j) => j.path),
  );
}

/**
 * A file written through the jail into its volume survives the jail's teardown, and the
 * driver refuses to destroy either dataset while the volume is mounted into the jail.
 */
export async function scenarioVolumeSurvives(host: ScenarioHost): Promise<void> {
  const { driver } = createRecordingDriver(host.config);
  const { plan, desired } = await planScenario(host, driver);
  await applyAll(driver, plan.steps);
  const jail = desired.jails['app-0'];
  const volume = `${host.config.zfs.root}/volumes/data`;
  const mount = jail?.mounts[0];
  expect(mount?.volume).toBe('data');
  if (jail === undefined || mount === undefined) return;

  const content = `written in ${jail.name}\n`;
  const wrote = await driver.exec(jail.name, [
    '/bin/sh',
    '-c',
    `printf '%s\\n' '${content.trim()}' > /data/note.txt`,
  ]);
  expect(wrote.exitCode).toBe(0);
  const read = await driver.exec(jail.name, ['/bin/cat', '/data/note.txt']);
  expect(read.stdout).toBe(content);

  // B1: nothing is destroyed while a nullfs mount ties the two trees together.
  await expect(
    driver.applyStep(handStep({ type: 'dataset.destroy', name: volume }, volume)),
  ).rejects.toMatchObject({
    code: 'DATASET_IN_USE',
    data: { dataset: volume, mounts: [mount.target] },
  });
  await expect(
    driver.applyStep(handStep({ type: 'dataset.destroy', name: jail.dataset }, jail.dataset)),
  ).rejects.toMatchObject({
    code: 'DATASET_IN_USE',
    data: { dataset: jail.dataset, mounts: expect.arrayContaining([mount.target]) as unknown },
  });
  expect(await exists(host, volume)).toBe(true);
  expect(await exists(host, jail.dataset)).toBe(true);

  const removal = await planScenario(host, driver, { empty: true });
  await applyAll(driver, removal.plan.steps);
  const after = await readHostState(host);
  expect(after.jails).toEqual({});
  expect(after.names).not.toContain(jail.dataset);
  expect(after.names).toContain(volume);
  const onVolume = await readHostFile(inRoot(mount.source, '/note.txt'));
  expect(onVolume?.content).toBe(content);

  await driver.applyStep(handStep({ type: 'dataset.destroy', name: volume }, volume));
  await expectNothingLeft(host, [jail.path]);
}

/**
 * Applies `replicas` jails, checks that the observed topology diffs empty against the desired
 * one, and resolves with the commands one observe issued.
 */
export async function scenarioObserve(host: ScenarioHost, replicas: number): Promise<string[]> {
  const { driver, runner } = createRecordingDriver(host.config);
  const { plan, desired } = await planScenario(host, driver, { replicas });
  await applyAll(driver, plan.steps);
  runner.clear();
  const observed = await driver.observe();
  const commands = runner.log.map((c) => [c.tool, ...c.args].join(' '));
  expect(observed.commands).toBe(commands.length);
  expect(Object.keys(observed.topology.jails).length).toBe(replicas);
  expect(diffTopology(desired, observed.topology)).toEqual([]);
  return commands;
}

/** A driver whose runner fails the first command `fails` matches, as a crash there would. */
export function createCrashingDriver(
  config: NodeConfig,
  fails: (command: RecordedCommand) => boolean,
): HostDriver & { crashed: () => boolean } {
  const inner = createRecordingRunner(config);
  let crashed = false;
  const runner: Runner = {
    get commands() {
      return inner.commands;
    },
    run: (tool, args, options) => {
      if (!crashed && fails({ tool, args })) {
        crashed = true;
        return Promise.reject(new Error(`crashed before ${tool} ${args.join(' ')}`));
      }
      return inner.run(tool, args, options);
    },
  };
  const driver = createHostDriver(config, { runner, pollDelayMs: 50 });
  return Object.assign(driver, { crashed: () => crashed });
}

/**
 * The removal plan crashes at the jail dataset's `zfs destroy`, after the jail, its epair, its
 * mounts and its limits are gone; a new plan against the host then finishes the job.
 */
export async function scenarioRemovalResumed(host: ScenarioHost): Promise<void> {
  const { driver } = createRecordingDriver(host.config);
  const { plan, desired } = await planScenario(host, driver);
  await applyAll(driver, plan.steps);
  const jail = desired.jails['app-0'];
  expect(jail).toBeDefined();
  if (jail === undefined) return;

  const removal = await planScenario(host, driver, { empty: true });
  const crashing = createCrashingDriver(
    host.config,
    (c) => c.tool === 'zfs' && c.args[0] === 'destroy' && c.args.includes(jail.dataset),
  );
  await expect(applyAll(crashing, removal.plan.steps)).rejects.toThrow(
    `crashed before zfs destroy ${jail.dataset}`,
  );
  expect(crashing.crashed()).toBe(true);
  const halfway = await readHostState(host);
  expect(halfway.jails).toEqual({});
  expect(halfway.names).toContain(jail.dataset);

  const resumed = await planScenario(host, driver, { empty: true });
  expect(resumed.plan.steps.map((s) => s.id)).toContain(`dataset.destroy:${jail.dataset}`);
  await applyAll(driver, resumed.plan.steps);
  await removeEverything(host);
  await expectNothingLeft(host, [jail.path]);
}
