// SPDX-License-Identifier: BSD-2-Clause
// Shared steps of the end-to-end scenarios: one stack per scenario file with the daemon running,
// waiting on the status branch for a commit, reading the host as a user would (jls, HTTP, zfs),
// and editing the demo manifests as text so every change is a plain commit.

import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';

import type { NodeStatus } from '../../src/status/node-status.js';
import { findRepoRoot } from '../host/paths.js';
import {
  readDaemonLog,
  startStack,
  waitFor,
  type Stack,
  type StackOptions,
} from '../host/stack.js';
import { requireRoot } from '../setup/test-host.js';

/** The demo application every scenario starts from. */
export const DEMO_REPO = path.join(findRepoRoot(), 'demo-repo');

/** The manifest file of the demo and the node name of the stack's config. */
export const MANIFEST = 'stockade.yaml';
export const NODE_STATUS = 'nodes/testhost.json';

/** Port the demo's jails serve on, inside their own addresses. */
export const HTTP_PORT = 8080;

/** How long a scenario waits for one apply, including an image build on a busy machine. */
export const APPLY_TIMEOUT_MS = 120_000;

/** Vitest timeout of a test that waits for up to one apply and checks the host after it. */
export const TEST_TIMEOUT_MS = APPLY_TIMEOUT_MS + 60_000;

/** The demo's network, which every stack of the demo would share on this machine's loopback. */
const DEMO_CIDR = 'cidr: 127.77.1.0/24';

/**
 * Starts a stack of the demo before the tests of the enclosing describe block and the daemon
 * with it (unless `daemon` is false), and stops both after them. With `subnet`, the demo's
 * network becomes 127.77.<subnet>.0/24: jail addresses are derived from names, so two stacks of
 * the same demo on one machine (other suites, other people's runs) would otherwise bind the
 * same loopback addresses and answer each other's requests. Not being root skips the block
 * (fails in CI), as requireRoot does. `webhook` turns the webhook on at a free port of
 * 127.0.0.1. Returns an accessor for the running stack.
 */
export function useStack(
  options: Partial<StackOptions> & { daemon?: boolean; subnet?: number; webhook?: boolean } = {},
): () => Stack {
  let stack: Stack | undefined;
  let copy: string | undefined;
  if (!requireRoot()) return () => notStarted();

  const { daemon = true, subnet, webhook = false, ...stackOptions } = options;
  beforeAll(async () => {
    let manifests = DEMO_REPO;
    if (subnet !== undefined) {
      copy = await mkdtemp(path.join(os.tmpdir(), 'stockade-e2e-'));
      await cp(DEMO_REPO, copy, { recursive: true });
      const file = path.join(copy, MANIFEST);
      const text = replaceOnce(await readFile(file, 'utf8'), [
        [DEMO_CIDR, `cidr: 127.77.${subnet}.0/24`],
      ]);
      await writeFile(file, text);
      manifests = copy;
    }
    const port = webhook ? { webhookPort: await findFreePort() } : {};
    stack = await startStack({ manifests, pollInterval: 5, ...port, ...stackOptions });
    if (daemon) await stack.startDaemon();
  }, 600_000);
  afterAll(async () => {
    await stack?.stop();
    if (copy !== undefined) await rm(copy, { recursive: true, force: true });
  }, 300_000);
  return () => stack ?? notStarted();
}

/** A file of the working clone as it is now (main, unless a test switched branches). */
export function readWorkFile(stack: Stack, file: string): Promise<string> {
  return readFile(path.join(stack.workDir, file), 'utf8');
}

/** The node status on the status branch, parsed, or undefined before the first run. */
export async function readNodeStatus(stack: Stack): Promise<NodeStatus | undefined> {
  const text = await stack.readStatus(NODE_STATUS);
  return text === undefined ? undefined : (JSON.parse(text) as NodeStatus);
}

/**
 * Waits until the status branch reports `commit` as observed and `accept` holds for the status,
 * then returns it. The daemon's log tail is in the error when it does not happen in time.
 */
export async function waitForStatus(
  stack: Stack,
  what: string,
  accept: (status: NodeStatus) => boolean,
  timeoutMs = APPLY_TIMEOUT_MS,
): Promise<NodeStatus> {
  try {
    return await waitFor(
      what,
      async () => {
        const status = await readNodeStatus(stack);
        return status !== undefined && accept(status) ? status : undefined;
      },
      timeoutMs,
      500,
    );
  } catch (err) {
    const last = await readNodeStatus(stack).catch(() => undefined);
    throw new Error(
      `${(err as Error).message}\nlast status: ${JSON.stringify(last && summarize(last))}\n` +
        `daemon log:\n${await readDaemonLog(stack)}`,
      { cause: err },
    );
  }
}

/** Waits until `commit` is applied and every jail of the status runs healthy. */
export function waitForApplied(
  stack: Stack,
  commit: string,
  timeoutMs = APPLY_TIMEOUT_MS,
): Promise<NodeStatus> {
  return waitForStatus(
    stack,
    `commit ${commit.slice(0, 7)} applied`,
    (s) =>
      s.applied?.commit === commit &&
      s.result === 'Applied' &&
      s.jails.every((j) => j.state === 'running' && j.health === 'healthy'),
    timeoutMs,
  );
}

/** Number of commits on the status branch as the server has it. */
export async function countStatusCommits(stack: Stack): Promise<number> {
  await stack.git_(['fetch', '-q', 'origin', 'stockade-status']);
  return Number(await stack.git_(['rev-list', '--count', 'FETCH_HEAD']));
}

/** Runs the daemon finished so far, by the `run finished` lines of its log. */
export function countFinishedRuns(stack: Stack): Promise<number> {
  return countLogLines(stack, 'run finished');
}

/** Lines of the daemon's log whose message is `msg`. */
export async function countLogLines(stack: Stack, msg: string): Promise<number> {
  const text = await readFile(stack.daemonLog, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.includes(`"msg":"${msg}"`)).length;
}

/** Waits until the daemon has finished `count` more runs than `after`. */
export async function waitForRuns(stack: Stack, after: number, count: number): Promise<void> {
  await waitFor(
    `${count} more daemon runs after ${after}`,
    async () => ((await countFinishedRuns(stack)) >= after + count ? true : undefined),
    APPLY_TIMEOUT_MS,
    250,
  );
}

/** The tip of the status branch on the server. */
export async function statusTip(stack: Stack): Promise<string> {
  const line = await stack.git_(['ls-remote', 'origin', 'refs/heads/stockade-status']);
  return line.split('\t')[0] ?? '';
}

/** Jail name to JID, as `jls` lists them on the host. */
export async function listJails(stack: Stack): Promise<Record<string, number>> {
  const out = await stack.hostTool('jls', ['-q', 'jid', 'name']);
  const jails: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const [jid, name] = line.trim().split(/\s+/);
    if (jid !== undefined && name !== undefined && jid !== '') jails[name] = Number(jid);
  }
  return jails;
}

/** An address of the status (`127.77.1.196/24`) without its prefix length. */
export function hostOf(address: string): string {
  return address.split('/')[0] ?? address;
}

/** The one address of the jail `name` in `status`; fails the test when there is not one. */
export function jailAddress(status: NodeStatus, name: string): string {
  const jail = status.jails.find((j) => j.name === name);
  const addresses = jail?.addresses ?? [];
  if (addresses.length !== 1 || addresses[0] === undefined) {
    throw new Error(`jail ${name} has addresses ${JSON.stringify(addresses)} in the status`);
  }
  return hostOf(addresses[0]);
}

/** GETs `http://<address>:<port><path>` over loopback, with a bounded wait. */
export function httpGet(
  address: string,
  port = HTTP_PORT,
  urlPath = '/',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: address, port, path: urlPath, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${address}:${port}${urlPath} timed out`)));
    req.on('error', reject);
  });
}

/** POSTs `body` with `headers` to `url` (loopback only) and returns the status code. */
export function httpPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The pull request of the plan and revert scenarios: one more replica (2 -> 3) and a memory
 * limit of 128M instead of 64M, plus, when `page` is given, a new www/index.html.
 */
export async function scaleUpFiles(stack: Stack, page?: string): Promise<Record<string, string>> {
  const manifest = replaceOnce(await readWorkFile(stack, MANIFEST), [
    ['replicas: 2', 'replicas: 3'],
    ['memory: 64M', 'memory: 128M'],
  ]);
  return { [MANIFEST]: manifest, ...(page === undefined ? {} : { 'www/index.html': page }) };
}

/** Commits `files` on a new branch `branch` of the working clone, pushes it, returns to main. */
export async function pushBranch(
  stack: Stack,
  branch: string,
  message: string,
  files: Record<string, string>,
): Promise<string> {
  await stack.git_(['checkout', '-q', '-b', branch]);
  try {
    return await stack.commit(message, files, branch);
  } finally {
    await stack.git_(['checkout', '-q', 'main']);
  }
}

/** A file of the demo repository as it is in the source tree. */
export function readDemoFile(file: string): Promise<string> {
  return readFile(path.join(DEMO_REPO, file), 'utf8');
}

/**
 * `text` with each `from` replaced by its `to`; throws when a `from` does not occur exactly
 * once, so a change to the demo cannot silently turn a scenario into a no-op.
 */
export function replaceOnce(text: string, replacements: [string, string][]): string {
  let result = text;
  for (const [from, to] of replacements) {
    const count = result.split(from).length - 1;
    if (count !== 1) throw new Error(`expected one '${from}' in the manifest, found ${count}`);
    result = result.replace(from, to);
  }
  return result;
}

/** The 1-based line and column where `needle` starts in `text`. */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const index = text.indexOf(needle);
  if (index < 0) throw new Error(`'${needle}' is not in the text`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** A value of a ZFS property of `dataset`, or undefined when the dataset does not exist. */
export async function zfsGet(
  stack: Stack,
  property: string,
  dataset: string,
): Promise<string | undefined> {
  const result = await execa(
    stack.host.tools.zfs,
    ['get', '-H', '-o', 'value', property, dataset],
    {
      env: { ...process.env, ...stack.host.env },
      reject: false,
    },
  );
  return result.exitCode === 0 ? String(result.stdout).trim() : undefined;
}

/** The datasets under the stack's root dataset. */
export async function listDatasets(stack: Stack): Promise<string[]> {
  const out = await stack.hostTool('zfs', ['list', '-H', '-r', '-o', 'name', stack.host.root]);
  return out.split('\n').filter((line) => line !== '');
}

/** A TCP port of 127.0.0.1 that was free a moment ago. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The few status fields worth printing when a wait fails. */
function summarize(status: NodeStatus): unknown {
  return {
    applied: status.applied?.commit,
    observed: status.observed,
    result: status.result,
    reason: status.reason,
    message: status.message,
    errors: status.errors,
    jails: status.jails.map((j) => `${j.name}:${j.state}:${j.health}`),
  };
}

function notStarted(): never {
  throw new Error('the stack is not running: it starts in beforeAll of this describe block');
}
