// SPDX-License-Identifier: BSD-2-Clause
// Raised by the planner when a plan would remove every managed jail, or more of them than the
// node's policy allows in one go: usually a wrong branch, path or selector, not an intent.

import { StockadeError } from './stockade-error.js';

/** The plan was refused by the prune guard; terminal until the policy or manifests change. */
export class PruneGuardError extends StockadeError {
  constructor(data: { removing: number; managed: number; ratio: number; maxPruneRatio: number }) {
    super(
      'PRUNE_GUARD',
      `refused to remove ${data.removing} of ${data.managed} managed jails ` +
        `(ratio ${data.ratio.toFixed(2)}, limit ${data.maxPruneRatio}); set allowPruneAll to proceed`,
      { data, kind: 'terminal' },
    );
  }
}
