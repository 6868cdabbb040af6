// SPDX-License-Identifier: BSD-2-Clause
// A host call, a step or a whole run took longer than its deadline. Transient: the next run
// starts over from an observe.

import { StockadeError } from './stockade-error.js';

/** Raised by withDeadline; `data.what` names the call, `data.timeoutMs` the limit. */
export class DeadlineError extends StockadeError {
  constructor(what: string, timeoutMs: number) {
    super('DEADLINE_EXCEEDED', `${what} did not finish within ${timeoutMs} ms`, {
      data: { what, timeoutMs },
      kind: 'transient',
    });
  }
}
