// SPDX-License-Identifier: BSD-2-Clause
// The error index must name every code the error classes can carry, each once, so a code that
// reaches the status branch can always be looked up.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import * as errors from '../../src/errors/index.js';

const DIR = path.join(import.meta.dirname, '..', '..', 'src', 'errors');

/** Codes written as string literals in an error class file. */
function codesIn(file: string): string[] {
  const text = readFileSync(path.join(DIR, file), 'utf8');
  return [...text.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'/g)].map((m) => m[1] ?? '');
}

describe('error index', () => {
  it('lists every code found in src/errors and nothing else', () => {
    const files = readdirSync(DIR).filter(
      (f) => f.endsWith('-error.ts') && f !== 'stockade-error.ts',
    );
    const found = new Set(files.flatMap(codesIn));

    expect([...found].sort()).toEqual(Object.keys(errors.ERROR_CODES).sort());
  });

  it('exports each class the index names', () => {
    const classes = new Set(Object.values(errors.ERROR_CODES));

    for (const name of classes) {
      expect(typeof (errors as Record<string, unknown>)[name], name).toBe('function');
    }
  });

  it('serializes an error with its code, kind and data for the status file', () => {
    const err = new errors.StockadeError('LOCK_HELD', 'another run holds the lock', {
      data: { pid: 42 },
      kind: 'transient',
      cause: new Error('EEXIST'),
    });

    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: 'StockadeError',
      code: 'LOCK_HELD',
      kind: 'transient',
      message: 'another run holds the lock',
      data: { pid: 42 },
      cause: 'Error: EEXIST',
    });
    expect(errors.hasCode(err, 'LOCK_HELD')).toBe(true);
    expect(errors.hasCode(new Error('x'), 'LOCK_HELD')).toBe(false);
  });
});
