// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { ManifestInvalidError } from '../../src/errors/manifest-invalid-error.js';
import { StockadeError } from '../../src/errors/stockade-error.js';
import { jailYaml, loadWithBase } from './helpers.js';

describe('ManifestInvalidError', () => {
  it('carries every diagnostic of a failed load and serializes them', () => {
    const result = loadWithBase({ 't.yaml': jailYaml('  replicas: -1\n  bogus: 1\n') });
    if (result.ok) throw new Error('expected the load to fail');

    const err = new ManifestInvalidError(result.errors, result.warnings);

    expect(err).toBeInstanceOf(StockadeError);
    expect(err.code).toBe('MANIFEST_INVALID');
    expect(err.kind).toBe('terminal');
    expect(err.message).toBe('manifests are invalid (2 errors): t.yaml:8:13');
    expect(err.data).toEqual({ errors: result.errors, warnings: [] });
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      code: 'MANIFEST_INVALID',
      data: { errors: [{ code: 'VALUE_OUT_OF_RANGE' }, { code: 'FIELD_UNKNOWN' }] },
    });
  });
});
