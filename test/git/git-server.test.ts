// SPDX-License-Identifier: BSD-2-Clause
// The test Git server itself: Basic auth and real smart-HTTP clone, fetch and push.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

import git from 'isomorphic-git';
import gitHttp from 'isomorphic-git/http/node';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startGitServer, type GitServer } from '../host/git-server.js';

const run = promisify(execFile);

let tmp: string;
let server: GitServer;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'stockade-git-server-'));
  server = await startGitServer({ root: path.join(tmp, 'srv'), users: { alice: 'pa55-word' } });
  await server.createRepo('site.git');
});

afterAll(async () => {
  await server.stop();
  await rm(tmp, { recursive: true, force: true });
});

/** Runs git with a clean environment and no prompts. */
async function gitCli(args: string[], cwd?: string): Promise<string> {
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', HOME: tmp };
  const { stdout } = await run('git', args, { cwd, env });
  return stdout;
}

/** Status code of a plain GET. */
function get(url: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        res.resume();
        resolve(res);
      })
      .once('error', reject);
  });
}

describe('startGitServer', () => {
  it('binds to 127.0.0.1 only', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('answers 401 with a Basic challenge without or with wrong credentials', async () => {
    const bare = await get(`${server.url}/site.git/info/refs?service=git-upload-pack`);
    const wrong = await get(`${server.url}/site.git/info/refs?service=git-upload-pack`, {
      authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}`,
    });

    expect(bare.statusCode).toBe(401);
    expect(bare.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(wrong.statusCode).toBe(401);
  });

  it('refuses a git CLI clone without or with wrong credentials', async () => {
    const wrongUrl = server.repoUrl('site.git').replace('http://', 'http://alice:wrong@');
    const before = server.requests.length;

    // One after the other: a second clone started early would reject while the first is
    // awaited, before any handler is attached, and count as an unhandled rejection.
    await expect(
      gitCli(['clone', server.repoUrl('site.git'), path.join(tmp, 'anon')]),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('terminal prompts disabled'),
    });
    await expect(gitCli(['clone', wrongUrl, path.join(tmp, 'wrong')])).rejects.toMatchObject({
      stderr: expect.stringContaining('Authentication failed'),
    });
    const statuses = server.requests.slice(before).map((r) => r.status);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 401)).toBe(true);
  });

  it('takes a push and serves clone and fetch over smart HTTP with credentials', async () => {
    const work = path.join(tmp, 'work');
    await gitCli(['init', '--quiet', '--initial-branch=main', work]);
    await fs.promises.writeFile(path.join(work, 'a.txt'), 'one\n');
    await gitCli(['add', 'a.txt'], work);
    await gitCli(
      ['-c', 'user.name=t', '-c', 'user.email=t@example.org', 'commit', '-qm', 'one'],
      work,
    );
    const first = (await gitCli(['rev-parse', 'HEAD'], work)).trim();

    await gitCli(['push', '--quiet', server.repoUrl('site.git', 'alice'), 'main'], work);
    const clone = path.join(tmp, 'clone');
    await gitCli(['clone', '--quiet', '--depth', '1', server.repoUrl('site.git', 'alice'), clone]);
    const iso = path.join(tmp, 'iso');
    await git.clone({
      fs,
      http: gitHttp,
      dir: iso,
      url: server.repoUrl('site.git'),
      onAuth: () => ({ username: 'alice', password: 'pa55-word' }),
      singleBranch: true,
      depth: 1,
    });

    expect((await gitCli(['rev-parse', 'HEAD'], clone)).trim()).toBe(first);
    expect(await git.resolveRef({ fs, dir: iso, ref: 'HEAD' })).toBe(first);
    expect(await fs.promises.readFile(path.join(iso, 'a.txt'), 'utf8')).toBe('one\n');
    const pushes = server.requests.filter((r) => r.url === '/site.git/git-receive-pack');
    expect(pushes).toEqual([
      { method: 'POST', url: '/site.git/git-receive-pack', status: 200, user: 'alice' },
    ]);
  });

  it('inflates a gzip request body before the backend reads it', async () => {
    const want = (await gitCli(['ls-remote', server.repoUrl('site.git', 'alice'), 'main'])).slice(
      0,
      40,
    );
    const line = (s: string): string => (s.length + 4).toString(16).padStart(4, '0') + s;
    const body = `${line(`want ${want} ofs-delta\n`)}0000${line('done\n')}`;

    const res = await new Promise<{ status: number; data: Buffer }>((resolve, reject) => {
      const req = http.request(
        `${server.url}/site.git/git-upload-pack`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from('alice:pa55-word').toString('base64')}`,
            'content-type': 'application/x-git-upload-pack-request',
            'content-encoding': 'gzip',
          },
        },
        (r) => {
          const chunks: Buffer[] = [];
          r.on('data', (c: Buffer) => chunks.push(c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, data: Buffer.concat(chunks) }));
        },
      );
      req.once('error', reject);
      req.end(zlib.gzipSync(body));
    });

    expect(res.status).toBe(200);
    expect(res.data.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(res.data.includes(Buffer.from('PACK'))).toBe(true);
  });
});
