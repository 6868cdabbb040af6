// SPDX-License-Identifier: BSD-2-Clause
// The error readManifestDir raises when a manifest folder cannot be read safely.

import { StockadeError } from './stockade-error.js';

/** Why a manifest folder was refused. */
export type ManifestDirReason = 'symlink-escape' | 'too-large' | 'unreadable';

const CODES: Record<ManifestDirReason, string> = {
  'symlink-escape': 'MANIFEST_DIR_SYMLINK_ESCAPE',
  'too-large': 'MANIFEST_DIR_TOO_LARGE',
  unreadable: 'MANIFEST_DIR_UNREADABLE',
};

/**
 * A manifest folder could not be read: a symlink leads outside it, it holds too much, or a read
 * failed. `data.path` is the offending path relative to the folder. Terminal: the folder's
 * content must change.
 */
export class ManifestDirError extends StockadeError {
  readonly reason: ManifestDirReason;

  constructor(
    reason: ManifestDirReason,
    message: string,
    data: { dir: string; path: string; [key: string]: unknown },
    cause?: unknown,
  ) {
    super(CODES[reason], message, { data, kind: 'terminal', cause });
    this.reason = reason;
  }
}
