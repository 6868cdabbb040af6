// SPDX-License-Identifier: BSD-2-Clause
// Plan rendering: terraform-like text, Markdown for a pull request, JSON for machines.

import { describe, expect, it } from 'vitest';

import { renderPlan, summaryLine } from '../../src/plan/render.js';
import type { Plan } from '../../src/plan/types.js';

const PLAN: Plan = {
  steps: [],
  changes: [
    { resource: 'jail', name: 'web-2', symbol: '+', reasons: [{ kind: 'new' }] },
    {
      resource: 'jail',
      name: 'api-0',
      symbol: '-/+',
      reasons: [{ kind: 'changed', field: 'command', from: ['/bin/a'], to: ['/bin/b', '--x|y'] }],
    },
    { resource: 'jail', name: 'old-0', symbol: '-', reasons: [{ kind: 'removed' }] },
    {
      resource: 'jail',
      name: 'db-0',
      symbol: '~',
      reasons: [
        {
          kind: 'changed',
          field: 'rctl',
          from: [{ resource: 'memoryuse', action: 'deny', amount: '536870912' }],
          to: [],
        },
      ],
    },
    {
      resource: 'volume',
      name: 'tank/stockade/volumes/logs',
      symbol: '~',
      reasons: [{ kind: 'removed' }],
    },
    {
      resource: 'pf',
      name: 'stockade/svc-web:svc_web',
      symbol: '~',
      reasons: [{ kind: 'drift', detail: 'table emptied' }],
    },
  ],
  warnings: ["volume 'logs' left the repository and is retained: tank/stockade/volumes/logs"],
  summary: { create: 1, change: 3, destroy: 1, replace: 1 },
};

describe('renderPlan', () => {
  it('prints the summary line', () => {
    expect(summaryLine(PLAN)).toBe('Plan: 1 to create, 3 to change, 1 to destroy, 1 to replace.');
  });

  it('prints text with a symbol and the reasons of each object', () => {
    expect(renderPlan(PLAN, 'text')).toBe(
      [
        'Stockade will perform the following actions:',
        '',
        '  -/+ jail api-0',
        '        command changed: /bin/a -> /bin/b, --x|y',
        '  ~   jail db-0',
        '        rctl changed: memoryuse:deny=536870912 -> (none)',
        '  -   jail old-0',
        '        removed from the repository',
        '  +   jail web-2',
        '        new in the repository',
        '  ~   volume tank/stockade/volumes/logs',
        '        removed from the repository',
        '  ~   pf stockade/svc-web:svc_web',
        '        drift: table emptied',
        '',
        'Plan: 1 to create, 3 to change, 1 to destroy, 1 to replace.',
        '',
        'Warnings:',
        "  - volume 'logs' left the repository and is retained: tank/stockade/volumes/logs",
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to do', () => {
    const empty: Plan = {
      steps: [],
      changes: [],
      warnings: [],
      summary: { create: 0, change: 0, destroy: 0, replace: 0 },
    };

    expect(renderPlan(empty, 'text')).toBe('No changes. The host already matches.\n');
    expect(renderPlan(empty, 'markdown')).toBe(
      '### Stockade plan\n\nNo changes. The host already matches this commit.\n',
    );
  });

  it('renders Markdown with destructive changes first and a table per kind', () => {
    expect(renderPlan(PLAN, 'markdown')).toBe(
      [
        '### Stockade plan',
        '',
        '**Plan: 1 to create, 3 to change, 1 to destroy, 1 to replace.**',
        '',
        '> [!WARNING]',
        '> **2 destructive change(s):**',
        '> - `-/+` jail `api-0`: command changed: /bin/a -\\> /bin/b, --x\\|y',
        '> - `-` jail `old-0`: removed from the repository',
        '',
        '#### Jails',
        '',
        '| | Name | Why |',
        '|---|---|---|',
        '| `-/+` | `api-0` | command changed: /bin/a -\\> /bin/b, --x\\|y |',
        '| `~` | `db-0` | rctl changed: memoryuse:deny=536870912 -\\> \\(none\\) |',
        '| `-` | `old-0` | removed from the repository |',
        '| `+` | `web-2` | new in the repository |',
        '',
        '#### Volumes',
        '',
        '| | Name | Why |',
        '|---|---|---|',
        '| `~` | `tank/stockade/volumes/logs` | removed from the repository |',
        '',
        '#### Packet filter',
        '',
        '| | Name | Why |',
        '|---|---|---|',
        '| `~` | `stockade/svc-web:svc_web` | drift: table emptied |',
        '',
        '#### Warnings',
        '',
        "- volume 'logs' left the repository and is retained: tank/stockade/volumes/logs",
        '',
      ].join('\n'),
    );
  });

  it('keeps a value from a manifest from breaking out of its table cell', () => {
    const hostile: Plan = {
      ...PLAN,
      changes: [
        {
          resource: 'jail',
          name: 'x-0',
          symbol: '~',
          reasons: [{ kind: 'changed', field: 'env', from: 'a', to: 'b |\n<script>' }],
        },
      ],
    };

    const row = renderPlan(hostile, 'markdown')
      .split('\n')
      .find((l) => l.startsWith('| `~`'));

    expect(row).toBe('| `~` | `x-0` | env changed: a -\\> b \\| \\<script\\> |');
  });

  it('renders JSON that parses back to the plan', () => {
    expect(JSON.parse(renderPlan(PLAN, 'json'))).toEqual(PLAN);
  });
});
