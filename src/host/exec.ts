// SPDX-License-Identifier: BSD-2-Clause
// The only place Stockade starts host processes: every tool runs from an argv array with the
// absolute path the node config gives it, never through a shell, always under a timeout. A
// non-zero exit becomes a HostCommandError; every child process is counted and debug-logged.

import { execa } from 'execa';

import { DEFAULT_TOOLS, type ToolName } from '../config/types.js';
import { HostCommandError } from '../errors/host-command-error.js';
import { silentLogger, type Logger } from '../log/logger.js';

/** Per-call options. */
export interface RunOptions {
  /** Written to the child's stdin, which is otherwise empty. */
  stdin?: string;
  /** Overrides the tool's default deadline. */
  timeoutMs?: number;
  /** Exit codes besides 0 that resolve instead of rejecting (e.g. jexec probes). */
  okExitCodes?: number[];
}

/** What a successful (or expected-exit) command printed. */
export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/** Runs host tools; the driver and the adapters depend on nothing else to reach the host. */
export interface Runner {
  run(tool: ToolName, args: string[], options?: RunOptions): Promise<RunResult>;
  /** Child processes started so far. */
  readonly commands: number;
}

/** What a spawned child came back with, before the runner judges it. */
export interface SpawnResult {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  spawnError?: string;
}

/** Starts one child process; replaced by tests with a function that replays recorded output. */
export type SpawnFn = (
  file: string,
  args: string[],
  options: { stdin?: string; timeoutMs: number },
) => Promise<SpawnResult>;

/** Deadlines per tool in milliseconds; jail and tar may legitimately take long. */
export const DEFAULT_TIMEOUTS: Record<ToolName, number> = {
  jail: 120_000,
  jls: 15_000,
  jexec: 120_000,
  zfs: 120_000,
  zpool: 30_000,
  ifconfig: 15_000,
  pfctl: 30_000,
  rctl: 15_000,
  cpuset: 15_000,
  mount: 30_000,
  umount: 60_000,
  tar: 1_800_000,
  sysctl: 10_000,
  kldstat: 10_000,
  git: 120_000,
};

/** How many bytes of stderr an error keeps. */
const STDERR_TAIL_BYTES = 2000;

/**
 * Makes a runner that resolves tool names to absolute paths from `tools` (falling back to
 * FreeBSD's), spawns with `spawn` (execa by default) and rejects with HostCommandError.
 */
export function createRunner(
  options: {
    tools?: Partial<Record<ToolName, string>>;
    timeouts?: Partial<Record<ToolName, number>>;
    logger?: Logger;
    spawn?: SpawnFn;
  } = {},
): Runner {
  const { tools = {}, timeouts = {}, logger = silentLogger, spawn = spawnWithExeca } = options;
  let commands = 0;

  async function run(tool: ToolName, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const file = tools[tool] ?? DEFAULT_TOOLS[tool];
    const argv = [file, ...args];
    const timeoutMs = opts.timeoutMs ?? timeouts[tool] ?? DEFAULT_TIMEOUTS[tool];
    const started = performance.now();
    commands += 1;

    const result = await spawn(file, args, { stdin: opts.stdin, timeoutMs });
    const durationMs = Math.round(performance.now() - started);
    const exitCode = result.exitCode;
    logger.debug({ argv, exitCode, durationMs }, 'host command finished');
    logger.trace({ argv, stdout: result.stdout, stderr: result.stderr }, 'host command output');

    const ok =
      result.spawnError === undefined &&
      !result.timedOut &&
      exitCode !== undefined &&
      (exitCode === 0 || (opts.okExitCodes ?? []).includes(exitCode));
    if (!ok) {
      throw new HostCommandError({
        argv,
        command: formatCommand(argv),
        exitCode,
        signal: result.signal,
        durationMs,
        stderrTail: tailOf(result, timeoutMs),
        timedOut: result.timedOut,
      });
    }

    return { stdout: result.stdout, stderr: result.stderr, exitCode: exitCode ?? 0, durationMs };
  }

  return {
    run,
    get commands() {
      return commands;
    },
  };
}

/** Renders argv as a POSIX shell would need it quoted, for people reading logs only. */
export function formatCommand(argv: string[]): string {
  return argv.map(quoteArg).join(' ');
}

function quoteArg(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) {
    return arg;
  }
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function tailOf(result: SpawnResult, timeoutMs: number): string {
  if (result.spawnError !== undefined) {
    return result.spawnError;
  }
  if (result.timedOut) {
    return `timed out after ${timeoutMs} ms`;
  }
  const text = result.stderr.trim();
  const tail = text.length > STDERR_TAIL_BYTES ? text.slice(-STDERR_TAIL_BYTES) : text;
  if (tail !== '') {
    return tail;
  }
  return result.signal === undefined ? `exit code ${String(result.exitCode)}` : result.signal;
}

async function spawnWithExeca(
  file: string,
  args: string[],
  options: { stdin?: string; timeoutMs: number },
): Promise<SpawnResult> {
  const result = await execa(file, args, {
    reject: false,
    shell: false,
    timeout: options.timeoutMs,
    stripFinalNewline: false,
    ...(options.stdin === undefined ? { stdin: 'ignore' as const } : { input: options.stdin }),
  });
  const startFailed = result.failed && result.exitCode === undefined && !result.timedOut;
  return {
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    ...(startFailed && result.signal === undefined ? { spawnError: result.shortMessage } : {}),
  };
}
