// SPDX-License-Identifier: BSD-2-Clause
// How objects move between the remote and the local bare repository. Two implementations:
// isomorphic-git over HTTP(S) (this file) and the system git client (cli-transport.ts, for SSH).
// Both leave the same bare repository behind, which the rest of src/git reads in-process.

import fs from 'node:fs';

import git, { Errors } from 'isomorphic-git';

import { GitAuthFailedError } from '../errors/git-auth-failed-error.js';
import { GitOperationError } from '../errors/git-operation-error.js';
import { GitTransferTooLargeError } from '../errors/git-transfer-too-large-error.js';
import { GitUnreachableError } from '../errors/git-unreachable-error.js';
import { StockadeError } from '../errors/stockade-error.js';
import { DeadlineExceeded, runOperation, TransferLimitExceeded } from './http-client.js';
import { basicAuthHeader, type GitCredentials, redactText } from './remote-url.js';

/** Ref under which a fetched branch is kept locally. */
export function remoteRefOf(branch: string): string {
  return `refs/remotes/origin/${branch}`;
}

/**
 * Brings remoteRefOf(branch) up to the remote tip at depth 1 and resolves with that tip, or
 * undefined when the branch is missing. Costs one round trip when the local copy is current.
 */
export async function fetchIfMoved(
  transport: GitTransport,
  gitdir: string,
  branch: string,
): Promise<string | undefined> {
  const remoteTip = await transport.lsRemote(branch);
  if (remoteTip === undefined) {
    return undefined;
  }
  if (remoteTip === (await resolveLocalRef(gitdir, remoteRefOf(branch)))) {
    return remoteTip;
  }

  return transport.fetchBranch(gitdir, branch, { depth: 1 });
}

/** What src/git asks of a transport. Every method has its own deadline. */
export interface GitTransport {
  /** Creates an empty bare repository at `gitdir`. */
  init(gitdir: string): Promise<void>;
  /** The remote tip of `branch`, or undefined when the branch does not exist. One round trip. */
  lsRemote(branch: string): Promise<string | undefined>;
  /**
   * Fetches `branch` into remoteRefOf(branch), `depth` commits deep (or deeper by `depth` than
   * now with `deepen`); resolves with the fetched tip, undefined when the branch is missing.
   */
  fetchBranch(
    gitdir: string,
    branch: string,
    options: { depth: number; deepen?: boolean },
  ): Promise<string | undefined>;
  /** Pushes commit `oid` to `branch` without force; 'rejected' when the branch moved. */
  pushCommit(gitdir: string, oid: string, branch: string): Promise<'pushed' | 'rejected'>;
}

/** Settings shared by both transports. */
export interface TransportOptions {
  /** Remote URL without userinfo. */
  url: string;
  credentials: GitCredentials | undefined;
  timeoutMs: number;
  /** Bytes one fetch may receive; unlimited when absent. */
  maxPackBytes?: number;
}

/** The isomorphic-git transport for http(s) remotes. */
export function createHttpTransport(options: TransportOptions): GitTransport {
  const { url, credentials, timeoutMs, maxPackBytes } = options;
  // Sent up front: isomorphic-git would otherwise make an anonymous request first and retry.
  const headers: Record<string, string> =
    credentials === undefined ? {} : { Authorization: basicAuthHeader(credentials) };
  const run = <T>(operation: string, maxBytes: number | undefined, work: OperationWork<T>) =>
    runOperation({ timeoutMs, ...(maxBytes === undefined ? {} : { maxBytes }) }, (op) =>
      work(op.client, op.signal),
    ).catch((err: unknown) => {
      throw classifyHttpError(err, { operation, url, timeoutMs, credentials });
    });

  return {
    init: async (gitdir) => {
      await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
      // isomorphic-git maps fetched refs through the remote's refspec; the URL has no userinfo.
      await git.addRemote({ fs, gitdir, remote: 'origin', url, force: true });
    },
    lsRemote: (branch) =>
      run('ls-remote', maxPackBytes, async (http) => {
        const refs = await git.listServerRefs({
          http,
          url,
          headers: { ...headers },
          prefix: `refs/heads/${branch}`,
          protocolVersion: 1,
        });
        return refs.find((ref) => ref.ref === `refs/heads/${branch}`)?.oid;
      }),
    fetchBranch: (gitdir, branch, { depth, deepen = false }) =>
      run('fetch', maxPackBytes, async (http) => {
        try {
          const result = await git.fetch({
            fs,
            http,
            gitdir,
            url,
            headers: { ...headers },
            // The local ref, so its commit is offered as a "have" and only new objects come.
            ref: remoteRefOf(branch),
            remoteRef: `refs/heads/${branch}`,
            singleBranch: true,
            depth,
            relative: deepen,
            tags: false,
          });
          return result.fetchHead ?? undefined;
        } catch (err) {
          if (err instanceof Errors.NotFoundError) {
            return undefined;
          }
          throw err;
        }
      }),
    pushCommit: (gitdir, oid, branch) =>
      run('push', undefined, async (http, signal) => {
        const localRef = 'refs/stockade/push';
        await git.writeRef({ fs, gitdir, ref: localRef, value: oid, force: true });
        try {
          await git.push({
            fs,
            http,
            gitdir,
            url,
            headers: { ...headers },
            ref: localRef,
            remoteRef: `refs/heads/${branch}`,
            signal,
          });
          await git.writeRef({ fs, gitdir, ref: remoteRefOf(branch), value: oid, force: true });
          return 'pushed';
        } catch (err) {
          if (err instanceof Errors.PushRejectedError || err instanceof Errors.GitPushError) {
            return 'rejected';
          }
          throw err;
        }
      }),
  };
}

/** The commit a local ref points to, when both exist; a ref without its object counts as absent. */
export async function resolveLocalRef(gitdir: string, ref: string): Promise<string | undefined> {
  try {
    const oid = await git.resolveRef({ fs, gitdir, ref });
    await git.readCommit({ fs, gitdir, oid });
    return oid;
  } catch {
    // No ref yet (first fetch, or just after a compaction) or a missing commit: fetch again.
    return undefined;
  }
}

type OperationWork<T> = (
  http: import('isomorphic-git').HttpClient,
  signal: AbortSignal,
) => Promise<T>;

/**
 * Maps whatever an HTTP operation threw to a typed Stockade error whose message, data and
 * cause text are free of credentials. The original error is not kept as `cause`, because its
 * fields (response bodies, headers) are outside our control.
 */
export function classifyHttpError(
  err: unknown,
  context: {
    operation: string;
    url: string;
    timeoutMs: number;
    credentials: GitCredentials | undefined;
  },
): StockadeError {
  if (err instanceof StockadeError) {
    return err;
  }

  const { operation, url, credentials } = context;
  const detail = redactText(err instanceof Error ? err.message : String(err), credentials);
  const cause = new Error(detail);
  if (err instanceof DeadlineExceeded) {
    return new GitUnreachableError(
      `failed to ${operation} '${url}': no answer within ${context.timeoutMs} ms`,
      { url, operation, reason: 'timeout', timeoutMs: context.timeoutMs },
    );
  }
  if (err instanceof TransferLimitExceeded) {
    return new GitTransferTooLargeError(
      `failed to ${operation} '${url}': transfer exceeded ${err.limitBytes} bytes`,
      { url, operation, limitBytes: err.limitBytes, receivedBytes: err.receivedBytes },
    );
  }
  if (err instanceof Errors.HttpError) {
    const statusCode = err.data.statusCode;
    if (statusCode === 401 || statusCode === 403) {
      return new GitAuthFailedError(
        `failed to ${operation} '${url}': the server refused the credentials (HTTP ${statusCode})`,
        { url, operation, statusCode },
      );
    }
    if (statusCode >= 500 || statusCode === 408 || statusCode === 429) {
      return new GitUnreachableError(`failed to ${operation} '${url}': HTTP ${statusCode}`, {
        url,
        operation,
        reason: 'http-status',
        statusCode,
      });
    }
    return new GitOperationError(`failed to ${operation} '${url}': HTTP ${statusCode}`, {
      url,
      operation,
      statusCode,
    });
  }
  if (isNetworkError(err)) {
    return new GitUnreachableError(
      `failed to ${operation} '${url}': ${detail}`,
      { url, operation, reason: 'network', errno: (err as NodeJS.ErrnoException).code },
      { cause },
    );
  }
  return new GitOperationError(
    `failed to ${operation} '${url}': ${detail}`,
    { url, operation },
    { cause },
  );
}

const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** True for socket-level failures (refused, reset, DNS, unreachable). */
function isNetworkError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && NETWORK_ERRNOS.has(code);
}
