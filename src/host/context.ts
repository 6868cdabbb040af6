// SPDX-License-Identifier: BSD-2-Clause
// What every adapter and action needs to reach the host: the runner, Stockade's root dataset,
// the state directory and a logger. Built once per driver from the node config.

import type { Logger } from '../log/logger.js';
import type { Runner } from './exec.js';

/** Everything an adapter or action reaches the host through. */
export interface HostContext {
  runner: Runner;
  /** Root dataset Stockade owns, e.g. tank/stockade. */
  root: string;
  /** Directory for Stockade's own records (pf anchor contents). */
  stateDir: string;
  /** Parent pf anchor Stockade loads its anchors under, e.g. stockade. */
  anchor: string;
  /** Release archives by release name. */
  releases: Record<string, string>;
  logger: Logger;
  /** Pause between checks while a removed jail is still dying. */
  pollDelayMs: number;
}

/** Dataset that holds a jail's root under the layout of DESIGN.md. */
export function jailDataset(ctx: HostContext, jail: string): string {
  return `${ctx.root}/jails/${jail}`;
}

/** The jail-side end of an epair whose host-side end is `a`. */
export function peerOf(epair: string): string {
  return epair.endsWith('a') ? `${epair.slice(0, -1)}b` : `${epair}b`;
}
