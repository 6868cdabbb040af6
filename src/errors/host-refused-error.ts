// SPDX-License-Identifier: BSD-2-Clause
// Raised when the host driver refuses a step because carrying it out could destroy data or touch
// something that is not Stockade's: a mounted or cloned dataset, a symlink in a jail root, a
// newer instance of a jail, a foreign interface. Nothing was changed when it is thrown.

import { StockadeError } from './stockade-error.js';

/** Why a step was refused; each reason is a distinct code callers and the status can act on. */
export type RefusalReason =
  | 'DATASET_IN_USE'
  | 'DATASET_HAS_CLONES'
  | 'SNAPSHOT_MISSING'
  | 'UNSAFE_PATH'
  | 'INVALID_HOST_NAME'
  | 'JAIL_INSTANCE_CHANGED'
  | 'FOREIGN_OBJECT'
  | 'HOST_STATE_UNEXPECTED';

/** A guarded step refused to act; `code` is the reason and `data` names the objects involved. */
export class HostRefusedError extends StockadeError {
  constructor(reason: RefusalReason, message: string, data: Record<string, unknown>) {
    super(reason, message, {
      data,
      kind: reason === 'HOST_STATE_UNEXPECTED' ? 'transient' : 'terminal',
    });
  }
}
