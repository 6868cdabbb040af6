// SPDX-License-Identifier: BSD-2-Clause
// The order a jail is taken apart in: stop its command, return and destroy its interfaces,
// remove the jail (JID-fenced), confirm it is gone, drop its rctl rules, unmount what is
// mounted below its root, then destroy its dataset. Every stage is idempotent, so a teardown that failed halfway is
// resumed by running it again.

import { removeJail, stopJail } from './actions-jail.js';
import { clearLimits } from './actions-limits.js';
import { removeMount } from './actions-mount.js';
import { destroyEpair } from './actions-net.js';
import { destroyDataset } from './actions-zfs.js';
import { jailDataset, type HostContext } from './context.js';
import { readJailRecord } from './jail-record.js';
import { listMounts, mountsBelow } from './mount.js';

/** Tears the jail down in the order of the module comment; `jid` fences against a newer one. */
export async function teardownJail(
  ctx: HostContext,
  jail: string,
  options: { jid?: number; keepDataset?: boolean } = {},
): Promise<void> {
  const record = await readJailRecord(ctx, jail);
  const jid = options.jid ?? record.jid;

  await stopJail(ctx, jail, jid);
  for (const iface of record.spec?.interfaces ?? []) {
    if (iface.mode === 'vnet' && iface.epair !== undefined) {
      await destroyEpair(ctx, jail, iface.epair);
    }
  }
  await removeJail(ctx, jail, jid);
  // rctl rules are keyed by jail name and outlive the jail: left in place they would limit
  // the next jail of that name. Only a jail that had rules is asked about, so a host without
  // RACCT, where every rctl call fails, can still tear down jails without limits.
  if ((record.spec?.rctl ?? []).length > 0) {
    await clearLimits(ctx, jail);
  }
  if (record.spec !== undefined) {
    for (const mount of mountsBelow(await listMounts(ctx), record.spec.path)) {
      if (mount.fstype !== 'zfs') {
        await removeMount(ctx, mount.target);
      }
    }
  }
  if (options.keepDataset !== true) {
    await destroyDataset(ctx, jailDataset(ctx, jail));
  }
}
