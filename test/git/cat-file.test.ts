// SPDX-License-Identifier: BSD-2-Clause
// The git client where it is faster than isomorphic-git: reading many blobs with one
// `git cat-file --batch` (the parser, the reader on a real repository, the Git source taking that
// path for a big tree and falling back without it) and fetching into an empty clone.

import { execFile } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createCatFileReader, parseBatch } from '../../src/git/cat-file.js';
import { createGitSource, withClientClone } from '../../src/git/source.js';
import type { GitTransport } from '../../src/git/transport.js';
import { BULK_READ_MIN, readFilesReusing } from '../../src/git/tree.js';
import { createGitFixture, PASSWORD, USER, type GitFixture } from './fixture.js';

const run = promisify(execFile);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('parseBatch', () => {
  it('reads each blob in order, binary content and empty blobs included', () => {
    const out = Buffer.concat([
      Buffer.from(`${A} blob 3\n`),
      Buffer.from([0x00, 0x0a, 0xff]),
      Buffer.from(`\n${B} blob 0\n\n`),
    ]);

    const blobs = parseBatch(out, [A, B], '/g');

    expect([...blobs.keys()]).toEqual([A, B]);
    expect([...blobs.get(A)!]).toEqual([0x00, 0x0a, 0xff]);
    expect(blobs.get(B)!.length).toBe(0);
  });

  it('refuses a missing object, a tree, and output cut inside an object', () => {
    expect(() => parseBatch(Buffer.from(`${A} missing\n`), [A], '/g')).toThrow(
      `git cat-file output cannot be read: object ${A} is 'missing', not a blob`,
    );
    expect(() => parseBatch(Buffer.from(`${A} tree 5\nxxxxx\n`), [A], '/g')).toThrow(
      `object ${A} is 'tree 5', not a blob`,
    );
    expect(() => parseBatch(Buffer.from(`${A} blob 9\nabc`), [A], '/g')).toThrow(
      `output ends inside object ${A}`,
    );
    expect(() => parseBatch(Buffer.from(`${B} blob 1\nx\n`), [A], '/g')).toThrow(
      `expected ${A}, read '${B} blob 1'`,
    );
    expect(() => parseBatch(Buffer.from(''), [A], '/g')).toThrow(
      `output ends before the header of ${A}`,
    );
  });
});

describe('createCatFileReader', () => {
  let fx: GitFixture;
  beforeEach(async () => {
    fx = await createGitFixture();
  });
  afterEach(async () => {
    await fx.close();
  });

  it('reads blobs written by git, and names the failing command for a bad repository', async () => {
    await writeFile(path.join(fx.work, 'x.yaml'), 'kind: Jail\n');
    const oid = await fx.git(['hash-object', '-w', 'x.yaml']);
    const read = createCatFileReader({ gitPath: await gitPath(), timeoutMs: 10_000 });

    const blobs = await read(path.join(fx.work, '.git'), [oid]);
    const failure = await read(path.join(fx.tmp, 'nowhere'), [oid]).catch((e: unknown) => e);

    expect(blobs.get(oid)?.toString('utf8')).toBe('kind: Jail\n');
    expect(failure).toMatchObject({
      code: 'GIT_OPERATION_FAILED',
      data: {
        operation: 'read',
        argv: [await gitPath(), '-C', path.join(fx.tmp, 'nowhere'), 'cat-file', '--batch'],
        exitCode: 128,
      },
    });
  });

  it('is what the Git source reads a big new tree with, and it falls back when git fails', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < BULK_READ_MIN; i++) files[`deploy/j${i}.yaml`] = `name: j${i}\n`;
    const tip = await fx.commit(files);
    await fx.push();
    const log = path.join(fx.tmp, 'git-calls.log');
    const wrapper = path.join(fx.tmp, 'git-wrapper');
    await writeFile(wrapper, `#!/bin/sh\necho "$*" >> '${log}'\nexec '${await gitPath()}' "$@"\n`);
    const broken = path.join(fx.tmp, 'git-broken');
    // Fails the read only: the first fetch also runs the git client.
    await writeFile(
      broken,
      `#!/bin/sh\ncase "$*" in *cat-file*) echo "$*" >> '${log}.broken'; exit 3;; esac\n` +
        `exec '${await gitPath()}' "$@"\n`,
    );
    await Promise.all([chmod(wrapper, 0o755), chmod(broken, 0o755)]);

    const source = (dir: string, gitPath: string) =>
      createGitSource({
        url: fx.url,
        branch: 'main',
        path: 'deploy',
        dir: path.join(fx.tmp, dir),
        credentials: { username: USER, password: PASSWORD },
        statusBranch: 'stockade-status',
        author: { name: 'stockade', email: 'stockade@node1.example.org' },
        timeoutMs: 10_000,
        gitPath,
      });
    const viaGit = source('a', wrapper);
    await viaGit.fetch();
    const tree = await viaGit.readTree(tip);
    const fallback = source('b', broken);
    await fallback.fetch();
    const same = await fallback.readTree(tip);

    expect(tree.size).toBe(BULK_READ_MIN);
    expect(new TextDecoder().decode(tree.get('j7.yaml'))).toBe('name: j7\n');
    expect([...same].map(([k, v]) => [k, new TextDecoder().decode(v)])).toEqual(
      [...tree].map(([k, v]) => [k, new TextDecoder().decode(v)]),
    );
    const calls = (await run('cat', [log])).stdout.trim().split('\n');
    expect(calls.filter((c) => c.includes('cat-file'))).toEqual([
      expect.stringMatching(/^-C .*\/a\/.* cat-file --batch$/),
    ]);
    const brokenCalls = (await run('cat', [`${log}.broken`])).stdout.trim().split('\n');
    expect(brokenCalls).toEqual([expect.stringMatching(/^-C .*\/b\/.* cat-file --batch$/)]);
  });
});

describe('readFilesReusing with a bulk reader', () => {
  it('leaves fewer than BULK_READ_MIN new blobs to isomorphic-git', async () => {
    let called = 0;
    const result = await readFilesReusing({
      gitdir: '/nonexistent',
      files: new Map([['a.yaml', { mode: '100644', oid: A }]]),
      known: new Map([[A, new TextEncoder().encode('known\n')]]),
      cache: {},
      fs: (await import('node:fs')).default,
      bulk: async () => {
        called += 1;
        return new Map();
      },
    });

    expect(called).toBe(0);
    expect(new TextDecoder().decode(result.files.get('a.yaml'))).toBe('known\n');
  });
});

async function gitPath(): Promise<string> {
  return (await run('sh', ['-c', 'command -v git'])).stdout.trim();
}

describe('withClientClone', () => {
  let fx: GitFixture;
  beforeEach(async () => {
    fx = await createGitFixture();
  });
  afterEach(async () => {
    await fx.close();
  });

  it('fetches into an empty clone with the git client and everything else with isomorphic-git', async () => {
    const calls: string[] = [];
    const fake = (name: string): GitTransport => ({
      init: async () => void calls.push(`${name} init`),
      lsRemote: async () => (calls.push(`${name} lsRemote`), undefined),
      fetchBranch: async (_g, branch, o) => (
        calls.push(`${name} fetch ${branch} depth=${o.depth} deepen=${o.deepen === true}`),
        undefined
      ),
      pushCommit: async () => (calls.push(`${name} push`), 'pushed'),
    });
    const transport = withClientClone(fake('http'), fake('cli'));
    const tip = await fx.commit({ 'deploy/a.yaml': 'a\n' });
    const gitdir = path.join(fx.work, '.git');

    await transport.init(gitdir);
    await transport.lsRemote('main');
    await transport.fetchBranch(gitdir, 'main', { depth: 1 });
    await fx.git(['update-ref', 'refs/remotes/origin/main', tip]);
    await transport.fetchBranch(gitdir, 'main', { depth: 1 });
    await transport.fetchBranch(gitdir, 'main', { depth: 50, deepen: true });
    await transport.pushCommit(gitdir, tip, 'stockade-status');

    expect(calls).toEqual([
      'http init',
      'http lsRemote',
      'cli fetch main depth=1 deepen=false',
      'http fetch main depth=1 deepen=false',
      'http fetch main depth=50 deepen=true',
      'http push',
    ]);
  });

  it('is what the Git source clones with when git can be run, and polls stay one request', async () => {
    const tip = await fx.commit({ 'deploy/a.yaml': 'v1\n' });
    await fx.push();
    const log = path.join(fx.tmp, 'git-calls.log');
    const wrapper = path.join(fx.tmp, 'git-wrapper');
    await writeFile(
      wrapper,
      `#!/bin/sh\necho "$1 $2 $3" >> '${log}'\nexec '${await gitPath()}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const source = createGitSource({
      url: fx.url,
      branch: 'main',
      path: 'deploy',
      dir: path.join(fx.tmp, 'state'),
      credentials: { username: USER, password: PASSWORD },
      statusBranch: 'stockade-status',
      author: { name: 'stockade', email: 'stockade@node1.example.org' },
      timeoutMs: 10_000,
      gitPath: wrapper,
    });

    const first = await source.fetch();
    const before = fx.server.requests.length;
    const again = await source.fetch();
    const tree = await source.readTree(tip);

    expect([first.oid, again.oid]).toEqual([tip, tip]);
    expect(new TextDecoder().decode(tree.get('a.yaml'))).toBe('v1\n');
    expect(fx.server.requests.length - before).toBe(1);
    const calls = (await run('cat', [log])).stdout.trim().split('\n');
    // The first fetch and its rev-parse; the idle fetch and the one-file read are isomorphic-git's.
    expect(calls).toEqual([
      expect.stringMatching(/^-C .* fetch$/),
      expect.stringMatching(/^-C .* rev-parse$/),
    ]);
  });
});
