// SPDX-License-Identifier: BSD-2-Clause
// The options loading takes from the node: its policy, its own addresses and its CPU count.

import type { PolicyConfig } from '../config/types.js';

/** What the node allows and what it already uses; every field is optional. */
export interface LoadOptions {
  /** The node's policy: allowed jail parameters and ceilings. */
  policy?: PolicyConfig;
  /** Addresses configured on the host itself; a manifest may not claim one. */
  hostAddresses?: string[];
  /** CPUs of the node; caps `resources.pcpu` at 100% per CPU when given. */
  cpuCount?: number;
}
