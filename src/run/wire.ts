// SPDX-License-Identifier: BSD-2-Clause
// Wires the sync engine to the real modules: the manifest loader, the topology compiler, the
// planner, the FreeBSD host driver, the Git source and the health probes. The only file of
// src/run that imports them; everything else in src/run sees the interfaces.

import { join } from 'node:path';

import { readSecret } from '../config/load.js';
import type { NodeConfig } from '../config/types.js';
import { createGitSource } from '../git/source.js';
import { probe } from '../health/probes.js';
import { createHostDriver } from '../host/driver.js';
import type { Logger } from '../log/logger.js';
import { loadManifests } from '../manifest/load.js';
import { planChanges } from '../plan/plan.js';
import { renderStatusIndex } from '../status/render-markdown.js';
import { compileTopology } from '../topology/compile.js';
import { type EngineDeps, type PlanFn, systemClock } from './deps.js';
import { createEngine, type Engine } from './engine.js';
import type { GitSource, HostDriver } from './ports.js';

/** Deadline of each Git network operation. */
export const GIT_TIMEOUT_MS = 120_000;

/** The real collaborators for `config`; reads the repository password from its file or env. */
export async function createRealDeps(
  config: NodeConfig,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EngineDeps & { source: GitSource; host: HostDriver }> {
  const host = createHostDriver(config, { logger });
  const source = createGitSource({
    url: config.repository.url,
    branch: config.repository.branch,
    path: config.repository.path,
    dir: join(config.stateDir, 'git'),
    ...(await credentialsOf(config, env)),
    statusBranch: config.repository.statusBranch,
    author: { name: `stockade ${config.name}`, email: `${config.name}@stockade.invalid` },
    timeoutMs: GIT_TIMEOUT_MS,
    logger,
    renderStatus: renderStatusIndex,
    ...(config.tools.git === undefined ? {} : { gitPath: config.tools.git }),
    ...(config.repository.transport === undefined
      ? {}
      : { transport: config.repository.transport }),
    ...(config.repository.knownHostsFile === undefined
      ? {}
      : { knownHostsFile: config.repository.knownHostsFile }),
    ...(config.repository.identityFile === undefined
      ? {}
      : { identityFile: config.repository.identityFile }),
  });
  return {
    config,
    source,
    host,
    load: (files, options) => loadManifests(files, options ?? {}),
    compile: (manifests, c, options) => compileTopology(manifests, c, options),
    plan: (desired, observed, options) => planChanges(desired, observed.topology, options),
    probe: async (jail, check) => {
      const address = jail.interfaces[0]?.address.split('/')[0] ?? '';
      return (await probe({ address, jail: jail.name }, check, { exec: host.exec })).ok;
    },
    clock: systemClock,
    logger,
  };
}

/** An engine over the real modules, with the Git source, host driver and planner it uses. */
export async function createRealEngine(
  config: NodeConfig,
  logger: Logger,
): Promise<{ engine: Engine; source: GitSource; host: HostDriver; plan: PlanFn }> {
  const deps = await createRealDeps(config, logger);
  return { engine: createEngine(deps), source: deps.source, host: deps.host, plan: deps.plan };
}

async function credentialsOf(
  config: NodeConfig,
  env: NodeJS.ProcessEnv,
): Promise<{ credentials?: { username: string; password: string } }> {
  const c = config.repository.credentials;
  if (c === undefined) return {};
  const password = await readSecret({ file: c.passwordFile, env: c.passwordEnv }, env);
  if (password === undefined) return {};
  return { credentials: { username: c.username ?? 'git', password } };
}
