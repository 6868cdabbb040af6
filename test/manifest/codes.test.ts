// SPDX-License-Identifier: BSD-2-Clause
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { DIAGNOSTIC_CODES } from '../../src/manifest/codes.js';
import { VALUE_RULES } from '../../src/manifest/names.js';
import { SCHEMA_CODES } from '../../src/manifest/schema-errors.js';

const SRC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/manifest');

describe('diagnostic codes', () => {
  it('lists exactly the codes the manifest modules can report', () => {
    const used = new Set<string>();
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts') && f !== 'codes.ts')) {
      const text = readFileSync(path.join(SRC, file), 'utf8');
      for (const m of text.matchAll(/'([A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+)'/g)) {
        used.add(m[1] as string);
      }
    }

    expect([...used].sort()).toEqual(Object.keys(DIAGNOSTIC_CODES).sort());
  });

  it('includes every value rule and schema code', () => {
    for (const code of [...VALUE_RULES.map((r) => r.code), ...Object.values(SCHEMA_CODES)]) {
      expect(DIAGNOSTIC_CODES).toHaveProperty(code);
    }
  });
});
