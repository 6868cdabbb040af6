// SPDX-License-Identifier: BSD-2-Clause
// Shared set-up for the Git tests: a real server on loopback, a bare repository on it and a
// working clone driven by the git CLI, the way a person would push manifests.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

import { startGitServer, type GitServer } from '../host/git-server.js';

const run = promisify(execFile);

export const USER = 'deploy';
export const PASSWORD = 'Zq8-secret-p4ss';

/** A server, one repository on it and a working clone pushing to it. */
export interface GitFixture {
  tmp: string;
  server: GitServer;
  /** Repository URL without credentials. */
  url: string;
  bare: string;
  work: string;
  /** Runs git in the working clone (or `cwd`) and resolves with trimmed stdout. */
  git(args: string[], cwd?: string): Promise<string>;
  /** Writes (string) or deletes (null) files, commits them and resolves with the commit id. */
  commit(files: Record<string, string | null>, message?: string): Promise<string>;
  /** Pushes the working clone's main branch (forced when asked). */
  push(force?: boolean): Promise<void>;
  /** The server's tip of `branch`, undefined when missing. */
  remoteTip(branch: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Starts a server with one repository `site.git` and a working clone with no commits. */
export async function createGitFixture(): Promise<GitFixture> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'stockade-git-'));
  const server = await startGitServer({ root: path.join(tmp, 'srv'), users: { [USER]: PASSWORD } });
  const bare = await server.createRepo('site.git');
  const work = path.join(tmp, 'work');
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    HOME: tmp,
    GIT_AUTHOR_NAME: 'Operator',
    GIT_AUTHOR_EMAIL: 'ops@example.org',
    GIT_COMMITTER_NAME: 'Operator',
    GIT_COMMITTER_EMAIL: 'ops@example.org',
  };
  const git = async (args: string[], cwd = work): Promise<string> =>
    (await run('git', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 })).stdout.trim();
  await git(['init', '--quiet', '--initial-branch=main', work], tmp);

  let counter = 0;
  return {
    tmp,
    server,
    url: server.repoUrl('site.git'),
    bare,
    work,
    git,
    commit: async (files, message) => {
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(work, name);
        if (content === null) {
          await git(['rm', '--quiet', name]);
          continue;
        }
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
        await git(['add', name]);
      }
      counter += 1;
      await git(['commit', '--quiet', '--allow-empty', '-m', message ?? `change ${counter}`]);
      return git(['rev-parse', 'HEAD']);
    },
    push: async (force = false) => {
      const args = ['push', '--quiet', server.repoUrl('site.git', USER), 'main'];
      await git(force ? [...args.slice(0, 2), '--force', ...args.slice(2)] : args);
    },
    remoteTip: async (branch) => {
      const out = await git(
        ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`],
        bare,
      ).catch(() => '');
      return out === '' ? undefined : out;
    },
    close: async () => {
      await server.stop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}
