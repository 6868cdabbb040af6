// SPDX-License-Identifier: BSD-2-Clause
// The Git remote refused the credentials. The administrator must fix them, so the error is
// terminal; neither the message nor `data` ever holds the password or a URL with userinfo.

import { StockadeError } from './stockade-error.js';

/**
 * The remote refused the credentials (HTTP 401/403 or an SSH authentication failure): code
 * GIT_AUTH_FAILED. `data` holds the redacted `url`, the `operation` and the `statusCode` when
 * there is one.
 */
export class GitAuthFailedError extends StockadeError {
  constructor(message: string, data: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GIT_AUTH_FAILED', message, { data, kind: 'terminal', cause: options.cause });
  }
}
