// SPDX-License-Identifier: BSD-2-Clause
// The transport through the system git client, used for SSH remotes (isomorphic-git has no SSH).
// Commands are argv arrays; host keys are checked against a pinned known_hosts file, and HTTP
// credentials go through the environment, never the command line.

import { execa } from 'execa';

import { GitAuthFailedError } from '../errors/git-auth-failed-error.js';
import { GitOperationError } from '../errors/git-operation-error.js';
import { GitUnreachableError } from '../errors/git-unreachable-error.js';
import type { StockadeError } from '../errors/stockade-error.js';
import { basicAuthHeader, redactText } from './remote-url.js';
import { type GitTransport, remoteRefOf, type TransportOptions } from './transport.js';

/** Outcome of one git invocation. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs one command; replaceable so tests can record argv without an SSH server. */
export type CommandRunner = (
  file: string,
  argv: string[],
  options: { env: Record<string, string>; timeoutMs: number },
) => Promise<CommandResult>;

/** Options of the CLI transport. */
export interface CliTransportOptions extends TransportOptions {
  /** Absolute path of git. */
  gitPath: string;
  /** known_hosts file the SSH client must verify the server against (required for SSH). */
  knownHostsFile?: string;
  /** Private key for SSH; the SSH client's defaults when absent. */
  identityFile?: string;
  runner?: CommandRunner;
}

/** A transport that runs the system git client. */
export function createCliTransport(options: CliTransportOptions): GitTransport {
  const { url, gitPath, timeoutMs, credentials } = options;
  const env = buildGitEnv(options);
  const runner = options.runner ?? runCommand;
  const run = async (operation: string, argv: string[]): Promise<CommandResult> => {
    const result = await runner(gitPath, argv, { env, timeoutMs });
    if (result.exitCode !== 0 || result.timedOut) {
      throw Object.assign(new Error('git failed'), { result, operation, argv });
    }
    return result;
  };
  const fail = (err: unknown): never => {
    throw classifyCliError(err, { url, timeoutMs, credentials });
  };

  return {
    init: async (gitdir) => {
      await run('init', ['init', '--quiet', '--bare', gitdir]).catch(fail);
    },
    lsRemote: async (branch) => {
      const ref = `refs/heads/${branch}`;
      const { stdout } = await run('ls-remote', ['ls-remote', '--heads', url, ref]).catch(fail);
      const line = stdout.split('\n').find((l) => l.endsWith(`\t${ref}`));
      return line?.slice(0, 40);
    },
    fetchBranch: async (gitdir, branch, { depth, deepen = false }) => {
      const refspec = `+refs/heads/${branch}:${remoteRefOf(branch)}`;
      const depthArg = deepen ? `--deepen=${depth}` : `--depth=${depth}`;
      const argv = ['-C', gitdir, 'fetch', '--quiet', '--no-tags', depthArg, url, refspec];
      try {
        await run('fetch', argv);
      } catch (err) {
        if (/couldn't find remote ref/i.test(stderrOf(err))) {
          return undefined;
        }
        fail(err);
      }
      const { stdout } = await run('rev-parse', [
        '-C',
        gitdir,
        'rev-parse',
        '--verify',
        remoteRefOf(branch),
      ]).catch(fail);
      return stdout.trim();
    },
    pushCommit: async (gitdir, oid, branch) => {
      const argv = ['-C', gitdir, 'push', '--porcelain', url, `${oid}:refs/heads/${branch}`];
      try {
        await run('push', argv);
      } catch (err) {
        const output = `${stdoutOf(err)}\n${stderrOf(err)}`;
        if (
          /\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref/.test(
            output,
          )
        ) {
          return 'rejected';
        }
        fail(err);
      }
      await run('update-ref', ['-C', gitdir, 'update-ref', remoteRefOf(branch), oid]).catch(fail);
      return 'pushed';
    },
  };
}

/**
 * The environment for git: no prompts, SSH pinned to `knownHostsFile` with strict checking,
 * and HTTP credentials as an extra header set through GIT_CONFIG_* variables.
 */
export function buildGitEnv(options: CliTransportOptions): Record<string, string> {
  const env: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
  const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
  if (options.knownHostsFile !== undefined) {
    ssh.push('-o', `UserKnownHostsFile=${options.knownHostsFile}`);
  }
  if (options.identityFile !== undefined) {
    ssh.push('-o', 'IdentitiesOnly=yes', '-i', options.identityFile);
  }
  // git hands GIT_SSH_COMMAND to a shell, so every word is quoted.
  env['GIT_SSH_COMMAND'] = ssh.map(quoteForShell).join(' ');
  if (options.credentials !== undefined) {
    env['GIT_CONFIG_COUNT'] = '1';
    env['GIT_CONFIG_KEY_0'] = 'http.extraHeader';
    env['GIT_CONFIG_VALUE_0'] = `Authorization: ${basicAuthHeader(options.credentials)}`;
  }
  return env;
}

/** The real CommandRunner: execa with a timeout, no shell, no stdin, never rejecting. */
export async function runCommand(
  file: string,
  argv: string[],
  options: { env: Record<string, string>; timeoutMs: number },
): Promise<CommandResult> {
  const result = await execa(file, argv, {
    env: options.env,
    timeout: options.timeoutMs,
    reject: false,
    stdin: 'ignore',
  });
  return {
    exitCode: result.exitCode ?? 1,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    timedOut: result.timedOut,
  };
}

/** stderr lines of git and ssh saying the credentials were refused. */
const AUTH_FAILURES = new RegExp(
  [
    'Authentication failed',
    'Permission denied',
    'returned error: 40[13]',
    'could not read Username',
  ].join('|'),
);

/** stderr lines of git and ssh saying the remote could not be reached. */
const NETWORK_FAILURES = new RegExp(
  [
    'Could not resolve host',
    'Connection refused',
    'Connection timed out',
    'Network is unreachable',
    'Connection reset',
    'Failed to connect',
    'returned error: 5\\d\\d',
    'Could not read from remote',
  ].join('|'),
  'i',
);

/** Maps a failed git invocation to a typed error with redacted text. */
function classifyCliError(
  err: unknown,
  context: Pick<CliTransportOptions, 'url' | 'timeoutMs' | 'credentials'>,
): StockadeError {
  const { url, credentials } = context;
  const result = (err as { result?: CommandResult }).result;
  const operation = String((err as { operation?: string }).operation ?? 'run git');
  const argv = ((err as { argv?: string[] }).argv ?? []).map((a) => redactText(a, credentials));
  const stderrTail = redactText(
    result?.stderr ?? (err instanceof Error ? err.message : ''),
    credentials,
  ).slice(-2000);
  const data = { url, operation, argv, exitCode: result?.exitCode, stderrTail };
  const message = `failed to ${operation} '${url}': ${lastLine(stderrTail)}`;

  if (result?.timedOut === true) {
    return new GitUnreachableError(
      `failed to ${operation} '${url}': no answer within ${context.timeoutMs} ms`,
      {
        ...data,
        reason: 'timeout',
        timeoutMs: context.timeoutMs,
      },
    );
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderrTail)) {
    return new GitAuthFailedError(message, { ...data, reason: 'host-key' });
  }
  if (AUTH_FAILURES.test(stderrTail)) {
    return new GitAuthFailedError(message, { ...data, reason: 'credentials' });
  }
  if (NETWORK_FAILURES.test(stderrTail)) {
    return new GitUnreachableError(message, { ...data, reason: 'network' });
  }
  return new GitOperationError(message, data);
}

function stderrOf(err: unknown): string {
  return (err as { result?: CommandResult }).result?.stderr ?? '';
}

function stdoutOf(err: unknown): string {
  return (err as { result?: CommandResult }).result?.stdout ?? '';
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

function quoteForShell(word: string): string {
  return /^[A-Za-z0-9_./=:@+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
