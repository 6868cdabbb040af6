// SPDX-License-Identifier: BSD-2-Clause
// `stockade plan -c FILE` on a node: the plan of the branch tip against the test host, before
// and after an apply, and of a local folder with --dir. It must never change the host.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findRepoRoot } from '../host/paths.js';
import { startStack, type Stack } from '../host/stack.js';
import { requireRoot } from '../setup/test-host.js';

const DEMO = path.join(findRepoRoot(), 'demo-repo');

describe('stockade plan on a node', () => {
  let stack: Stack;
  if (requireRoot()) {
    beforeAll(async () => {
      stack = await startStack({ manifests: DEMO });
    }, 600_000);
    afterAll(async () => {
      await stack?.stop();
    }, 300_000);
  }

  it('plans the branch tip against an empty host, and changes nothing', async () => {
    const result = await stack.stockade(['plan', '-c', stack.configPath, '--format', 'json']);

    expect(result.exitCode).toBe(2);
    const plan = JSON.parse(result.stdout) as {
      summary: Record<string, number>;
      changes: { resource: string; name: string; symbol: string }[];
    };
    expect(plan.summary).toEqual({ create: 9, change: 0, destroy: 0, replace: 0 });
    expect(
      plan.changes.filter((c) => c.resource === 'jail').map((c) => `${c.symbol} ${c.name}`),
    ).toEqual(['+ web-0', '+ web-1']);
    expect(await stack.hostTool('jls', [])).toBe(
      '   JID  IP Address      Hostname                      Path',
    );
    expect(await stack.hostTool('zfs', ['list', '-H', '-o', 'name', '-r', stack.host.pool])).toBe(
      stack.host.pool,
    );
  });

  it('reports no changes once the commit is applied, with exit 0', async () => {
    const applied = await stack.stockade(['apply', '-c', stack.configPath, '--no-status']);
    expect(applied.exitCode, applied.stderr.slice(-2000)).toBe(0);

    const result = await stack.stockade(['plan', '-c', stack.configPath]);

    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe('No changes. The host already matches.');
  });

  it('plans a local folder with --dir, and shows a replica added', async () => {
    const file = path.join(stack.workDir, 'stockade.yaml');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('replicas: 2', 'replicas: 3'));

    const result = await stack.stockade([
      'plan',
      '-c',
      stack.configPath,
      '--dir',
      stack.workDir,
      '--format',
      'json',
    ]);
    await writeFile(file, text);

    expect(result.exitCode).toBe(2);
    const plan = JSON.parse(result.stdout) as {
      changes: { resource: string; name: string; symbol: string }[];
    };
    expect(
      plan.changes.filter((c) => c.resource === 'jail').map((c) => `${c.symbol} ${c.name}`),
    ).toEqual(['+ web-2']);
  });
});
