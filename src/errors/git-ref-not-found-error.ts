// SPDX-License-Identifier: BSD-2-Clause
// A branch the node follows does not exist on the remote, or a commit asked for is not in the
// local clone.

import { StockadeError } from './stockade-error.js';

/**
 * A branch is missing on the remote, or a commit is missing from the local clone: code
 * GIT_REF_NOT_FOUND. `data` holds the redacted `url` and the `branch` or `commit`.
 */
export class GitRefNotFoundError extends StockadeError {
  constructor(message: string, data: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GIT_REF_NOT_FOUND', message, { data, kind: 'terminal', cause: options.cause });
  }
}
