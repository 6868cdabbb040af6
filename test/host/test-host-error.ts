// SPDX-License-Identifier: BSD-2-Clause
// The one error class of the Linux test host. It lives beside the test host rather than in
// src/errors because production code never raises it.

import { StockadeError } from '../../src/errors/stockade-error.js';

/** Stable codes of the test host's failures; tests assert these, never message text. */
export type TestHostErrorCode =
  | 'TEST_HOST_PACKAGES_MISSING'
  | 'TEST_HOST_FUSE_MISSING'
  | 'TEST_HOST_ZFS_DAEMON_FAILED'
  | 'TEST_HOST_POOL_FAILED'
  | 'TEST_HOST_RELEASE_FAILED'
  | 'TEST_HOST_SIMULATOR_MISSING'
  | 'TEST_HOST_START_FAILED'
  | 'TEST_HOST_TEARDOWN_FAILED'
  | 'TEST_HOST_NOT_UP';

/** A test host could not be installed, started or torn down; `data` names what and where. */
export class TestHostError extends StockadeError {
  constructor(
    code: TestHostErrorCode,
    message: string,
    options: { data?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(code, message, { ...options, kind: 'terminal' });
  }
}
