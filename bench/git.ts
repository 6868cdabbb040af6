// SPDX-License-Identifier: BSD-2-Clause
// Benchmark of the Git source: a repository with many manifests and a long history, served by
// the test Git server, read once with isomorphic-git and once with the git client.

import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { createGitSource } from '../src/git/source.js';
import type { GitSource } from '../src/run/ports.js';
import { basicAuthHeader } from '../src/git/remote-url.js';
import { startGitServer } from '../test/host/git-server.js';

/** What runGitBenchmark measured. */
export interface GitBenchmarkResult {
  files: number;
  commits: number;
  /** Bytes of manifest content read by each side (they must agree). */
  bytes: number;
  /** Shallow fetch plus reading every manifest with createGitSource, transport `http`. */
  isomorphicMs: number;
  /** The fetch part of isomorphicMs (transfer, then indexing the pack in JavaScript). */
  isomorphicFetchMs: number;
  /** `git clone --depth 1` plus `git ls-tree` and `git cat-file --batch`. */
  cliMs: number;
  /** The clone part of cliMs. */
  cliFetchMs: number;
  /** isomorphicMs / cliMs. */
  ratio: number;
  /**
   * The same with createGitSource as the daemon makes it where git is installed (transport
   * `auto`): isomorphic-git fetches, `git cat-file --batch` reads the many new blobs.
   */
  autoMs: number;
  autoFetchMs: number;
  /** autoMs / cliMs. */
  autoRatio: number;
  /** The same with `repository.transport: cli`: the git client fetches and reads. */
  cliSourceMs: number;
  cliSourceFetchMs: number;
  /** cliSourceMs / cliMs. */
  cliSourceRatio: number;
  /** With the source warm: fetch and read again after one more commit changing one file. */
  isomorphicNextCommitMs: number;
}

const USER = 'bench';
const PASSWORD = 'bench-password';

/**
 * Builds a repository of `files` manifests under deploy/ and `commits` commits (the first adds
 * every file, each later one changes one file) with git fast-import, serves it on loopback and
 * times both readers. Everything lives in a temporary folder removed afterwards.
 */
export async function runGitBenchmark(
  options: { files?: number; commits?: number } = {},
): Promise<GitBenchmarkResult> {
  const { files = 2000, commits = 5000 } = options;
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'stockade-bench-git-'));
  const server = await startGitServer({ root: path.join(tmp, 'srv'), users: { [USER]: PASSWORD } });
  try {
    const bare = await server.createRepo('bench.git');
    await runGit(['-C', bare, 'fast-import', '--quiet'], fastImportStream(files, commits));
    const url = server.repoUrl('bench.git');

    const source = createBenchSource(url, path.join(tmp, 'iso'), { transport: 'http' });
    const isoStart = performance.now();
    const isoBytes = await readWithIsomorphicGit(source);
    const isomorphicMs = performance.now() - isoStart;

    const gitPath = findOnPath('git');
    const auto = createBenchSource(url, path.join(tmp, 'auto'), { gitPath });
    const autoStart = performance.now();
    const autoBytes = await readWithIsomorphicGit(auto);
    const autoMs = performance.now() - autoStart;

    const viaCli = createBenchSource(url, path.join(tmp, 'via-cli'), { transport: 'cli', gitPath });
    const viaCliStart = performance.now();
    const viaCliBytes = await readWithIsomorphicGit(viaCli);
    const cliSourceMs = performance.now() - viaCliStart;

    const cliStart = performance.now();
    const cliBytes = await readWithGitCli(url, path.join(tmp, 'cli'));
    const cliMs = performance.now() - cliStart;

    const sides = [isoBytes, autoBytes, viaCliBytes, cliBytes];
    if (sides.some((s) => s.files !== files || s.bytes !== cliBytes.bytes)) {
      throw new Error(
        `readers disagree: isomorphic-git ${isoBytes.files} files/${isoBytes.bytes} bytes, ` +
          `auto ${autoBytes.files} files/${autoBytes.bytes} bytes, ` +
          `transport cli ${viaCliBytes.files} files/${viaCliBytes.bytes} bytes, ` +
          `git ${cliBytes.files} files/${cliBytes.bytes} bytes`,
      );
    }
    await runGit(['-C', bare, 'fast-import', '--quiet'], nextCommitStream());
    const nextStart = performance.now();
    await readWithIsomorphicGit(source);
    const isomorphicNextCommitMs = performance.now() - nextStart;

    return {
      files,
      commits,
      bytes: isoBytes.bytes,
      isomorphicMs: Math.round(isomorphicMs),
      isomorphicFetchMs: Math.round(isoBytes.fetchMs),
      cliMs: Math.round(cliMs),
      cliFetchMs: Math.round(cliBytes.fetchMs),
      ratio: Number((isomorphicMs / cliMs).toFixed(2)),
      autoMs: Math.round(autoMs),
      autoFetchMs: Math.round(autoBytes.fetchMs),
      autoRatio: Number((autoMs / cliMs).toFixed(2)),
      cliSourceMs: Math.round(cliSourceMs),
      cliSourceFetchMs: Math.round(viaCliBytes.fetchMs),
      cliSourceRatio: Number((cliSourceMs / cliMs).toFixed(2)),
      isomorphicNextCommitMs: Math.round(isomorphicNextCommitMs),
    };
  } finally {
    await server.stop();
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A Git source on the benchmark repository, as the daemon makes it. */
function createBenchSource(
  url: string,
  dir: string,
  choice: { transport?: 'http' | 'cli'; gitPath?: string },
): GitSource {
  return createGitSource({
    ...choice,
    url,
    branch: 'main',
    path: 'deploy',
    dir,
    credentials: { username: USER, password: PASSWORD },
    statusBranch: 'stockade-status',
    author: { name: 'bench', email: 'bench@example.org' },
    timeoutMs: 600_000,
  });
}

/** Fetches and reads every manifest through the Git source, as the daemon does. */
async function readWithIsomorphicGit(
  source: GitSource,
): Promise<{ files: number; bytes: number; fetchMs: number }> {
  const started = performance.now();
  const tip = await source.fetch();
  const fetchMs = performance.now() - started;
  const tree = await source.readTree(tip.oid);
  let bytes = 0;
  for (const content of tree.values()) {
    bytes += content.length;
  }
  return { files: tree.size, bytes, fetchMs };
}

/** Reads every manifest with a shallow git clone, ls-tree and one cat-file --batch. */
async function readWithGitCli(
  url: string,
  dir: string,
): Promise<{ files: number; bytes: number; fetchMs: number }> {
  const started = performance.now();
  // The credentials go through the environment, as the CLI transport passes them.
  const env = {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: ${basicAuthHeader({ username: USER, password: PASSWORD })}`,
  };
  await runGit(
    ['clone', '--quiet', '--bare', '--depth', '1', '--single-branch', url, dir],
    '',
    env,
  );
  const fetchMs = performance.now() - started;
  const listing = await runGit(['-C', dir, 'ls-tree', '-r', '-z', 'HEAD', 'deploy/']);
  const oids = listing
    .toString('utf8')
    .split('\0')
    .filter((entry) => entry !== '')
    .map((entry) => entry.split(/\s/)[2] ?? '');
  const batch = await runGit(['-C', dir, 'cat-file', '--batch'], `${oids.join('\n')}\n`);
  return { files: oids.length, bytes: sumBatchSizes(batch), fetchMs };
}

/** The absolute path of `name` on PATH; the Git source takes no bare command names. */
function findOnPath(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // Not in this folder.
    }
  }
  throw new Error(`${name} is not on PATH`);
}

/** Total content size in `git cat-file --batch` output (header: `<oid> <type> <size>`). */
function sumBatchSizes(output: Buffer): number {
  let bytes = 0;
  let offset = 0;
  while (offset < output.length) {
    const newline = output.indexOf(0x0a, offset);
    const size = Number(output.subarray(offset, newline).toString('latin1').split(' ')[2]);
    bytes += size;
    offset = newline + 1 + size + 1;
  }
  return bytes;
}

/** A fast-import stream: one commit adding every file, then one change per commit. */
function fastImportStream(files: number, commits: number): string {
  const parts: string[] = [];
  const start = 1_700_000_000;
  const name = (i: number): string => `deploy/jails/jail-${String(i).padStart(5, '0')}.yaml`;
  const manifest = (i: number, revision: number): string =>
    [
      'apiVersion: stockade.dev/v1',
      'kind: Jail',
      `metadata: { name: jail-${i} }`,
      'spec:',
      '  image: base-14',
      `  replicas: ${1 + (i % 3)}`,
      `  revision: ${revision}`,
      '',
    ].join('\n');
  const data = (text: string): string => `data ${Buffer.byteLength(text)}\n${text}\n`;

  for (let c = 1; c <= commits; c++) {
    parts.push(
      'commit refs/heads/main\n',
      `mark :${c}\n`,
      `committer Bench <bench@example.org> ${start + c} +0000\n`,
      data(`change ${c}`),
    );
    if (c > 1) {
      parts.push(`from :${c - 1}\n`);
    }
    if (c === 1) {
      for (let i = 0; i < files; i++) {
        parts.push(`M 100644 inline ${name(i)}\n`, data(manifest(i, 0)));
      }
    } else {
      const i = c % files;
      parts.push(`M 100644 inline ${name(i)}\n`, data(manifest(i, c)));
    }
  }
  parts.push('done\n');
  return parts.join('');
}

/** One more commit on main changing one manifest. */
function nextCommitStream(): string {
  const text = 'apiVersion: stockade.dev/v1\nkind: Jail\nmetadata: { name: jail-0 }\n';
  return [
    'commit refs/heads/main\n',
    `committer Bench <bench@example.org> ${1_800_000_000} +0000\n`,
    'data 4\nnext\n',
    'from refs/heads/main^0\n',
    `M 100644 inline deploy/jails/jail-00000.yaml\n`,
    `data ${Buffer.byteLength(text)}\n${text}\n`,
    'done\n',
  ].join('');
}

/** Runs git with argv, optional stdin and extra environment; resolves with stdout. */
function runGit(argv: string[], input?: string, env: Record<string, string> = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', argv, {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) {
        resolve(Buffer.concat(out));
      } else {
        reject(new Error(`git ${argv[0]} exited ${code}: ${Buffer.concat(err).toString()}`));
      }
    });
    child.stdin?.end(input);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runGitBenchmark();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
