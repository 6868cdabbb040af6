// SPDX-License-Identifier: BSD-2-Clause
// Planning on a node: compile a commit's manifests for this node and plan against what the
// host driver observed. Pure: the caller observes the host and loads the manifests.

import type { NodeConfig } from '../config/types.js';
import type { ManifestSet } from '../manifest/types.js';
import { compileTopology } from '../topology/compile.js';
import type { ObservedHost, Topology } from '../topology/types.js';
import { planChanges } from './plan.js';
import type { Plan } from './types.js';

/** What planAgainstHost returns: the desired topology (to store once applied) and the plan. */
export interface HostPlan {
  desired: Topology;
  plan: Plan;
}

/**
 * Compiles `manifests` for the node `config` and plans against `observed`. `applied` is the
 * topology last applied on this node: jails keep its addresses, and host differences from it
 * show as drift. The prune guard uses the node's policy. Throws TopologyError or
 * PruneGuardError.
 */
export function planAgainstHost(
  manifests: ManifestSet,
  config: NodeConfig,
  observed: ObservedHost,
  options: { applied?: Topology; mountPrefix?: string } = {},
): HostPlan {
  const desired = compileTopology(manifests, config, {
    hostAddresses: observed.foreign.hostAddresses,
    ...(options.applied === undefined ? {} : { previous: options.applied }),
    ...(options.mountPrefix === undefined ? {} : { mountPrefix: options.mountPrefix }),
  });
  const plan = planChanges(desired, observed.topology, {
    maxPruneRatio: config.policy.maxPruneRatio,
    allowPruneAll: config.policy.allowPruneAll,
    ...(options.applied === undefined ? {} : { applied: options.applied }),
  });
  return { desired, plan };
}
