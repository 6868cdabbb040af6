// SPDX-License-Identifier: BSD-2-Clause
// Planning a pull request: a branch pushed with the git CLI that scales the demo from two to
// three replicas and raises its memory limit is previewed with `stockade plan` in the working
// clone, which lists exactly what the change does and exits 2.

import { describe, expect, it } from 'vitest';

import type { Plan } from '../../src/plan/types.js';
import { pushBranch, scaleUpFiles, useStack } from './helpers.js';

const BRANCH = 'scale-up';

/** The rctl rules of a demo jail with `memory` bytes, as the plan prints them. */
function rules(memory: number): string {
  return `memoryuse:deny=${memory}, pcpu:deny=25, maxproc:deny=32`;
}

describe('stockade plan of a pull request', () => {
  const stack = useStack({ daemon: false });

  it('shows the new replica and the limit change on the others, and nothing else', async () => {
    await pushBranch(
      stack(),
      BRANCH,
      'Scale web to three and give it 128M',
      await scaleUpFiles(stack()),
    );

    const result = await stack().stockade([
      'plan',
      '--base',
      'main',
      '--head',
      BRANCH,
      '--format',
      'markdown',
    ]);

    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(2);
    const lines = result.stdout.split('\n');
    expect(lines).toContain('**Plan: 1 to create, 4 to change, 0 to destroy, 0 to replace.**');
    const rows = lines.filter((line) => line.startsWith('| `'));
    const limits = `rctl changed: ${rules(64 * 2 ** 20)} -\\> ${rules(128 * 2 ** 20)}`;
    expect(rows.slice(0, 3)).toEqual([
      `| \`~\` | \`web-0\` | ${limits} |`,
      `| \`~\` | \`web-1\` | ${limits} |`,
      '| `+` | `web-2` | new in the repository |',
    ]);
    // The rest follows from the third replica: its name and address in the shared /etc/hosts
    // and in the service's pf table. Nothing else may be listed.
    expect(rows.slice(3)).toHaveLength(2);
    expect(rows[3]).toMatch(
      /^\| `~` \| `\/etc\/hosts` \| hosts changed: web=(127\.77\.1\.\d+),(127\.77\.1\.\d+) -\\> web-2=(127\.77\.1\.\d+), web=[\d.,]+ \|$/,
    );
    expect(rows[4]).toMatch(
      /^\| `~` \| `stockade\/svc-web:svc_web` \| addresses changed: [\d., ]+ -\\> [\d., ]+ \|$/,
    );
    expect(lines.filter((line) => line.startsWith('#### '))).toEqual([
      '#### Jails',
      '#### Networks',
      '#### Packet filter',
    ]);
  });

  it('lists exactly those steps and targets in JSON', async () => {
    const result = await stack().stockade([
      'plan',
      '--base',
      'main',
      '--head',
      BRANCH,
      '--format',
      'json',
    ]);

    expect(result.exitCode).toBe(2);
    const plan = JSON.parse(result.stdout) as Plan;
    expect(plan.summary).toEqual({ create: 1, change: 4, destroy: 0, replace: 0 });
    expect(plan.warnings).toEqual([]);
    expect([...new Set(plan.steps.map((s) => s.target))].sort()).toEqual([
      'stockade/svc-web:svc_web',
      'web-0',
      'web-1',
      'web-2',
      'zroot/stockade/jails/web-2',
    ]);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'file.write:web-0',
      'rctl.set:web-0',
      'file.write:web-1',
      'rctl.set:web-1',
      'dataset.clone:zroot/stockade/jails/web-2',
      'file.write:web-2',
      'mount.add:web-2:/zroot/stockade/jails/web-2/var/log/httpd',
      'epair.create:web-2:demo',
      'jail.create:web-2',
      'jail.configureNetwork:web-2:demo',
      'rctl.set:web-2',
      'jail.startCommand:web-2',
      'pf.replaceTable:stockade/svc-web:svc_web',
    ]);
    expect(plan.steps.every((s) => !s.destructive)).toBe(true);
    const limitsOf = (id: string) => plan.steps.find((s) => s.id === id);
    for (const jail of ['web-0', 'web-1']) {
      expect(limitsOf(`rctl.set:${jail}`)).toMatchObject({
        symbol: '~',
        reason: { kind: 'changed', field: 'rctl' },
        action: {
          type: 'rctl.set',
          jail,
          rules: [
            { resource: 'memoryuse', action: 'deny', amount: String(128 * 2 ** 20) },
            { resource: 'pcpu', action: 'deny', amount: '25' },
            { resource: 'maxproc', action: 'deny', amount: '32' },
          ],
        },
      });
    }
    expect(plan.changes.map((c) => `${c.symbol} ${c.resource} ${c.name}`)).toEqual([
      '~ jail web-0',
      '~ jail web-1',
      '+ jail web-2',
      '~ pf stockade/svc-web:svc_web',
      '~ network /etc/hosts',
    ]);
  });

  it('plans nothing and exits 0 for a branch equal to main', async () => {
    const result = await stack().stockade(['plan', '--base', 'main', '--head', 'main']);

    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('No changes. The host already matches.');
  });
});
