// SPDX-License-Identifier: BSD-2-Clause
// Carries out one plan step on the host by dispatching to the action of its type. Every action
// is idempotent: it reads first and changes only what differs, so a step applied twice issues
// only read commands the second time.

import type { JailFile, PlanStep, StepAction } from '../plan/types.js';
import {
  configureNetwork,
  createJail,
  removeJail,
  startCommand,
  stopJail,
} from './actions-jail.js';
import { clearLimits, setCpus, setLimits } from './actions-limits.js';
import { addMount, removeMount } from './actions-mount.js';
import {
  createEpair,
  createNetif,
  destroyEpair,
  destroyNetif,
  updateNetif,
} from './actions-net.js';
import { flushAnchor, killTable, loadAnchor, replaceTable } from './actions-pf.js';
import {
  cloneDataset,
  createDataset,
  destroyDataset,
  snapshotDataset,
  updateDataset,
} from './actions-zfs.js';
import type { HostContext } from './context.js';
import { writeJailFiles } from './files.js';
import { buildImage } from './image.js';
import { patchJailRecord } from './jail-record.js';

/** Applies `step`; rejects with the error of the first command or guard that failed. */
export async function applyStep(ctx: HostContext, step: PlanStep): Promise<void> {
  const logger = ctx.logger.child({ step: step.id });
  logger.debug({ action: step.action.type }, 'step started');
  await applyAction({ ...ctx, logger }, step.action);
  logger.debug({ action: step.action.type }, 'step finished');
}

/** The dispatch table itself, for callers that hold an action without a step. */
export async function applyAction(ctx: HostContext, action: StepAction): Promise<void> {
  switch (action.type) {
    case 'dataset.create':
      return createDataset(ctx, action.dataset);
    case 'dataset.update':
      return updateDataset(ctx, action.name, action.properties, action.marks);
    case 'dataset.clone':
      return cloneDataset(ctx, action.dataset);
    case 'dataset.snapshot':
      return snapshotDataset(ctx, action.name, action.snapshot);
    case 'dataset.destroy':
      return destroyDataset(ctx, action.name);
    case 'image.build':
      return buildImage(ctx, action.image);
    case 'netif.create':
      return createNetif(ctx, action.netif);
    case 'netif.update':
      return updateNetif(ctx, action.netif);
    case 'netif.destroy':
      return destroyNetif(ctx, action.name);
    case 'file.write':
      return writeFiles(ctx, action.jail, action.root, action.files);
    case 'mount.add':
      return addMount(ctx, action.jail, action.mount);
    case 'epair.create':
      return createEpair(ctx, action.iface);
    case 'jail.create':
      return createJail(ctx, action.jail);
    case 'jail.configureNetwork':
      return configureNetwork(ctx, action.jail, action.iface);
    case 'jail.startCommand':
      return startCommand(ctx, action.jail, action.command, action.env);
    case 'jail.stop':
      return stopJail(ctx, action.jail, action.jid);
    case 'epair.destroy':
      return destroyEpair(ctx, action.jail, action.epair);
    case 'jail.remove':
      return removeJail(ctx, action.jail, action.jid);
    case 'mount.remove':
      return removeMount(ctx, action.target);
    case 'rctl.set':
      return setLimits(ctx, action.jail, action.rules);
    case 'rctl.clear':
      return clearLimits(ctx, action.jail);
    case 'cpuset.set':
      return setCpus(ctx, action.jail, action.cpus);
    case 'pf.loadAnchor':
      return loadAnchor(ctx, action.anchor, action.rules);
    case 'pf.flushAnchor':
      return flushAnchor(ctx, action.anchor);
    case 'pf.replaceTable':
      return replaceTable(ctx, action.anchor, action.table, action.addresses);
    case 'pf.killTable':
      return killTable(ctx, action.anchor, action.table);
    case 'volume.retain':
      ctx.logger.info({ dataset: action.dataset, action: action.type }, 'volume retained');
      return;
    default:
      return unknownAction(action);
  }
}

/** A step type added to the contract without a handler here fails to compile. */
function unknownAction(action: never): never {
  throw new Error(`unknown step action ${JSON.stringify(action)}`);
}

async function writeFiles(
  ctx: HostContext,
  jail: string,
  root: string,
  files: JailFile[],
): Promise<void> {
  const written = await writeJailFiles(root, files);
  if (written.length > 0) {
    ctx.logger.info({ jail, action: 'file.write' }, 'jail files written');
  }
  // The step carries the jail's whole file list, so the record takes it as it is.
  await patchJailRecord(ctx, jail, (spec) => ({ ...spec, files }));
}
