// SPDX-License-Identifier: BSD-2-Clause
// A transfer from the Git remote grew past the configured size limit and was cut off, so a huge
// or hostile repository cannot exhaust the node's memory.

import { StockadeError } from './stockade-error.js';

/**
 * A transfer went past the configured byte limit and was aborted: code GIT_TRANSFER_TOO_LARGE.
 * `data` holds the redacted `url`, `limitBytes` and `receivedBytes` (at the moment of the abort).
 */
export class GitTransferTooLargeError extends StockadeError {
  constructor(message: string, data: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GIT_TRANSFER_TOO_LARGE', message, { data, kind: 'terminal', cause: options.cause });
  }
}
