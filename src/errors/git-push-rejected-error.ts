// SPDX-License-Identifier: BSD-2-Clause
// The status branch moved under every attempt to push to it. Other nodes are writing at the
// same time; the next run retries, so the error is transient.

import { StockadeError } from './stockade-error.js';

/**
 * The status push was still rejected after every retry: code GIT_PUSH_REJECTED. `data` holds the
 * `branch` and the number of `attempts`.
 */
export class GitPushRejectedError extends StockadeError {
  constructor(message: string, data: Record<string, unknown>, options: { cause?: unknown } = {}) {
    super('GIT_PUSH_REJECTED', message, { data, kind: 'transient', cause: options.cause });
  }
}
