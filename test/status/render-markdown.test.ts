// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { escapeLabel } from '../../src/status/mermaid.js';
import { buildNodeStatus } from '../../src/status/node-status.js';
import { renderStatusIndex, renderStatusMarkdown } from '../../src/status/render-markdown.js';
import { APPLIED, appliedReport } from './fixtures.js';

describe('STATUS.md', () => {
  it('renders a table, the jails and an escaped Mermaid flowchart per node', () => {
    const status = buildNodeStatus({
      node: 'node1',
      labels: {},
      report: appliedReport(),
      applied: APPLIED,
    });

    expect(renderStatusMarkdown([status])).toBe(`# Stockade status

## node1

| Field | Value |
| --- | --- |
| Ready | yes |
| Applied commit | \`1a2b3c4\` Add db |
| Last run | Applied (Applied): commit 1a2b3c4 applied in 9 step(s) |
| Conditions | - |
| Pinned | no |
| Plan | +2 ~0 -0 ±0 |
| Rollback points | \`c-1a2b3c4d5e6f-20261204T120000Z\` |
| Updated | 2026-12-04T12:00:05.000Z |

| Jail | State | Health | JID | Addresses |
| --- | --- | --- | --- | --- |
| db-0 | running | none | 4 | - |
| web-0 | running | healthy | 5 | 10.77.1.10/24 |

\`\`\`mermaid
flowchart LR
  n0n0{{"net front#124;end"}}
  n0v1[("pg#34;data")]
  n0j2["db-0"]
  n0j3["web-0"]
  n0s4(["svc web"])
  n0j2 --- n0n0
  n0j2 --> n0v1
  n0j3 --- n0n0
  n0s4 --> n0j3
\`\`\`
`);
  });

  it('lists errors with file:line and escapes table cells', () => {
    const report = appliedReport({
      result: 'ValidationFailed',
      reason: 'ManifestInvalid',
      message: 'bad | commit',
      errors: [
        {
          code: 'SCHEMA',
          message: 'must be <string>',
          file: 'jails/web.yaml',
          line: 9,
          column: 7,
          path: 'spec.image',
        },
      ],
      jails: [],
    });
    const status = buildNodeStatus({ node: 'n2', labels: {}, report });

    const text = renderStatusMarkdown([status]);

    expect(
      text
        .split('\n')
        .filter(
          (l) => l.startsWith('| Last run') || l.startsWith('- ') || l.startsWith('| Conditions'),
        ),
    ).toEqual([
      '| Last run | ValidationFailed (ManifestInvalid): bad \\| commit |',
      '| Conditions | ValidationFailed |',
      '- jails/web.yaml:9:7: spec.image: must be &lt;string&gt; [SCHEMA]',
    ]);
    expect(text.endsWith('```mermaid\nflowchart LR\n  n0empty["no jails"]\n```\n')).toBe(true);
  });

  it('renders every node file of the status branch, sorted, skipping damaged ones', () => {
    const a = buildNodeStatus({ node: 'b-node', labels: {}, report: appliedReport() });
    const b = buildNodeStatus({ node: 'a-node', labels: {}, report: appliedReport() });

    const text = renderStatusIndex(
      new Map([
        ['nodes/b-node.json', JSON.stringify(a)],
        ['nodes/a-node.json', JSON.stringify(b)],
        ['nodes/broken.json', '{'],
      ]),
    );

    expect(text.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## a-node', '## b-node']);
    expect(text).toContain('n1empty["no jails"]');
  });

  it('escapes every character Mermaid or Markdown could read as syntax', () => {
    expect(escapeLabel('a"b]c<d>e`f|g#h;i&j{k}l(m)n')).toBe(
      'a#34;b#93;c#60;d#62;e#96;f#124;g#35;h#59;i#38;j#123;k#125;l#40;m#41;n',
    );
    expect(escapeLabel('web-0 10.0.0.1/24 x:y')).toBe('web-0 10.0.0.1/24 x:y');
  });
});
