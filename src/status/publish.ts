// SPDX-License-Identifier: BSD-2-Clause
// Writes this node's status to the status branch when it changed. The last status written is
// kept in the state directory; a status equal to it but for timestamps makes no commit. A write
// that fails (server unreachable) is retried after the next run, with what is true then.

import type { Logger } from '../log/logger.js';
import type { GitSource } from '../run/ports.js';
import type { RunReport } from '../run/report.js';
import type { StateStore } from '../run/state-store.js';
import { buildNodeStatus, isSameStatus, type NodeStatus } from './node-status.js';

/** State-directory file holding the last status pushed. */
export const WRITTEN_STATUS_FILE = 'status-written.json';
/** State-directory file holding the last status built, pushed or not. */
export const CURRENT_STATUS_FILE = 'status.json';

/** What publishStatus did. */
export interface PublishResult {
  status: NodeStatus;
  /** The status commit, when one was made. */
  commit?: string;
  changed: boolean;
  error?: unknown;
}

/**
 * Builds the node's status from `report` and pushes nodes/<node>.json when it differs from the
 * last one pushed. Never rejects: a failed push is returned in `error` and retried next time.
 */
export async function publishStatus(options: {
  node: string;
  labels: Record<string, string>;
  report: RunReport;
  source: GitSource;
  store: StateStore;
  logger: Logger;
}): Promise<PublishResult> {
  const { node, report, source, store, logger } = options;
  const previous = await store.readJson<NodeStatus>(CURRENT_STATUS_FILE);
  const written = await store.readJson<NodeStatus>(WRITTEN_STATUS_FILE);
  const status = buildNodeStatus({
    node,
    labels: options.labels,
    report,
    applied: await store.readApplied(),
    previous,
  });
  await store.writeJson(CURRENT_STATUS_FILE, status);
  if (isSameStatus(status, written)) return { status, changed: false };

  const message = `status: ${node} ${status.result} ${status.reason}${report.commit === undefined ? '' : ` at ${report.commit.oid.slice(0, 7)}`}`;
  try {
    const commit = await source.writeStatus(
      { [`nodes/${node}.json`]: `${JSON.stringify(status, null, 2)}\n` },
      message,
    );
    await store.writeJson(WRITTEN_STATUS_FILE, status);
    logger.info({ commit: commit ?? null }, 'status written');
    return { status, changed: true, ...(commit === undefined ? {} : { commit }) };
  } catch (error) {
    logger.warn({ err: error }, 'status write failed');
    return { status, changed: true, error };
  }
}
