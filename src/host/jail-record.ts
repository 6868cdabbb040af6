// SPDX-License-Identifier: BSD-2-Clause
// The record of a jail kept on its root dataset: the JailNode as last applied (without file
// contents, which can be large and secret) and the JID Stockade started. Observe reads it back
// for every field the tools cannot report.

import type { JailNode } from '../topology/types.js';
import { jailDataset, type HostContext } from './context.js';
import { decodeRecord, encodeRecord, MARK_JID, RECORD_CHUNKS, RECORD_JAIL } from './marks.js';
import * as zfs from './zfs.js';

/** What the jail's dataset says about it. */
export interface JailRecord {
  spec?: JailNode;
  /** JID of the instance Stockade started last. */
  jid?: number;
  /** Whether the jail's dataset exists at all. */
  dataset: boolean;
}

/** Reads the record of `jail` with one `zfs get`. */
export async function readJailRecord(ctx: HostContext, jail: string): Promise<JailRecord> {
  const names = Array.from({ length: RECORD_CHUNKS }, (_, i) =>
    i === 0 ? RECORD_JAIL : `${RECORD_JAIL}.${i}`,
  );
  const rows = await zfs.getProperties(ctx, jailDataset(ctx, jail), [MARK_JID, ...names]);
  const marks = Object.fromEntries(
    rows.filter((r) => r.source === 'local').map((r) => [r.property, r.value]),
  );
  const spec = decodeRecord<JailNode>(marks, RECORD_JAIL);
  const jid = Number(marks[MARK_JID]);
  return {
    dataset: rows.length > 0,
    ...(spec === undefined ? {} : { spec }),
    ...(Number.isInteger(jid) && marks[MARK_JID] !== undefined ? { jid } : {}),
  };
}

/** Writes the record of `jail`, and the JID when given. */
export async function writeJailRecord(
  ctx: HostContext,
  jail: JailNode,
  jid?: number,
): Promise<void> {
  const props = encodeRecord(RECORD_JAIL, toRecord(jail));
  await zfs.setProperties(ctx, jailDataset(ctx, jail.name), {
    ...props,
    ...(jid === undefined ? {} : { [MARK_JID]: String(jid) }),
  });
}

/** Merges `patch` into the record when one exists and differs; read-only otherwise. */
export async function patchJailRecord(
  ctx: HostContext,
  jail: string,
  patch: (spec: JailNode) => JailNode,
): Promise<void> {
  const record = await readJailRecord(ctx, jail);
  if (record.spec === undefined) {
    return;
  }
  const next = toRecord(patch(record.spec));
  if (JSON.stringify(next) === JSON.stringify(toRecord(record.spec))) {
    return;
  }

  await zfs.setProperties(ctx, jailDataset(ctx, jail), encodeRecord(RECORD_JAIL, next));
}

/** The JailNode as stored: no runtime fields, no file contents. */
export function toRecord(jail: JailNode): JailNode {
  const record: JailNode = {
    ...jail,
    running: false,
    files: jail.files.map((f) => ({ ...f, content: '' })),
  };
  delete record.jid;
  return record;
}
