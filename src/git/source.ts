// SPDX-License-Identifier: BSD-2-Clause
// The Git source the sync engine drives: a shallow, single-branch bare clone of the tracked
// branch, manifests read from commit trees, ancestry for force-push detection, and status
// commits on a separate branch. It never writes the tracked branch.

import fs, { accessSync, constants } from 'node:fs';
import { rm } from 'node:fs/promises';

import git from 'isomorphic-git';

import { GitOperationError } from '../errors/git-operation-error.js';
import { GitRefNotFoundError } from '../errors/git-ref-not-found-error.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { CommitInfo, GitSource } from '../run/ports.js';
import { checkAncestry } from './ancestry.js';
import { createCatFileReader } from './cat-file.js';
import { type CommandRunner, createCliTransport } from './cli-transport.js';
import {
  countLooseObjects,
  countPacks,
  createGeneration,
  openLocalRepo,
  switchGeneration,
} from './local-repo.js';
import { type GitCredentials, parseRemoteUrl, redactUrl } from './remote-url.js';
import { createSnapshotFs } from './snapshot-fs.js';
import { type RenderStatus, writeStatusCommit } from './status-writer.js';
import { listTreeFiles, readFilesReusing } from './tree.js';
import {
  createHttpTransport,
  fetchIfMoved,
  remoteRefOf,
  resolveLocalRef,
  type GitTransport,
} from './transport.js';

/** Where FreeBSD's git package installs the client. */
const DEFAULT_GIT = '/usr/local/bin/git';

/** Options of createGitSource. */
export interface GitSourceOptions {
  /** http(s) URL (userinfo allowed, moved out of the URL) or SSH URL (`ssh://`, `git@host:p`). */
  url: string;
  /** The tracked branch. */
  branch: string;
  /** Manifest folder inside the repository; '' or '.' for the root. */
  path: string;
  /** Folder under the state directory for the local clone. */
  dir: string;
  credentials?: GitCredentials;
  /** Branch status commits go to; must differ from `branch`. */
  statusBranch: string;
  author: { name: string; email: string };
  /** Deadline of each network operation. */
  timeoutMs: number;
  /** Bytes one fetch may receive over HTTP before it is aborted. */
  maxPackBytes?: number;
  logger?: Logger;
  /**
   * `auto` (default): isomorphic-git for http(s), the git client for SSH. Where `gitPath` can be
   * run, the git client also fetches into an empty clone and reads a tree with many new blobs.
   * `http`: isomorphic-git only. `cli`: the git client for everything it can do.
   */
  transport?: 'auto' | 'http' | 'cli';
  /** git binary for the CLI transport; defaults to FreeBSD's /usr/local/bin/git. */
  gitPath?: string;
  /** known_hosts the SSH client checks the server against; required for SSH URLs. */
  knownHostsFile?: string;
  identityFile?: string;
  /** Pack files tolerated after a fetch before the clone is replaced; default 20. */
  maxPacks?: number;
  /** Loose objects (status commits write them) tolerated likewise; default 5000. */
  maxLooseObjects?: number;
  /** Commits isAncestor may deepen the clone by before answering "not an ancestor"; 1000. */
  maxAncestryDepth?: number;
  /** Regenerates STATUS.md from every node's file on each status write. */
  renderStatus?: RenderStatus;
  /** Status push attempts before GIT_PUSH_REJECTED; default 5. */
  maxPushAttempts?: number;
  /** Replaces process spawning in the CLI transport (tests). */
  runner?: CommandRunner;
}

/** The Git source plus the path of the local repository, for diagnostics and tests. */
export interface LocalGitSource extends GitSource {
  /** The bare repository in use (a symlink into the current generation). */
  gitdir(): Promise<string>;
}

/**
 * Creates the Git source. Nothing touches the network or disk until the first call. Throws
 * GIT_OPERATION_FAILED for an unusable configuration (status branch equal to the tracked
 * branch, SSH without a known_hosts file, an unsupported URL).
 */
export function createGitSource(options: GitSourceOptions): LocalGitSource {
  const logger = (options.logger ?? silentLogger).child({ step: 'git' });
  const gitPath = usableGit(options);
  const transport = selectTransport(options, gitPath);
  const bulk =
    gitPath === undefined
      ? undefined
      : createCatFileReader({ gitPath, timeoutMs: options.timeoutMs });
  const { branch, dir } = options;
  const maxPacks = options.maxPacks ?? 20;
  const maxLoose = options.maxLooseObjects ?? 5000;
  const maxAncestryDepth = options.maxAncestryDepth ?? 1000;
  const serialize = createMutex();
  let opened: Promise<string> | undefined;
  let lastBlobs = new Map<string, Uint8Array>();
  const gitdir = (): Promise<string> =>
    (opened ??= openLocalRepo(dir, transport).catch((err: unknown) => {
      // Not cached: a folder that could not be prepared (full disk, permissions) is retried.
      opened = undefined;
      throw err;
    }));

  return {
    gitdir,
    fetch: () =>
      serialize(async () => {
        const started = Date.now();
        const repo = await gitdir();
        const tip = await fetchTip(repo);
        const info = await readCommitInfo(repo, tip);
        if (await isOvergrown(repo)) {
          await recloneFresh(tip);
        }
        logger.debug({ action: 'fetch', commit: tip, durationMs: Date.now() - started }, 'fetched');
        return info;
      }),
    readTree: (oid) =>
      serialize(async () => {
        const repo = await gitdir();
        const cache = {};
        const fs = createSnapshotFs();
        const files = await listTreeFiles({ gitdir: repo, oid, folder: options.path, cache, fs });
        const result = await readFilesReusing({
          gitdir: repo,
          files,
          known: lastBlobs,
          cache,
          fs,
          ...(bulk === undefined ? {} : { bulk }),
          onBulkError: (err) =>
            logger.warn({ err }, 'reading blobs with git cat-file failed; reading them in-process'),
        });
        // Only the last tree's blobs are kept, so memory stays at about one manifest tree.
        lastBlobs = result.byOid;
        return result.files;
      }),
    isAncestor: (ancestor, descendant) => serialize(() => resolveAncestry(ancestor, descendant)),
    writeStatus: (files, message) =>
      serialize(async () =>
        writeStatusCommit({
          gitdir: await gitdir(),
          transport,
          branch: options.statusBranch,
          files,
          message,
          author: options.author,
          logger,
          ...(options.renderStatus === undefined ? {} : { render: options.renderStatus }),
          ...(options.maxPushAttempts === undefined
            ? {}
            : { maxAttempts: options.maxPushAttempts }),
        }),
      ),
  };

  /** The remote tip, fetched only when the local clone does not have it yet. */
  async function fetchTip(repo: string): Promise<string> {
    const tip = await fetchIfMoved(transport, repo, branch);
    if (tip === undefined) {
      throw missingBranch();
    }
    return tip;
  }

  /** True when fetches and status writes have left more packs or loose objects than allowed. */
  async function isOvergrown(repo: string): Promise<boolean> {
    return (await countPacks(repo)) > maxPacks || (await countLooseObjects(repo)) > maxLoose;
  }

  /**
   * Fetches the tracked branch into a new generation and switches to it. The switch only
   * happens when the fresh clone holds `tip`, the commit fetch() is about to hand out. A failure
   * keeps the current clone, which is still correct, only larger; the next fetch tries again.
   */
  async function recloneFresh(tip: string): Promise<void> {
    const generation = await createGeneration(dir, transport);
    try {
      const fresh = await transport.fetchBranch(generation, branch, { depth: 1 });
      if (fresh !== tip) {
        await rm(generation, { recursive: true, force: true });
        logger.debug({ action: 'compact', commit: tip }, 'compaction deferred, branch moved');
        return;
      }

      await switchGeneration(dir, generation);
      logger.info({ action: 'compact', commit: tip }, 'local clone replaced');
    } catch (err) {
      await rm(generation, { recursive: true, force: true });
      logger.warn({ action: 'compact', commit: tip, err }, 'local clone not replaced');
    }
  }

  /** Walks the local history, deepening the clone while the answer is unknown. */
  async function resolveAncestry(ancestor: string, descendant: string): Promise<boolean> {
    const repo = await gitdir();
    let deepened = 0;
    let step = 50;
    for (;;) {
      const answer = await checkAncestry({ gitdir: repo, ancestor, descendant, cache: {} });
      if (answer !== 'unknown') {
        return answer === 'yes';
      }
      if (deepened >= maxAncestryDepth) {
        logger.warn(
          { commit: descendant, action: 'ancestry' },
          'ancestry unknown, treated as not an ancestor',
        );
        return false;
      }

      step = Math.min(step, maxAncestryDepth - deepened);
      await transport.fetchBranch(repo, branch, { depth: step, deepen: true });
      deepened += step;
      step *= 4;
    }
  }

  function missingBranch(): GitRefNotFoundError {
    const url = redactUrl(parseRemoteUrl(options.url).url);
    return new GitRefNotFoundError(`branch '${branch}' not found on '${url}'`, { url, branch });
  }
}

/** Picks the transport and validates the settings it needs. */
function selectTransport(options: GitSourceOptions, gitPath: string | undefined): GitTransport {
  const remote = parseRemoteUrl(options.url);
  const url = remote.url;
  if (options.statusBranch === options.branch) {
    throw new GitOperationError(
      `status branch '${options.statusBranch}' must differ from the tracked branch`,
      { operation: 'configure', branch: options.branch, statusBranch: options.statusBranch },
    );
  }

  const common = {
    url,
    credentials: options.credentials ?? remote.credentials,
    timeoutMs: options.timeoutMs,
    ...(options.maxPackBytes === undefined ? {} : { maxPackBytes: options.maxPackBytes }),
  };
  const kind = options.transport ?? 'auto';
  if (kind === 'http' || (kind === 'auto' && remote.protocol === 'http')) {
    if (remote.protocol !== 'http') {
      throw new GitOperationError(`the http transport cannot reach '${url}'`, {
        operation: 'configure',
        url,
      });
    }
    const http = createHttpTransport(common);
    if (gitPath === undefined) return http;
    const cli = createCliTransport({
      ...common,
      gitPath,
      ...(options.runner === undefined ? {} : { runner: options.runner }),
    });
    return withClientClone(http, cli);
  }

  if (remote.protocol === 'ssh' && options.knownHostsFile === undefined) {
    throw new GitOperationError(`SSH remote '${url}' needs a known_hosts file`, {
      operation: 'configure',
      url,
    });
  }
  return createCliTransport({
    ...common,
    gitPath: options.gitPath ?? DEFAULT_GIT,
    ...(options.knownHostsFile === undefined ? {} : { knownHostsFile: options.knownHostsFile }),
    ...(options.identityFile === undefined ? {} : { identityFile: options.identityFile }),
    ...(options.runner === undefined ? {} : { runner: options.runner }),
  });
}

/**
 * isomorphic-git for polls, pushes and small fetches, and the git client for a fetch into a
 * clone that has nothing yet: the first clone and each compaction transfer the whole tree, and
 * isomorphic-git indexes a pack several times slower than git does.
 */
export function withClientClone(http: GitTransport, cli: GitTransport): GitTransport {
  return {
    init: (gitdir) => http.init(gitdir),
    lsRemote: (branch) => http.lsRemote(branch),
    pushCommit: (gitdir, oid, branch) => http.pushCommit(gitdir, oid, branch),
    fetchBranch: async (gitdir, branch, options) => {
      const empty = (await resolveLocalRef(gitdir, remoteRefOf(branch))) === undefined;
      return (empty && options.deepen !== true ? cli : http).fetchBranch(gitdir, branch, options);
    },
  };
}

/**
 * The git client the source may run besides the transport's own use of it: none for `http`,
 * the configured one for `cli`, and for `auto` the configured one when it can be run.
 */
function usableGit(options: GitSourceOptions): string | undefined {
  const kind = options.transport ?? 'auto';
  if (kind === 'http') return undefined;
  const gitPath = options.gitPath ?? DEFAULT_GIT;
  return kind === 'cli' || isExecutable(gitPath) ? gitPath : undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readCommitInfo(gitdir: string, oid: string): Promise<CommitInfo> {
  const { commit } = await git.readCommit({ fs, gitdir, oid });
  return {
    oid,
    message: commit.message,
    author: `${commit.author.name} <${commit.author.email}>`,
    timestamp: commit.committer.timestamp,
  };
}

/** A promise chain that runs one task at a time, in call order. */
function createMutex(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>): Promise<T> => {
    const result = tail.then(task, task);
    tail = result.catch(() => undefined);
    return result;
  };
}
