// SPDX-License-Identifier: BSD-2-Clause
// Raised when pfctl's dry run rejects the rules rendered for an anchor; nothing was loaded.

import { StockadeError } from './stockade-error.js';

/** pfctl -n refused an anchor's rules: code PF_RULES_INVALID; the last good rules stay loaded. */
export class PfRulesInvalidError extends StockadeError {
  constructor(
    data: { anchor: string; line: number | undefined; rule: string | undefined; stderr: string },
    options: { cause?: unknown } = {},
  ) {
    const where = data.line === undefined ? '' : ` line ${data.line}`;
    super('PF_RULES_INVALID', `failed to load pf anchor '${data.anchor}'${where}: ${data.stderr}`, {
      data: { ...data },
      cause: options.cause,
    });
  }
}
