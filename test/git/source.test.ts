// SPDX-License-Identifier: BSD-2-Clause
// createGitSource against the real git http-backend: clone, fetch, readTree, ancestry and
// force-push detection, credentials that never leak, timeouts, the size limit and compaction.

import { randomBytes } from 'node:crypto';
import { readdir, readFile, readlink, symlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { inspect } from 'node:util';

import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { StockadeError } from '../../src/errors/stockade-error.js';
import { countLooseObjects, countPacks } from '../../src/git/local-repo.js';
import { createGitSource, type GitSourceOptions } from '../../src/git/source.js';
import { createGitFixture, type GitFixture, PASSWORD, USER } from './fixture.js';

let fx: GitFixture;
let dirs = 0;

beforeEach(async () => {
  fx = await createGitFixture();
});

afterEach(async () => {
  await fx.close();
});

/** A source on the fixture's repository with its own clone folder. */
function makeSource(overrides: Partial<GitSourceOptions> = {}) {
  dirs += 1;
  return createGitSource({
    url: fx.url,
    branch: 'main',
    path: 'deploy',
    dir: path.join(fx.tmp, `state-${dirs}`),
    credentials: { username: USER, password: PASSWORD },
    statusBranch: 'stockade-status',
    author: { name: 'stockade', email: 'stockade@node1.example.org' },
    timeoutMs: 10_000,
    ...overrides,
  });
}

/** The rejection of `promise`, which must reject. */
async function rejectionOf(promise: Promise<unknown>): Promise<StockadeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StockadeError);
  return err as StockadeError;
}

const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);

describe('fetch and readTree', () => {
  it('clones shallow and reads exactly the manifest folder from the commit tree', async () => {
    await fx.commit({ 'README.md': 'readme\n' }, 'first');
    await fx.commit(
      {
        'deploy/jails.yaml': 'kind: Jail\n',
        'deploy/net/lan.yaml': 'kind: Network\n',
        'deploy/bin/hook.sh': '#!/bin/sh\n',
        'other/ignored.yaml': 'kind: Jail\n',
        'deployment.yaml': 'kind: Volume\n',
      },
      'add manifests',
    );
    await symlink('jails.yaml', path.join(fx.work, 'deploy', 'link.yaml'));
    await fx.git(['add', 'deploy/link.yaml']);
    const tip = await fx.commit({}, 'add a symlink');
    await fx.push();
    const source = makeSource();

    const info = await source.fetch();
    const tree = await source.readTree(info.oid);

    expect(info).toMatchObject({
      oid: tip,
      message: 'add a symlink\n',
      author: 'Operator <ops@example.org>',
    });
    expect(info.timestamp).toBe(Number(await fx.git(['log', '-1', '--format=%ct'])));
    expect([...tree.keys()].sort()).toEqual(['bin/hook.sh', 'jails.yaml', 'net/lan.yaml']);
    expect(text(tree.get('net/lan.yaml'))).toBe('kind: Network\n');
    const gitdir = await source.gitdir();
    expect(await fx.git(['rev-parse', '--is-shallow-repository'], gitdir)).toBe('true');
    expect(await fx.git(['rev-list', '--count', '--all'], gitdir)).toBe('1');
    // Bare: no working tree and no index next to the objects.
    expect((await readdir(gitdir)).sort()).not.toContain('index');
    expect((await readdir(path.dirname(gitdir))).filter((n) => !n.startsWith('gen-'))).toEqual([
      'current',
    ]);
  });

  it('reads the whole repository when the path is the root', async () => {
    const tip = await fx.commit({ 'a.yaml': 'a\n', 'sub/b.yaml': 'b\n' });
    await fx.push();
    const source = makeSource({ path: '.' });

    await source.fetch();
    const tree = await source.readTree(tip);

    expect([...tree.keys()].sort()).toEqual(['a.yaml', 'sub/b.yaml']);
  });

  it('refuses a commit whose manifest folder is missing rather than reading it empty', async () => {
    const tip = await fx.commit({ 'elsewhere/a.yaml': 'a\n' });
    await fx.push();
    const source = makeSource();
    await source.fetch();

    const err = await rejectionOf(source.readTree(tip));

    expect(err.code).toBe('GIT_PATH_NOT_FOUND');
    expect(err.data).toEqual({ commit: tip, path: 'deploy' });
  });

  it('answers GIT_REF_NOT_FOUND for a tracked branch the remote lacks', async () => {
    await fx.commit({ 'deploy/a.yaml': 'a\n' });
    await fx.push();
    const source = makeSource({ branch: 'production' });

    const err = await rejectionOf(source.fetch());

    expect(err.code).toBe('GIT_REF_NOT_FOUND');
    expect(err.data).toEqual({ url: fx.url, branch: 'production' });
  });

  it('sees a new commit and needs one request when nothing changed', async () => {
    const first = await fx.commit({ 'deploy/a.yaml': 'v1\n' });
    await fx.push();
    const source = makeSource();
    expect((await source.fetch()).oid).toBe(first);
    const second = await fx.commit({ 'deploy/a.yaml': 'v2\n', 'deploy/b.yaml': 'b\n' });
    await fx.push();

    const seen = await source.fetch();
    const before = fx.server.requests.length;
    const again = await source.fetch();
    const requests = fx.server.requests.slice(before);
    const tree = await source.readTree(second);
    const oldTree = await source.readTree(first);

    expect(seen.oid).toBe(second);
    expect(again.oid).toBe(second);
    expect(requests.map((r) => `${r.method} ${r.url} ${r.status}`)).toEqual([
      'GET /site.git/info/refs?service=git-upload-pack 200',
    ]);
    expect(text(tree.get('a.yaml'))).toBe('v2\n');
    expect(text(oldTree.get('a.yaml'))).toBe('v1\n');
    expect(oldTree.has('b.yaml')).toBe(false);
  });
});

describe('isAncestor', () => {
  it('deepens the shallow clone to confirm a fast-forward and detects a force push', async () => {
    const c1 = await fx.commit({ 'deploy/a.yaml': '1\n' });
    await fx.push();
    const source = makeSource();
    await source.fetch();
    await fx.commit({ 'deploy/a.yaml': '2\n' });
    const c3 = await fx.commit({ 'deploy/a.yaml': '3\n' });
    await fx.push();
    await source.fetch();

    const forward = await source.isAncestor(c1, c3);
    await fx.git(['reset', '--quiet', '--hard', c1]);
    const c4 = await fx.commit({ 'deploy/a.yaml': 'rewritten\n' });
    await fx.push(true);
    const tip = await source.fetch();

    expect(forward).toBe(true);
    expect(tip.oid).toBe(c4);
    expect(await source.isAncestor(c3, c4)).toBe(false);
    expect(await source.isAncestor(c1, c4)).toBe(true);
    expect(await source.isAncestor(c4, c4)).toBe(true);
    expect(await source.isAncestor(c4, c1)).toBe(false);
  });

  it('finds an ancestor far below a fresh depth-1 clone', async () => {
    const first = await fx.commit({ 'deploy/a.yaml': '0\n' });
    await fx.git(['commit', '--quiet', '--allow-empty', '-m', 'filler']);
    for (let i = 0; i < 80; i++) {
      await fx.git(['commit', '--quiet', '--allow-empty', '-m', `filler ${i}`]);
    }
    const tip = await fx.commit({ 'deploy/a.yaml': 'last\n' });
    await fx.push();
    const source = makeSource();
    await source.fetch();
    const gitdir = await source.gitdir();
    expect(await fx.git(['rev-list', '--count', '--all'], gitdir)).toBe('1');

    const answer = await source.isAncestor(first, tip);

    expect(answer).toBe(true);
    expect(Number(await fx.git(['rev-list', '--count', '--all'], gitdir))).toBeGreaterThan(50);
  });

  it('answers false when the history within maxAncestryDepth does not decide', async () => {
    const first = await fx.commit({ 'deploy/a.yaml': '0\n' });
    for (let i = 0; i < 30; i++) {
      await fx.git(['commit', '--quiet', '--allow-empty', '-m', `filler ${i}`]);
    }
    const tip = await fx.commit({ 'deploy/a.yaml': 'last\n' });
    await fx.push();
    const source = makeSource({ maxAncestryDepth: 10 });
    await source.fetch();

    const answer = await source.isAncestor(first, tip);

    expect(answer).toBe(false);
    const gitdir = await source.gitdir();
    expect(await fx.git(['rev-list', '--count', '--all'], gitdir)).toBe('11');
  });
});

describe('errors', () => {
  it('fails with GIT_AUTH_FAILED and never shows the wrong password', async () => {
    await fx.commit({ 'deploy/a.yaml': 'a\n' });
    await fx.push();
    const wrong = 'Wr0ng-P4ssw0rd-xyz';
    const viaOption = makeSource({ credentials: { username: USER, password: wrong } });
    const viaUrl = makeSource({
      url: fx.url.replace('http://', `http://${USER}:${wrong}@`),
      credentials: undefined,
    });

    const errors = [await rejectionOf(viaOption.fetch()), await rejectionOf(viaUrl.fetch())];

    const config = await readFile(path.join(await viaUrl.gitdir(), 'config'), 'utf8');
    expect(config).toContain(`url = ${fx.url}`);
    expect(config).not.toContain(wrong);
    for (const err of errors) {
      expect(err.code).toBe('GIT_AUTH_FAILED');
      expect(err.kind).toBe('terminal');
      expect(err.data).toEqual({ url: fx.url, operation: 'ls-remote', statusCode: 401 });
      const everything = [
        err.message,
        String(err.stack),
        JSON.stringify(err.toJSON()),
        inspect(err, { depth: 10 }),
      ].join('\n');
      expect(everything).not.toContain(wrong);
      expect(everything).not.toContain(Buffer.from(`${USER}:${wrong}`).toString('base64'));
    }
  });

  it('fails with a transient GIT_UNREACHABLE when nothing listens', async () => {
    const port = await closedPort();
    const source = makeSource({ url: `http://127.0.0.1:${port}/site.git` });

    const err = await rejectionOf(source.fetch());

    expect(err.code).toBe('GIT_UNREACHABLE');
    expect(err.kind).toBe('transient');
    expect(err.data).toMatchObject({ reason: 'network', errno: 'ECONNREFUSED' });
  });

  it('gives up at the deadline when the server never answers', async () => {
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const source = makeSource({ url: `http://127.0.0.1:${port}/site.git`, timeoutMs: 300 });

    const err = await rejectionOf(source.fetch());
    silent.close();

    expect(err.code).toBe('GIT_UNREACHABLE');
    expect(err.data).toEqual({
      url: `http://127.0.0.1:${port}/site.git`,
      operation: 'ls-remote',
      reason: 'timeout',
      timeoutMs: 300,
    });
  });

  it('aborts a transfer larger than maxPackBytes', async () => {
    await fx.commit({ 'deploy/blob.bin': randomBytes(200_000).toString('base64') });
    await fx.push();
    const source = makeSource({ maxPackBytes: 50_000 });

    const err = await rejectionOf(source.fetch());

    expect(err.code).toBe('GIT_TRANSFER_TOO_LARGE');
    expect(err.data).toMatchObject({ operation: 'fetch', limitBytes: 50_000 });
    expect(err.data['receivedBytes']).toBeGreaterThan(50_000);
    expect(await countPacks(await source.gitdir())).toBe(0);
  });

  it('refuses a status branch equal to the tracked branch and SSH without known_hosts', () => {
    const same = () => makeSource({ statusBranch: 'main' });
    const ssh = () => makeSource({ url: 'git@git.example.org:ops/site.git' });

    expect(same).toThrow(expect.objectContaining({ code: 'GIT_OPERATION_FAILED' }));
    expect(ssh).toThrow(expect.objectContaining({ code: 'GIT_OPERATION_FAILED' }));
  });
});

describe('logs', () => {
  it('carry no credentials, whether operations succeed or fail', async () => {
    await fx.commit({ 'deploy/a.yaml': 'a\n' });
    await fx.push();
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    const good = makeSource({ logger, maxPacks: 0 });
    const bad = makeSource({ logger, credentials: { username: USER, password: 'bad-Secret-42' } });

    const tip = await good.fetch();
    await good.readTree(tip.oid);
    await good.writeStatus({ 'nodes/n1.json': '{}\n' }, 'status');
    await bad.fetch().catch(() => undefined);

    expect(lines.some((l) => l.includes('"msg":"local clone replaced"'))).toBe(true);
    expect(lines.some((l) => l.includes('"msg":"status pushed"'))).toBe(true);
    const all = lines.join('\n');
    for (const secret of [
      PASSWORD,
      'bad-Secret-42',
      Buffer.from(`${USER}:${PASSWORD}`).toString('base64'),
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('pack compaction', () => {
  it('replaces the clone with a fresh shallow one once packs pass the threshold', async () => {
    await fx.commit({ 'deploy/a.yaml': '0\n' });
    await fx.push();
    const source = makeSource({ maxPacks: 3 });
    await source.fetch();
    const gitdir = await source.gitdir();
    const firstGeneration = await readlink(gitdir);
    const counts: number[] = [];

    for (let i = 1; i <= 3; i++) {
      await fx.commit({ 'deploy/a.yaml': `${i}\n` });
      await fx.push();
      await source.fetch();
      counts.push(await countPacks(gitdir));
    }
    const tip = await fx.remoteTip('main');
    const tree = await source.readTree(tip ?? '');

    expect(counts).toEqual([2, 3, 1]);
    expect(await readlink(gitdir)).not.toBe(firstGeneration);
    expect((await readdir(path.dirname(gitdir))).filter((n) => n.startsWith('gen-'))).toEqual([
      await readlink(gitdir),
    ]);
    expect(text(tree.get('a.yaml'))).toBe('3\n');
  });
});

describe('loose objects', () => {
  it('replaces the clone once status writes have left too many loose objects', async () => {
    await fx.commit({ 'deploy/a.yaml': '0\n' });
    await fx.push();
    const source = makeSource({ maxLooseObjects: 8 });
    await source.fetch();
    const gitdir = await source.gitdir();
    const firstGeneration = await readlink(gitdir);

    // Each write leaves a blob, two trees and a commit behind as loose objects.
    for (let i = 0; i < 3; i++) {
      await source.writeStatus({ 'nodes/n1.json': `${i}\n` }, `status ${i}`);
    }
    const looseBefore = await countLooseObjects(gitdir);
    await source.fetch();

    expect(looseBefore).toBe(12);
    expect(await readlink(gitdir)).not.toBe(firstGeneration);
    expect(await countLooseObjects(gitdir)).toBe(0);
    expect(await countPacks(gitdir)).toBe(1);
  });
});

describe('readTree results', () => {
  it('hands out copies, so a caller changing one cannot change the next read', async () => {
    const first = await fx.commit({ 'deploy/a.yaml': 'same\n', 'deploy/b.yaml': 'b1\n' });
    await fx.push();
    const source = makeSource();
    await source.fetch();
    const tree = await source.readTree(first);
    tree.get('a.yaml')?.fill(0x21);
    const second = await fx.commit({ 'deploy/b.yaml': 'b2\n' });
    await fx.push();
    await source.fetch();

    const next = await source.readTree(second);

    expect(text(next.get('a.yaml'))).toBe('same\n');
    expect(text(next.get('b.yaml'))).toBe('b2\n');
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
