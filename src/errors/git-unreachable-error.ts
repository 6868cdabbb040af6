// SPDX-License-Identifier: BSD-2-Clause
// The Git remote could not be reached or did not answer in time. Retrying later can help, so the
// error is transient; `data.url` never carries credentials.

import { StockadeError } from './stockade-error.js';

/**
 * The remote did not answer in time, refused the connection or failed on its side: code
 * GIT_UNREACHABLE. `data` holds the redacted `url`, the `operation` and a `reason` (network,
 * timeout, http-status).
 */
export class GitUnreachableError extends StockadeError {
  constructor(message: string, data: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GIT_UNREACHABLE', message, { data, kind: 'transient', cause: options.cause });
  }
}
