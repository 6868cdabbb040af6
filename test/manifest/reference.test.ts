// SPDX-License-Identifier: BSD-2-Clause
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { renderManifestReference } from '../../scripts/gen-manifest-reference.js';

const DOC = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../docs/manifest-reference.md',
);

describe('docs/manifest-reference.md', () => {
  it('is exactly what scripts/gen-manifest-reference.ts renders from the schemas', () => {
    // On failure, regenerate: npx tsc -p tsconfig.json && node dist/scripts/gen-manifest-reference.js docs/manifest-reference.md
    expect(readFileSync(DOC, 'utf8')).toBe(renderManifestReference());
  });

  it('documents every kind, field path and value rule', () => {
    const text = renderManifestReference();

    expect(text).toContain('## Jail');
    expect(text).toContain('| `spec.networks[].address` | string |');
    expect(text).toContain('| `spec.env.<key>` | string |');
    expect(text).toContain('| `NAME_INVALID` |');
    expect(text).toContain('| `YAML_ALIAS` |');
  });
});
