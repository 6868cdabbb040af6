// SPDX-License-Identifier: BSD-2-Clause
// `stockade plan` on a node (no --base/--head): the plan that the next run would carry out,
// from the tip of the tracked branch (or a local folder with --dir) against what the host runs
// now. It reads the host and the repository but changes neither.

import type { NodeConfig } from '../config/types.js';
import { formatDiagnostic } from '../manifest/diagnostic.js';
import { loadManifests } from '../manifest/load.js';
import { readManifestDir } from '../manifest/read-dir.js';
import { planAgainstHost } from '../plan/plan-host.js';
import type { Plan } from '../plan/types.js';
import { createRealDeps } from '../run/wire.js';
import { openStateStore } from '../run/state-store.js';
import { silentLogger } from '../log/logger.js';

/**
 * Observes the host, loads the manifests of the branch tip (or of `dir`), and plans. Resolves
 * undefined after printing the diagnostics when the manifests are invalid.
 */
export async function planOnNode(options: {
  config: NodeConfig;
  dir?: string;
}): Promise<Plan | undefined> {
  const { config } = options;
  const deps = await createRealDeps(config, silentLogger);
  const observed = await deps.host.observe();

  let files: Map<string, Uint8Array>;
  if (options.dir === undefined) {
    const tip = await deps.source.fetch();
    files = await deps.source.readTree(tip.oid);
  } else {
    files = await readManifestDir(options.dir);
  }
  const loaded = loadManifests(files, {
    policy: config.policy,
    hostAddresses: observed.foreign.hostAddresses.map((a) => a.split('/')[0] ?? a),
  });
  for (const warning of loaded.warnings) process.stderr.write(`${formatDiagnostic(warning)}\n`);
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`${formatDiagnostic(error)}\n`);
    return undefined;
  }

  const applied = await openStateStore(config.stateDir).readApplied();
  const { plan } = planAgainstHost(loaded.manifests, config, observed, {
    ...(applied === undefined ? {} : { applied: applied.topology }),
  });
  return plan;
}
