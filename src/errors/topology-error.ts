// SPDX-License-Identifier: BSD-2-Clause
// Raised when a validated manifest set still cannot be compiled into a topology for this node:
// a network ran out of addresses, two derived names collided, a size or address is malformed.

import { StockadeError } from './stockade-error.js';

/** The reasons compile can refuse a manifest set; each is a stable code. */
export type TopologyErrorCode =
  | 'INVALID_SIZE'
  | 'INVALID_ADDRESS'
  | 'ADDRESS_EXHAUSTED'
  | 'ADDRESS_CONFLICT'
  | 'IFACE_NAME_COLLISION'
  | 'UNKNOWN_REFERENCE';

/** A manifest set that passed validation but cannot become a topology; terminal. */
export class TopologyError extends StockadeError {
  constructor(code: TopologyErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(code, message, { data, kind: 'terminal' });
  }
}
