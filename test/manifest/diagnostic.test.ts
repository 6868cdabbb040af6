// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import {
  formatDiagnostic,
  formatFieldPath,
  sortDiagnostics,
  type Diagnostic,
} from '../../src/manifest/diagnostic.js';
import { loadManifests, MAX_REPORTED_ERRORS } from '../../src/manifest/load.js';
import { MAX_ERRORS_PER_DOCUMENT } from '../../src/manifest/schema-errors.js';

const d = (over: Partial<Diagnostic>): Diagnostic => ({
  code: 'X',
  severity: 'error',
  file: 'a.yaml',
  line: 1,
  column: 1,
  path: '',
  message: 'm',
  ...over,
});

describe('diagnostics', () => {
  it('format as file:line:col: path: message, leaving out an empty path', () => {
    expect(formatDiagnostic(d({ line: 3, column: 7, path: 'spec.replicas', message: 'bad' }))).toBe(
      'a.yaml:3:7: spec.replicas: bad',
    );
    expect(formatDiagnostic(d({ message: 'bad' }))).toBe('a.yaml:1:1: bad');
  });

  it('escape line breaks, escape sequences and bidirectional overrides from the repository', () => {
    const text = formatDiagnostic(d({ file: 'a\nb.yaml', message: 'x\u001b[31m\u202ey' }));

    expect(text).toBe('a\\u000ab.yaml:1:1: x\\u001b[31m\\u202ey');
  });

  it('format field paths with dots, indices and quoted odd keys', () => {
    expect(formatFieldPath(['spec', 'networks', 0, 'address'])).toBe('spec.networks[0].address');
    expect(formatFieldPath(['metadata', 'labels', 'app.kubernetes.io/name'])).toBe(
      'metadata.labels["app.kubernetes.io/name"]',
    );
    expect(formatFieldPath([])).toBe('');
  });

  it('sort by file, line, column, path and code', () => {
    const list = [
      d({ file: 'b.yaml' }),
      d({ line: 2 }),
      d({ line: 1, column: 5 }),
      d({ line: 1, column: 5, code: 'A' }),
    ];

    expect(sortDiagnostics(list).map((x) => `${x.file}:${x.line}:${x.column}:${x.code}`)).toEqual([
      'a.yaml:1:5:A',
      'a.yaml:1:5:X',
      'a.yaml:2:1:X',
      'b.yaml:1:1:X',
    ]);
  });

  it('are capped per document and per repository, with one diagnostic counting the rest', () => {
    const labels = Array.from({ length: 1500 }, (_, i) => `    k${i}: "bad value"`).join('\n');
    const docs = Array.from(
      { length: 12 },
      (_, i) =>
        `apiVersion: stockade/v1\nkind: Volume\nmetadata:\n  name: v${i}\n  labels:\n${labels}\nspec: {}\n`,
    ).join('---\n');

    const result = loadManifests(new Map([['many.yaml', docs]]));

    expect(result.ok).toBe(false);
    if (result.ok) return;
    // Each document has 1501 errors (labels over 64 entries, 1500 bad values): 100 are
    // reported, then one diagnostic counts the rest.
    const perDocument = MAX_ERRORS_PER_DOCUMENT + 1;
    expect(result.errors).toHaveLength(MAX_REPORTED_ERRORS + 1);
    expect(result.errors.filter((e) => e.file === 'many.yaml' && e.line === 1)).toEqual([
      expect.objectContaining({
        code: 'DIAGNOSTICS_TRUNCATED',
        message: `${1501 - MAX_ERRORS_PER_DOCUMENT} more errors in this document not shown`,
      }),
    ]);
    expect(result.errors.at(-1)).toMatchObject({
      code: 'DIAGNOSTICS_TRUNCATED',
      message: `${12 * perDocument - MAX_REPORTED_ERRORS} more errors not shown`,
    });
  });
});
