// SPDX-License-Identifier: BSD-2-Clause
// A jail's health check did not pass within its timeout after an apply; the apply is undone.

import { StockadeError } from './stockade-error.js';

/** Raised by the health gate; `data.jail` names the jail, `data.attempts` the probes made. */
export class HealthGateError extends StockadeError {
  constructor(jail: string, attempts: number) {
    super('HEALTH_CHECK_FAILED', `jail '${jail}' did not become healthy`, {
      data: { jail, attempts },
      kind: 'terminal',
    });
  }
}
