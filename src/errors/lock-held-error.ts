// SPDX-License-Identifier: BSD-2-Clause
// Another Stockade process holds the state directory's lock; only one may apply at a time.

import { StockadeError } from './stockade-error.js';

/** Raised by acquireLock; `data.pid` is the live holder, `data.path` the lock file. */
export class LockHeldError extends StockadeError {
  constructor(path: string, pid: number) {
    super('LOCK_HELD', `state directory is locked by pid ${pid}`, {
      data: { path, pid },
      kind: 'waiting',
    });
  }
}
