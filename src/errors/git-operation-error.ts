// SPDX-License-Identifier: BSD-2-Clause
// A Git operation failed for a reason none of the more specific Git errors covers (a corrupt
// object, a git CLI failure). The text it carries has had credentials removed.

import { StockadeError } from './stockade-error.js';

/**
 * Any other failure of a Git operation: code GIT_OPERATION_FAILED. `data` holds the `operation`,
 * the redacted `url` and, for the git CLI, the `argv`, `exitCode` and redacted `stderrTail`.
 */
export class GitOperationError extends StockadeError {
  constructor(message: string, data: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GIT_OPERATION_FAILED', message, { data, kind: 'terminal', cause: options.cause });
  }
}
