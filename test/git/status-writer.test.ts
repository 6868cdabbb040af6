// SPDX-License-Identifier: BSD-2-Clause
// Status write-back against the real server: the orphan status branch, no empty commits, the
// tracked branch never written, concurrent nodes that all end up on the branch, and rejection.

import { execFileSync } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { StockadeError } from '../../src/errors/stockade-error.js';
import { createGitSource, type GitSourceOptions } from '../../src/git/source.js';
import type { RenderStatus } from '../../src/git/status-writer.js';
import { createGitFixture, type GitFixture, PASSWORD, USER } from './fixture.js';

let fx: GitFixture;
let dirs = 0;

beforeEach(async () => {
  fx = await createGitFixture();
  await fx.commit({ 'deploy/jails.yaml': 'kind: Jail\n' }, 'manifests');
  await fx.push();
});

afterEach(async () => {
  await fx.close();
});

/** Lists every node file it is given, so a lost node shows in STATUS.md. */
const render: RenderStatus = (nodeFiles) =>
  ['# Status', ...[...nodeFiles].map(([name, body]) => `- ${name}: ${body.trim()}`)].join('\n') +
  '\n';

function makeSource(node: string, overrides: Partial<GitSourceOptions> = {}) {
  dirs += 1;
  return createGitSource({
    url: fx.url,
    branch: 'main',
    path: 'deploy',
    dir: path.join(fx.tmp, `state-${dirs}`),
    credentials: { username: USER, password: PASSWORD },
    statusBranch: 'stockade-status',
    author: { name: `stockade on ${node}`, email: `stockade@${node}.example.org` },
    timeoutMs: 20_000,
    renderStatus: render,
    ...overrides,
  });
}

/** `path` on the server's status branch. */
function show(file: string): Promise<string> {
  return fx.git(['show', `stockade-status:${file}`], fx.bare);
}

describe('writeStatus', () => {
  it('creates the status branch as an orphan and leaves the tracked branch alone', async () => {
    const mainBefore = await fx.remoteTip('main');
    const source = makeSource('n1');

    const oid = await source.writeStatus(
      { 'nodes/n1.json': '{"ready":true}\n' },
      'status: n1 ready',
    );

    expect(oid).toBe(await fx.remoteTip('stockade-status'));
    expect(await fx.remoteTip('main')).toBe(mainBefore);
    expect(await fx.git(['rev-list', '--count', 'stockade-status'], fx.bare)).toBe('1');
    expect(await fx.git(['log', '-1', '--format=%P|%an|%ae|%s', 'stockade-status'], fx.bare)).toBe(
      '|stockade on n1|stockade@n1.example.org|status: n1 ready',
    );
    expect(await fx.git(['ls-tree', '-r', '--name-only', 'stockade-status'], fx.bare)).toBe(
      'STATUS.md\nnodes/n1.json',
    );
    expect(await show('STATUS.md')).toBe('# Status\n- nodes/n1.json: {"ready":true}');
    await fx.git(['fsck', '--strict', '--no-dangling'], fx.bare);
  });

  it('makes no commit when the files are unchanged, and one when they change', async () => {
    const source = makeSource('n1');
    const first = await source.writeStatus({ 'nodes/n1.json': '{"v":1}\n' }, 'status 1');

    const same = await source.writeStatus({ 'nodes/n1.json': '{"v":1}\n' }, 'status 2');
    const changed = await source.writeStatus({ 'nodes/n1.json': '{"v":2}\n' }, 'status 3');

    expect(same).toBeUndefined();
    expect(changed).toBe(await fx.remoteTip('stockade-status'));
    expect(await fx.git(['log', '--format=%s|%P', 'stockade-status'], fx.bare)).toBe(
      `status 3|${first}\nstatus 1|`,
    );
  });

  it('writes the status branch even when the source never fetched the tracked branch', async () => {
    const writer = makeSource('n1');
    const reader = makeSource('n2');
    await writer.writeStatus({ 'nodes/n1.json': '1\n' }, 'n1');

    const tip = await reader.fetch();
    const second = await reader.writeStatus({ 'nodes/n2.json': '2\n' }, 'n2');

    expect(tip.oid).toBe(await fx.remoteTip('main'));
    expect(second).toBe(await fx.remoteTip('stockade-status'));
    expect(await show('STATUS.md')).toBe('# Status\n- nodes/n1.json: 1\n- nodes/n2.json: 2');
  });

  it('keeps every node when several nodes push at the same time', async () => {
    const nodes = ['n1', 'n2', 'n3', 'n4'];
    const sources = nodes.map((node) => makeSource(node, { maxPushAttempts: 20 }));
    await sources[0]?.writeStatus({ 'nodes/seed.json': 'seed\n' }, 'seed');

    for (const round of [1, 2]) {
      const results = await Promise.all(
        sources.map((source, i) =>
          source.writeStatus({ [`nodes/${nodes[i]}.json`]: `round ${round}\n` }, `round ${round}`),
        ),
      );
      expect(results.every((oid) => typeof oid === 'string')).toBe(true);
    }

    expect(await fx.git(['ls-tree', '-r', '--name-only', 'stockade-status'], fx.bare)).toBe(
      'STATUS.md\nnodes/n1.json\nnodes/n2.json\nnodes/n3.json\nnodes/n4.json\nnodes/seed.json',
    );
    expect(await show('STATUS.md')).toBe(
      [
        '# Status',
        '- nodes/n1.json: round 2',
        '- nodes/n2.json: round 2',
        '- nodes/n3.json: round 2',
        '- nodes/n4.json: round 2',
        '- nodes/seed.json: seed',
      ].join('\n'),
    );
    // One seed commit plus one per node and round, in a straight line.
    expect(await fx.git(['rev-list', '--count', 'stockade-status'], fx.bare)).toBe('9');
    expect(await fx.git(['rev-list', '--merges', '--count', 'stockade-status'], fx.bare)).toBe('0');
  });

  it('redoes a rejected commit on the new tip without losing the other node', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
    await makeSource('n0').writeStatus({ 'nodes/n0.json': '0\n' }, 'n0');
    let renders = 0;
    const racing: RenderStatus = (nodeFiles) => {
      renders += 1;
      // Between this node's fetch and its push, another node's commit lands on the server.
      if (renders === 1) {
        commitBehindTheWriter('nodes/n2.json', '2\n');
      }
      return render(nodeFiles);
    };
    const source = makeSource('n1', { renderStatus: racing, logger });

    const oid = await source.writeStatus({ 'nodes/n1.json': '1\n' }, 'n1');

    expect(oid).toBe(await fx.remoteTip('stockade-status'));
    expect(renders).toBe(2);
    expect(lines.filter((l) => l.includes('"msg":"status push rejected"'))).toHaveLength(1);
    expect(await show('STATUS.md')).toBe(
      '# Status\n- nodes/n0.json: 0\n- nodes/n1.json: 1\n- nodes/n2.json: 2',
    );
    expect(await fx.git(['log', '--format=%s', 'stockade-status'], fx.bare)).toBe(
      'n1\nintruder\nn0',
    );
  });

  it('gives up with a transient GIT_PUSH_REJECTED after the last attempt', async () => {
    const hook = path.join(fx.bare, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "status writes are frozen" >&2\nexit 1\n');
    await chmod(hook, 0o755);
    const source = makeSource('n1', { maxPushAttempts: 2 });
    const before = fx.server.requests.length;

    const err = await source.writeStatus({ 'nodes/n1.json': '1\n' }, 'n1').catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StockadeError);
    expect(err).toMatchObject({
      code: 'GIT_PUSH_REJECTED',
      kind: 'transient',
      data: { branch: 'stockade-status', attempts: 2 },
    });
    const pushes = fx.server.requests
      .slice(before)
      .filter((r) => r.url === '/site.git/git-receive-pack');
    expect(pushes).toHaveLength(2);
    expect(await fx.remoteTip('stockade-status')).toBeUndefined();
  });

  it('fails with a transient GIT_UNREACHABLE when the server is down', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const source = makeSource('n1', { url: `http://127.0.0.1:${port}/site.git` });

    const err = await source.writeStatus({ 'nodes/n1.json': '1\n' }, 'n1').catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'GIT_UNREACHABLE', kind: 'transient' });
  });
});

/** Adds `file` to the server's status branch directly in the bare repository, synchronously. */
function commitBehindTheWriter(file: string, content: string): void {
  const env = { ...process.env, GIT_INDEX_FILE: path.join(fx.tmp, 'intruder.index') };
  const git = (args: string[], input?: string): string =>
    execFileSync('git', ['-C', fx.bare, ...args], { env, input, encoding: 'utf8' }).trim();
  const tip = git(['rev-parse', 'refs/heads/stockade-status']);
  git(['read-tree', tip]);
  const blob = git(['hash-object', '-w', '--stdin'], content);
  git(['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`]);
  const tree = git(['write-tree']);
  const commit = git(
    ['-c', 'user.name=n2', '-c', 'user.email=n2@example.org', 'commit-tree', tree, '-p', tip],
    'intruder\n',
  );
  git(['update-ref', 'refs/heads/stockade-status', commit, tip]);
}
