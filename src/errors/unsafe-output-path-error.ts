// SPDX-License-Identifier: BSD-2-Clause
// Raised when the jail's output file cannot be read without leaving the jail root.

import { StockadeError } from './stockade-error.js';

/** A component of the output path is a symlink, or the file is not a plain, singly linked file. */
export class UnsafeOutputPathError extends StockadeError {
  constructor(root: string, path: string, reason: string) {
    super('OUTPUT_PATH_UNSAFE', `refused to read jail output '${path}': ${reason}`, {
      data: { root, path, reason },
      kind: 'terminal',
    });
  }
}
