// SPDX-License-Identifier: BSD-2-Clause
// Raised when a manifest duration (health interval, timeout, start period) cannot be read.

import { StockadeError } from './stockade-error.js';

/** A duration string that is not a positive whole number followed by ms, s, m or h. */
export class InvalidDurationError extends StockadeError {
  constructor(value: string, field?: string) {
    super('INVALID_DURATION', `invalid duration '${value}'`, {
      data: { value, ...(field === undefined ? {} : { field }) },
      kind: 'terminal',
    });
  }
}
