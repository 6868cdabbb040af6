// SPDX-License-Identifier: BSD-2-Clause
// Shared scenarios for the planner tests: a small repository and helpers that apply a plan to
// an in-memory host and list step ids.

import type { JailSpec, ManifestDoc } from '../../src/manifest/types.js';
import { planChanges, type PlanOptions } from '../../src/plan/plan.js';
import type { Plan } from '../../src/plan/types.js';
import { compileTopology } from '../../src/topology/compile.js';
import type { Topology } from '../../src/topology/types.js';
import {
  emptyTopology,
  image,
  jail,
  manifestSet,
  network,
  nodeConfig,
  volume,
} from './builders.js';
import { InMemoryHost } from './in-memory-host.js';

export const GUARD: PlanOptions = { maxPruneRatio: 0.5, allowPruneAll: false };

/** A vnet network, an image, a volume and a jail `web` with the given spec on top. */
export function webRepo(web: Partial<JailSpec> = {}, extra: ManifestDoc[] = []): ManifestDoc[] {
  return [
    network('frontend', { cidr: '10.77.1.0/24' }),
    image('base'),
    volume('data', { quota: '1G' }),
    jail('web', { networks: [{ name: 'frontend' }], ...web }),
    ...extra,
  ];
}

/** Compiles documents for the default test node. */
export function compile(docs: ManifestDoc[], previous?: Topology): Topology {
  return compileTopology(
    manifestSet(docs),
    nodeConfig(),
    previous === undefined ? {} : { previous },
  );
}

/** A host that already runs `docs`, and the topology it was given. */
export function hostRunning(docs: ManifestDoc[]): { host: InMemoryHost; applied: Topology } {
  const applied = compile(docs);
  const host = new InMemoryHost();
  host.applyPlan(planChanges(applied, emptyTopology(), GUARD).steps);
  return { host, applied };
}

/** Step ids in plan order. */
export function ids(plan: Plan): string[] {
  return plan.steps.map((s) => s.id);
}

/** The step with `id`; throws when it is missing so the test fails at the right line. */
export function step(plan: Plan, id: string): Plan['steps'][number] {
  const found = plan.steps.find((s) => s.id === id);
  if (found === undefined) throw new Error(`no step ${id} in ${ids(plan).join(', ')}`);
  return found;
}
