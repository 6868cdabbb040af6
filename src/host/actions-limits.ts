// SPDX-License-Identifier: BSD-2-Clause
// Resource limits: rctl rules reconciled as a set (stale rules removed exactly, missing ones
// added) and the jail's CPU set, which cpuset(1) only takes by JID.

import { HostRefusedError } from '../errors/host-refused-error.js';
import type { JailNode, RctlRule } from '../topology/types.js';
import type { HostContext } from './context.js';
import { expandCpuList, getJailMask, setJailMask } from './cpuset.js';
import { getJid } from './jail.js';
import { patchJailRecord, readJailRecord } from './jail-record.js';
import { addRules, formatJailRule, listRules, removeRules } from './rctl.js';

/** Makes the jail's rctl rules exactly `rules`. */
export async function setLimits(ctx: HostContext, jail: string, rules: RctlRule[]): Promise<void> {
  const current = (await listRules(ctx, `jail:${jail}`)).filter(
    (r) => r.subject === 'jail' && r.id === jail,
  );
  const wanted = new Set(rules.map((r) => formatJailRule(jail, r)));
  const have = new Set(
    current.map((r) => `${formatJailRule(jail, r)}${r.per === undefined ? '' : `/${r.per}`}`),
  );

  const stale = [...have].filter((rule) => !wanted.has(rule));
  if (stale.length > 0) {
    await removeRules(ctx, stale);
  }
  const missing = [...wanted].filter((rule) => !have.has(rule));
  if (missing.length > 0) {
    await addRules(ctx, missing);
  }
}

/** Removes every rule of the jail, only when it has any (rctl -r fails when none match). */
export async function clearLimits(ctx: HostContext, jail: string): Promise<void> {
  const current = (await listRules(ctx, `jail:${jail}`)).filter(
    (r) => r.subject === 'jail' && r.id === jail,
  );
  if (current.length === 0) {
    return;
  }

  await removeRules(ctx, [`jail:${jail}`]);
}

/**
 * Pins the running jail to `cpus` (a cpuset list) unless it already is. `all` undoes an earlier
 * pin: it is applied only when the record says the jail was pinned, since the full CPU list of
 * the host is not known here.
 */
export async function setCpus(ctx: HostContext, jail: string, cpus: string): Promise<void> {
  const jid = await getJid(ctx, jail);
  if (jid === undefined) {
    throw new HostRefusedError('HOST_STATE_UNEXPECTED', `jail '${jail}': jail is not running`, {
      jail,
      detail: 'not running',
    });
  }

  if (cpus === 'all') {
    const record = await readJailRecord(ctx, jail);
    const pinned = record.spec?.cpuset;
    if (pinned !== undefined && pinned !== 'all') {
      await setJailMask(ctx, jid, 'all');
      await patchJailRecord(ctx, jail, (spec) => withoutCpuset(spec));
    }
    return;
  }
  const wanted = expandCpuList(cpus);
  const current = await getJailMask(ctx, jid);
  if (wanted === undefined || current.join(',') !== wanted.join(',')) {
    await setJailMask(ctx, jid, cpus);
  }
  await patchJailRecord(ctx, jail, (spec) => ({ ...spec, cpuset: cpus }));
}

function withoutCpuset(spec: JailNode): JailNode {
  const next = { ...spec };
  delete next.cpuset;
  return next;
}
