// SPDX-License-Identifier: BSD-2-Clause
// The manifest folder is missing from a commit. Reading it as empty would make the planner
// remove every jail, so the commit is refused instead.

import { StockadeError } from './stockade-error.js';

/**
 * The manifest folder is not in the commit's tree (or is a file): code GIT_PATH_NOT_FOUND. `data`
 * holds the `commit` and the `path`.
 */
export class GitPathNotFoundError extends StockadeError {
  constructor(message: string, data: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GIT_PATH_NOT_FOUND', message, { data, kind: 'terminal', cause: options.cause });
  }
}
