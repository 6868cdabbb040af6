// SPDX-License-Identifier: BSD-2-Clause
// Property tests: whatever bytes or documents a repository holds, the loader returns a result
// (never throws), and every diagnostic points inside the file it names.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { loadManifests } from '../../src/manifest/load.js';
import { BASE_YAML } from './helpers.js';

function lineCount(text: string): number {
  return text.split('\n').length;
}

describe('loadManifests on arbitrary input', () => {
  it('never throws on arbitrary text and points every error inside the file', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (text) => {
        const result = loadManifests(new Map([['f.yaml', text]]));

        for (const d of result.ok ? result.warnings : result.errors) {
          expect(d.file).toBe('f.yaml');
          expect(d.line).toBeGreaterThanOrEqual(1);
          expect(d.line).toBeLessThanOrEqual(lineCount(text) + 1);
          expect(d.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on YAML-like token soup (keys without values, anchors, tags, markers)', () => {
    const token = fc.constantFrom(
      'a',
      ':',
      ' ',
      '\n',
      '  ',
      '-',
      '?',
      '[',
      ']',
      '{',
      '}',
      ',',
      '&x',
      '*x',
      '!t',
      '!!str',
      '"',
      "'",
      '#',
      '---',
      '...',
      '|',
      '>',
      'kind',
      'Jail',
      'spec',
      '1',
      'null',
      '__proto__',
      '%YAML 1.2',
      '\t',
      '\r',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (parts) => {
        const text = parts.join('');

        const result = loadManifests(new Map([['f.yaml', text]]));

        for (const d of result.ok ? result.warnings : result.errors) {
          expect(d.line).toBeLessThanOrEqual(lineCount(text) + 1);
          expect(d.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary documents of known kinds, and accepts nothing with an unknown field', () => {
    const kind = fc.constantFrom('Network', 'Volume', 'Image', 'Jail', 'Service', 'Node');
    const spec = fc.dictionary(
      fc.constantFrom('image', 'command', 'cidr', 'mode', 'release', 'replicas', 'x-extra'),
      fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.array(fc.string({ maxLength: 8 }))),
    );
    fc.assert(
      fc.property(kind, fc.string({ maxLength: 12 }), spec, (k, name, s) => {
        const yaml = stringify({ apiVersion: 'stockade/v1', kind: k, metadata: { name }, spec: s });

        const result = loadManifests(
          new Map([
            ['base.yaml', BASE_YAML],
            ['f.yaml', yaml],
          ]),
        );

        if ('x-extra' in s) {
          expect(result.ok).toBe(false);
        }
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          expect(result.errors.every((e) => /^[A-Z][A-Z0-9_]+$/.test(e.code))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
