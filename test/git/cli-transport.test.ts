// SPDX-License-Identifier: BSD-2-Clause
// The system-git transport. SSH is checked by the argv and environment handed to git (there is
// no SSH server here); the same transport is then run for real over HTTP against the server.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  type CommandResult,
  type CommandRunner,
  createCliTransport,
  runCommand,
} from '../../src/git/cli-transport.js';
import { createGitSource } from '../../src/git/source.js';
import { createGitFixture, type GitFixture, PASSWORD, USER } from './fixture.js';

interface Call {
  file: string;
  argv: string[];
  env: Record<string, string>;
}

/** A runner that records every call and answers from `answers` by git subcommand. */
function recordingRunner(
  answers: Record<string, Partial<CommandResult>>,
): CommandRunner & { calls: Call[] } {
  const calls: Call[] = [];
  const runner = async (file: string, argv: string[], options: { env: Record<string, string> }) => {
    calls.push({ file, argv, env: options.env });
    const sub = argv[0] === '-C' ? argv[2] : argv[0];
    return { exitCode: 0, stdout: '', stderr: '', timedOut: false, ...answers[sub ?? ''] };
  };
  return Object.assign(runner, { calls });
}

const OID = 'a'.repeat(40);
const SSH_URL = 'ssh://git@git.example.org/ops/site.git';
const KNOWN_HOSTS = '/var/db/stockade/known hosts';

describe('SSH through the git client (argv only)', () => {
  it('pins the known_hosts file with strict checking and passes argv arrays', async () => {
    const runner = recordingRunner({
      'ls-remote': { stdout: `${OID}\trefs/heads/main\n` },
      'rev-parse': { stdout: `${OID}\n` },
    });
    const transport = createCliTransport({
      url: SSH_URL,
      credentials: undefined,
      timeoutMs: 5000,
      gitPath: '/usr/local/bin/git',
      knownHostsFile: KNOWN_HOSTS,
      identityFile: '/var/db/stockade/id_ed25519',
      runner,
    });

    const tip = await transport.lsRemote('main');
    const fetched = await transport.fetchBranch('/var/db/stockade/git/current', 'main', {
      depth: 1,
    });
    await transport.fetchBranch('/var/db/stockade/git/current', 'main', {
      depth: 50,
      deepen: true,
    });
    const pushed = await transport.pushCommit('/var/db/stockade/git/current', OID, 'status');

    expect(tip).toBe(OID);
    expect(fetched).toBe(OID);
    expect(pushed).toBe('pushed');
    const gitdir = '/var/db/stockade/git/current';
    expect(runner.calls.map((c) => [c.file, ...c.argv])).toEqual([
      ['/usr/local/bin/git', 'ls-remote', '--heads', SSH_URL, 'refs/heads/main'],
      [
        '/usr/local/bin/git',
        '-C',
        gitdir,
        'fetch',
        '--quiet',
        '--no-tags',
        '--depth=1',
        SSH_URL,
        '+refs/heads/main:refs/remotes/origin/main',
      ],
      ['/usr/local/bin/git', '-C', gitdir, 'rev-parse', '--verify', 'refs/remotes/origin/main'],
      [
        '/usr/local/bin/git',
        '-C',
        gitdir,
        'fetch',
        '--quiet',
        '--no-tags',
        '--deepen=50',
        SSH_URL,
        '+refs/heads/main:refs/remotes/origin/main',
      ],
      ['/usr/local/bin/git', '-C', gitdir, 'rev-parse', '--verify', 'refs/remotes/origin/main'],
      [
        '/usr/local/bin/git',
        '-C',
        gitdir,
        'push',
        '--porcelain',
        SSH_URL,
        `${OID}:refs/heads/status`,
      ],
      ['/usr/local/bin/git', '-C', gitdir, 'update-ref', 'refs/remotes/origin/status', OID],
    ]);
    expect(runner.calls[0]?.env).toEqual({
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: [
        'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes',
        "-o 'UserKnownHostsFile=/var/db/stockade/known hosts'",
        '-o IdentitiesOnly=yes -i /var/db/stockade/id_ed25519',
      ].join(' '),
    });
  });

  it('sends scp-like URLs to git; a host key mismatch is GIT_AUTH_FAILED', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'stockade-ssh-'));
    const runner = recordingRunner({
      'ls-remote': {
        exitCode: 128,
        stderr: 'Host key verification failed.\nfatal: Could not read from remote repository.\n',
      },
    });
    const source = createGitSource({
      url: 'git@git.example.org:ops/site.git',
      branch: 'main',
      path: 'deploy',
      dir: path.join(tmp, 'ssh-state'),
      statusBranch: 'stockade-status',
      author: { name: 's', email: 's@example.org' },
      timeoutMs: 5000,
      gitPath: '/usr/local/bin/git',
      knownHostsFile: KNOWN_HOSTS,
      runner: async (file, argv, options) =>
        // Only the network step is faked; the local repository is real git in a temp dir.
        argv[0] === 'ls-remote' ? runner(file, argv, options) : runCommand('git', argv, options),
    });

    const err = await source.fetch().catch((e: unknown) => e);
    await rm(tmp, { recursive: true, force: true });

    expect(err).toMatchObject({
      code: 'GIT_AUTH_FAILED',
      kind: 'terminal',
      data: {
        reason: 'host-key',
        operation: 'ls-remote',
        argv: ['ls-remote', '--heads', 'git@git.example.org:ops/site.git', 'refs/heads/main'],
        exitCode: 128,
      },
    });
  });
});

describe('git client failures', () => {
  const make = (answers: Record<string, Partial<CommandResult>>) =>
    createCliTransport({
      url: SSH_URL,
      credentials: undefined,
      timeoutMs: 5000,
      gitPath: '/usr/local/bin/git',
      knownHostsFile: KNOWN_HOSTS,
      runner: recordingRunner(answers),
    });

  it('reads a refused push as a rejection to retry', async () => {
    const transport = make({
      push: {
        exitCode: 1,
        stdout: `!\t${OID}:refs/heads/status\t[rejected] (fetch first)\nDone\n`,
        stderr: 'error: failed to push some refs\n',
      },
    });

    expect(await transport.pushCommit('/g', OID, 'status')).toBe('rejected');
  });

  it('reads a missing remote branch as undefined', async () => {
    const transport = make({
      fetch: { exitCode: 128, stderr: "fatal: couldn't find remote ref refs/heads/status\n" },
    });

    expect(await transport.fetchBranch('/g', 'status', { depth: 1 })).toBeUndefined();
  });

  it('types unreachable hosts and timeouts as transient GIT_UNREACHABLE', async () => {
    const down = make({
      'ls-remote': {
        exitCode: 128,
        stderr: 'ssh: Could not resolve hostname git.example.org: Name or service not known\n',
      },
    });
    const slow = make({ 'ls-remote': { exitCode: 1, timedOut: true } });

    const errors = [await down.lsRemote('main').catch((e: unknown) => e)];
    errors.push(await slow.lsRemote('main').catch((e: unknown) => e));

    expect(errors[0]).toMatchObject({ code: 'GIT_UNREACHABLE', data: { reason: 'network' } });
    expect(errors[1]).toMatchObject({
      code: 'GIT_UNREACHABLE',
      kind: 'transient',
      data: { reason: 'timeout', timeoutMs: 5000 },
    });
  });
});

describe('the git client over real smart HTTP', () => {
  let fx: GitFixture;

  beforeEach(async () => {
    fx = await createGitFixture();
  });

  afterEach(async () => {
    await fx.close();
  });

  it('fetches, reads, deepens and writes status with credentials kept out of argv', async () => {
    const c1 = await fx.commit({ 'deploy/a.yaml': '1\n' });
    await fx.commit({ 'deploy/a.yaml': '2\n' });
    const c3 = await fx.commit({ 'deploy/a.yaml': '3\n', 'deploy/b/c.yaml': 'c\n' });
    await fx.push();
    const calls: string[][] = [];
    const source = createGitSource({
      url: fx.url,
      branch: 'main',
      path: 'deploy',
      dir: path.join(fx.tmp, 'cli-state'),
      credentials: { username: USER, password: PASSWORD },
      statusBranch: 'stockade-status',
      author: { name: 'stockade', email: 'stockade@n1.example.org' },
      timeoutMs: 20_000,
      transport: 'cli',
      gitPath: 'git',
      runner: (file, argv, options) => {
        calls.push(argv);
        return runCommand(file, argv, options);
      },
    });

    const tip = await source.fetch();
    const tree = await source.readTree(tip.oid);
    const ancestor = await source.isAncestor(c1, c3);
    const status = await source.writeStatus({ 'nodes/n1.json': '{}\n' }, 'status');
    const unchanged = await source.writeStatus({ 'nodes/n1.json': '{}\n' }, 'status');

    expect(tip.oid).toBe(c3);
    expect([...tree.keys()].sort()).toEqual(['a.yaml', 'b/c.yaml']);
    expect(ancestor).toBe(true);
    expect(status).toBe(await fx.remoteTip('stockade-status'));
    expect(unchanged).toBeUndefined();
    expect(JSON.stringify(calls)).not.toContain(PASSWORD);
    expect(calls.some((argv) => argv.includes('--deepen=50'))).toBe(true);
  });

  it('fails with GIT_AUTH_FAILED and no password anywhere in the error', async () => {
    await fx.commit({ 'deploy/a.yaml': '1\n' });
    await fx.push();
    const wrong = 'n0t-the-Right-one';
    const source = createGitSource({
      url: fx.url.replace('http://', `http://${USER}:${wrong}@`),
      branch: 'main',
      path: 'deploy',
      dir: path.join(fx.tmp, 'cli-wrong'),
      statusBranch: 'stockade-status',
      author: { name: 'stockade', email: 'stockade@n1.example.org' },
      timeoutMs: 20_000,
      transport: 'cli',
      gitPath: 'git',
    });

    const err = await source.fetch().catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'GIT_AUTH_FAILED', data: { reason: 'credentials' } });
    expect(inspect(err, { depth: 10 }) + JSON.stringify(err)).not.toContain(wrong);
  });
});
