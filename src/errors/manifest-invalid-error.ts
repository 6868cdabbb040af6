// SPDX-License-Identifier: BSD-2-Clause
// The error a caller raises when a commit's manifests do not load: it carries every diagnostic.

import { StockadeError } from './stockade-error.js';
import type { Diagnostic } from '../manifest/diagnostic.js';

/** The manifests of a commit are invalid; `data.errors` holds every diagnostic. Terminal. */
export class ManifestInvalidError extends StockadeError {
  constructor(errors: Diagnostic[], warnings: Diagnostic[] = []) {
    const first = errors[0];
    const where = first === undefined ? '' : `: ${first.file}:${first.line}:${first.column}`;
    super('MANIFEST_INVALID', `manifests are invalid (${errors.length} errors)${where}`, {
      data: { errors, warnings },
      kind: 'terminal',
    });
  }
}
