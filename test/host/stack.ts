// SPDX-License-Identifier: BSD-2-Clause
// The whole stack as a user runs it, on the test host: a real Git server on loopback, a working
// clone pushed with the git CLI, a node config file, and `stockade run` as a separate process.
// The end-to-end tests and `npm run demo` both drive Stockade through this module only.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { cp, mkdir, readdir, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';
import { stringify } from 'yaml';

import type { ToolName } from '../../src/config/types.js';
import type { NodeStatus } from '../../src/status/node-status.js';
import { startGitServer, type GitServer } from './git-server.js';
import { findRepoRoot } from './paths.js';
import { startTestHost, type TestHost } from './testhost.js';

/** The repository's name on the Git server and the user the daemon reads it as. */
const REPO = 'site';
const DAEMON_USER = 'stockade';
const DEV_USER = 'developer';

export interface StackOptions {
  /** Folder whose files become the first commit, e.g. demo-repo. */
  manifests: string;
  /** Poll interval of the daemon in seconds (the config's minimum is 5). */
  pollInterval?: number;
  /** Install missing Debian packages (as root on Debian). */
  install?: boolean;
  /** Port for the webhook listener on 127.0.0.1; 0 leaves the webhook off. */
  webhookPort?: number;
  /** Top-level fields of the node config file to set or replace (selfHeal, policy, ...). */
  config?: Record<string, unknown>;
}

export interface Stack {
  host: TestHost;
  git: GitServer;
  /** The developer's working clone, pushed with the git CLI. */
  workDir: string;
  configPath: string;
  /** Shared secret of the webhook, when it is on. */
  webhookSecret: string;
  webhookUrl: string | undefined;
  /** Runs git in the working clone as the developer. */
  git_(args: string[]): Promise<string>;
  /** Copies `files` (relative path to content) into the working clone, commits and pushes. */
  commit(message: string, files: Record<string, string | null>, branch?: string): Promise<string>;
  /** Starts `stockade run`; its log lines go to `daemonLog`. */
  startDaemon(): Promise<ChildProcess>;
  /** Stops the daemon: SIGTERM by default (then SIGKILL after 15 s), or the signal given. */
  stopDaemon(signal?: NodeJS.Signals): Promise<void>;
  daemonLog: string;
  /** Runs one of the test host's tools (jls, ifconfig, pfctl, ...) and returns its stdout. */
  hostTool(tool: ToolName, args: string[]): Promise<string>;
  /** Runs the stockade CLI with the test host's environment. */
  stockade(args: string[], options?: { cwd?: string }): Promise<CliResult>;
  /** A file of the status branch as the server has it, or undefined when absent. */
  readStatus(file: string): Promise<string | undefined>;
  /** Process ids of the jail's simulated processes (none when the jail is not running). */
  jailPids(name: string): Promise<number[]>;
  stop(): Promise<void>;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Brings the stack up: test host, Git server with one bare repository, a working clone holding
 * the files of `manifests` pushed as the first commit on main, and a node config for the daemon.
 * The daemon is not started; call `startDaemon()`.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const host = await startTestHost({
    ...(options.install === undefined ? {} : { install: options.install }),
  });
  let git: GitServer | undefined;
  let daemon: ChildProcess | undefined;
  try {
    const passwords = { [DAEMON_USER]: secret(), [DEV_USER]: secret() };
    git = await startGitServer({ root: path.join(host.tempDir, 'git'), users: passwords });
    await git.createRepo(REPO);

    const workDir = path.join(host.tempDir, 'work');
    await mkdir(workDir, { recursive: true });
    await cp(options.manifests, workDir, { recursive: true });
    const runGit = async (args: string[]) => {
      const result = await execa('git', args, { cwd: workDir, env: gitEnv() });
      return result.stdout;
    };
    await runGit(['init', '-q', '-b', 'main']);
    await runGit(['remote', 'add', 'origin', git.repoUrl(REPO, DEV_USER)]);
    await runGit(['add', '-A']);
    await runGit(['commit', '-q', '-m', 'Add the application']);
    await runGit(['push', '-q', '--set-upstream', 'origin', 'main']);

    const passwordFile = path.join(host.tempDir, 'git-password');
    await writeFile(passwordFile, `${passwords[DAEMON_USER]}\n`, { mode: 0o600 });
    const webhookSecret = secret();
    const secretFile = path.join(host.tempDir, 'webhook-secret');
    await writeFile(secretFile, `${webhookSecret}\n`, { mode: 0o600 });

    const config = host.nodeConfig();
    const webhookPort = options.webhookPort ?? 0;
    const configDoc = {
      name: 'testhost',
      labels: { role: 'demo' },
      repository: {
        url: git.repoUrl(REPO),
        branch: 'main',
        path: '.',
        credentials: { username: DAEMON_USER, passwordFile },
      },
      pollInterval: options.pollInterval ?? 5,
      ...(webhookPort === 0 ? {} : { webhook: { listen: `127.0.0.1:${webhookPort}`, secretFile } }),
      zfs: { root: host.root, mountpoint: `${host.mountRoot}/stockade` },
      pf: { externalInterface: host.externalInterface },
      releases: config.releases,
      stateDir: config.stateDir,
      tools: config.tools,
      ...options.config,
    };
    const configPath = path.join(host.tempDir, 'stockade.yaml');
    await writeFile(configPath, stringify(configDoc));
    const daemonLog = path.join(host.tempDir, 'daemon.log');
    const cli = path.join(findRepoRoot(), 'dist', 'src', 'cli', 'main.js');
    const env = { ...process.env, ...host.env };

    const stack: Stack = {
      host,
      git,
      workDir,
      configPath,
      webhookSecret,
      webhookUrl: webhookPort === 0 ? undefined : `http://127.0.0.1:${webhookPort}`,
      daemonLog,
      git_: runGit,
      async commit(message, files, branch = 'main') {
        for (const [file, content] of Object.entries(files)) {
          const target = path.join(workDir, file);
          if (content === null) {
            await rm(target, { force: true });
          } else {
            await mkdir(path.dirname(target), { recursive: true });
            await writeFile(target, content);
          }
        }
        await runGit(['add', '-A']);
        await runGit(['commit', '-q', '-m', message]);
        await runGit(['push', '-q', 'origin', branch]);
        return runGit(['rev-parse', 'HEAD']);
      },
      async startDaemon() {
        const log = createWriteStream(daemonLog, { flags: 'a' });
        daemon = spawn(process.execPath, [cli, 'run', '-c', configPath], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        daemon.stdout?.pipe(log);
        daemon.stderr?.pipe(log);
        return daemon;
      },
      async hostTool(tool, args) {
        const result = await execa(host.tools[tool], args, { env });
        return String(result.stdout);
      },
      async stopDaemon(signal) {
        await stopDaemon(daemon, signal);
        daemon = undefined;
      },
      async stockade(args, cliOptions = {}) {
        const result = await execa(process.execPath, [cli, ...args], {
          env,
          reject: false,
          cwd: cliOptions.cwd ?? workDir,
        });
        return {
          exitCode: result.exitCode ?? 1,
          stdout: String(result.stdout),
          stderr: String(result.stderr),
        };
      },
      async readStatus(file) {
        const probe = await execa('git', ['fetch', '-q', 'origin', 'stockade-status'], {
          cwd: workDir,
          env: gitEnv(),
          reject: false,
        });
        if (probe.exitCode !== 0) return undefined;
        const shown = await execa('git', ['show', `FETCH_HEAD:${file}`], {
          cwd: workDir,
          env: gitEnv(),
          reject: false,
        });
        return shown.exitCode === 0 ? String(shown.stdout) : undefined;
      },
      async jailPids(name) {
        const shown = await execa(host.tools.jls, ['-j', name, 'jid', 'path'], {
          env,
          reject: false,
        });
        if (shown.exitCode !== 0) return [];
        const [jid = '', root = ''] = String(shown.stdout).trim().split(' ');
        return findSimPids(jid, root, host.env['STOCKADE_SIM_STATE'] ?? '');
      },
      async stop() {
        await stopDaemon(daemon);
        await git?.stop();
        await host.stop();
      },
    };
    return stack;
  } catch (err) {
    await stopDaemon(daemon);
    await git?.stop().catch(() => undefined);
    await host.stop().catch(() => undefined);
    throw err;
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Polls the node's status file on the status branch until `check` accepts it; on timeout the
 * error carries the last status and the end of the daemon's log.
 */
export async function waitForNodeStatus(
  stack: Stack,
  what: string,
  check: (status: NodeStatus) => boolean,
  timeoutMs = 60_000,
): Promise<NodeStatus> {
  const file = 'nodes/testhost.json';
  return waitFor(
    what,
    async () => {
      const text = await stack.readStatus(file);
      if (text === undefined) return undefined;
      const status = JSON.parse(text) as NodeStatus;
      return check(status) ? status : undefined;
    },
    timeoutMs,
    500,
  ).catch(async (err: Error) => {
    const last = await stack.readStatus(file);
    throw new Error(`${err.message}\nstatus: ${last}\n${await readDaemonLog(stack)}`);
  });
}

/** The daemon's log so far, for failure messages. */
export async function readDaemonLog(stack: Stack, lines = 40): Promise<string> {
  const text = await readFile(stack.daemonLog, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/** The daemon's log so far as parsed JSON lines; lines that are not JSON are left out. */
export async function readDaemonLogEntries(stack: Stack): Promise<Record<string, unknown>[]> {
  const text = await readFile(stack.daemonLog, 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/**
 * Live processes of JID `jid` of the host at `state`: marked for it by the simulator, or chrooted
 * to its `root` with no marker (a jail's command starts under `env -i`).
 */
async function findSimPids(jid: string, root: string, state: string): Promise<number[]> {
  const want = [`STOCKADE_SIM_JID=${jid}`, `STOCKADE_SIM_HOST=${state}`];
  const realRoot = await realpath(root).catch(() => undefined);
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => undefined);
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => '');
    const procState = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (environ === undefined || procState === 'Z' || procState === '') continue;
    const vars = environ.split('\0');
    const marked = want.every((v) => vars.includes(v));
    const unmarked = !vars.some((v) => v.startsWith('STOCKADE_SIM_JID='));
    const chrooted =
      realRoot !== undefined &&
      realRoot !== '/' &&
      (await readlink(`/proc/${entry}/root`).catch(() => undefined)) === realRoot;
    if (marked || (unmarked && chrooted)) pids.push(Number(entry));
  }
  return pids;
}

async function stopDaemon(
  daemon: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (daemon === undefined || daemon.exitCode !== null || daemon.signalCode !== null) return;

  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  daemon.kill(signal);
  const timer = setTimeout(() => daemon.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function secret(): string {
  return randomBytes(18).toString('base64url');
}

/** Commits by a fixed identity, whatever the machine's git config says. */
function gitEnv(): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    GIT_AUTHOR_NAME: 'Developer',
    GIT_AUTHOR_EMAIL: 'developer@example.org',
    GIT_COMMITTER_NAME: 'Developer',
    GIT_COMMITTER_EMAIL: 'developer@example.org',
    GIT_TERMINAL_PROMPT: '0',
  };
}
