// SPDX-License-Identifier: BSD-2-Clause
// `stockade plan --base --head` against a real Git repository made with the git CLI.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { run } from '../../src/cli/plan.js';

const NETWORK_AND_IMAGE = `apiVersion: stockade/v1
kind: Network
metadata:
  name: frontend
spec:
  mode: vnet
  cidr: 10.77.1.0/24
  nat: true
---
apiVersion: stockade/v1
kind: Image
metadata:
  name: base
spec:
  release: 14.2-RELEASE
`;

const webJail = (replicas: number, extra = '') => `apiVersion: stockade/v1
kind: Jail
metadata:
  name: web
  labels:
    app: web
spec:
  image: base
  replicas: ${replicas}
  command: ["/usr/local/bin/serve"]
  networks:
    - name: frontend
${extra}`;

let dir: string;
const commits: Record<string, string> = {};

function git(...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  ).trim();
}

function commit(name: string, files: Record<string, string | undefined>): void {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(dir, file);
    if (content === undefined) {
      fs.rmSync(full);
      continue;
    }
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
  git('add', '-A');
  git('commit', '-q', '-m', name);
  commits[name] = git('rev-parse', 'HEAD');
}

async function plan(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run(['--repo', dir, ...argv]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stockade-plan-'));
  git('init', '-q', '-b', 'main');
  commit('two-replicas', {
    'manifests/base.yaml': NETWORK_AND_IMAGE,
    'manifests/web.yaml': webJail(2),
    'README.md': '# demo\n',
  });
  commit('three-replicas', {
    'manifests/web.yaml': webJail(3, '  resources:\n    memory: 512M\n'),
  });
  commit('readme-only', { 'README.md': '# demo, edited\n' });
  commit('broken', { 'manifests/web.yaml': webJail(3).replace('command:', 'comand:') });
  commit('no-jails', { 'manifests/web.yaml': undefined });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('stockade plan', () => {
  it('prints a Markdown plan and exits 2 when the head changes the node', async () => {
    const result = await plan(
      '--base',
      commits['two-replicas'] as string,
      '--head',
      commits['three-replicas'] as string,
      '--format',
      'markdown',
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '### Stockade plan',
      '',
      '**Plan: 1 to create, 3 to change, 0 to destroy, 0 to replace.**',
    ]);
    expect(lines).toContain('#### Jails');
    expect(lines).toContain('| `+` | `web-2` | new in the repository |');
    expect(lines.filter((l) => l.startsWith('| `~` | `web-'))).toEqual([
      '| `~` | `web-0` | rctl changed: \\(none\\) -\\> memoryuse:deny=536870912 |',
      '| `~` | `web-1` | rctl changed: \\(none\\) -\\> memoryuse:deny=536870912 |',
    ]);
    expect(lines.filter((l) => l.includes('/etc/hosts'))).toEqual([
      expect.stringMatching(
        /^\| `~` \| `\/etc\/hosts` \| hosts changed: \\\(none\\\) -\\> web-2=10\.77\.1\.\d+ \|$/,
      ),
    ]);
    expect(result.stdout).not.toContain('[!WARNING]');
  });

  it('accepts branch names and abbreviated commit ids', async () => {
    // main is at the last commit, which has no jails left.
    const result = await plan(
      '--base',
      (commits['two-replicas'] as string).slice(0, 8),
      '--head',
      'main',
    );

    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      '\nPlan: 0 to create, 0 to change, 6 to destroy, 0 to replace.\n',
    );
    expect(result.stdout).toContain('  -   jail web-0\n        removed from the repository\n');
  });

  it('follows first parents with ~N and ^', async () => {
    const tilde = await plan('--base', 'main~4', '--head', 'main~3', '--format', 'json');
    const caret = await plan('--base', 'main^^^^', '--head', 'HEAD^^^', '--format', 'json');

    expect(tilde.code).toBe(2);
    expect(caret.stdout).toBe(tilde.stdout);
    expect((JSON.parse(tilde.stdout) as { summary: object }).summary).toEqual({
      create: 1,
      change: 3,
      destroy: 0,
      replace: 0,
    });
    expect((await plan('--base', 'main~9', '--head', 'main')).stderr).toBe(
      "stockade plan: revision 'main~9' goes past the first commit (GIT_REF_NOT_FOUND)\n",
    );
  });

  it('exits 0 when the manifests did not change', async () => {
    const result = await plan(
      '--base',
      commits['three-replicas'] as string,
      '--head',
      commits['readme-only'] as string,
    );

    expect(result).toEqual({
      code: 0,
      stdout: 'No changes. The host already matches.\n',
      stderr: '',
    });
  });

  it('prints the diagnostics and exits 1 when the head manifests are invalid', async () => {
    const result = await plan(
      '--base',
      commits['readme-only'] as string,
      '--head',
      commits['broken'] as string,
    );

    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^stockade plan: manifests of [0-9a-f]{40} are invalid:\nweb\.yaml:\d+:\d+:/,
    );
  });

  it('warns in the plan when apply would refuse it under the prune guard', async () => {
    const result = await plan(
      '--base',
      commits['readme-only'] as string,
      '--head',
      commits['no-jails'] as string,
      '--format',
      'json',
    );

    const parsed = JSON.parse(result.stdout) as { warnings: string[]; summary: object };
    expect(result.code).toBe(2);
    expect(parsed.summary).toEqual({ create: 0, change: 0, destroy: 7, replace: 0 });
    expect(parsed.warnings).toEqual([
      'apply would refuse this plan: refused to remove 3 of 3 managed jails (ratio 1.00, limit 0.5); set allowPruneAll to proceed',
    ]);
  });

  it('exits 64 on a usage error and 1 on an unknown revision', async () => {
    expect((await plan('--head', 'main')).code).toBe(64);
    expect((await plan('--base', 'main', '--head', 'main', '--format', 'yaml')).code).toBe(64);
    const missing = await plan('--base', 'nope', '--head', 'main');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `stockade plan: revision 'nope' not found in ${dir} (GIT_REF_NOT_FOUND)\n`,
    );
  });
});
