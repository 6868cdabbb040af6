// SPDX-License-Identifier: BSD-2-Clause
// Keeps a jail's known health across a run that did not check it. A run that changes nothing
// runs no health gate, so it reports its untouched jails as `unknown`; publishing that would
// flip the status of healthy jails on every poll until the monitor speaks again.

import type { JailReport, RunReport } from '../run/report.js';

/**
 * `report` with each `unknown` jail given the health `previous` showed for the same instance:
 * same name and same JID, so a jail that was restarted or replaced is never credited with its
 * predecessor's health.
 */
export function carryHealth(report: RunReport, previous: RunReport | undefined): RunReport {
  if (previous === undefined) return report;
  const before = new Map(previous.jails.map((j) => [j.name, j]));
  let carried = false;
  const jails = report.jails.map((jail): JailReport => {
    const old = before.get(jail.name);
    if (jail.health !== 'unknown' || old === undefined || old.health === 'unknown') return jail;
    const same = jail.jid !== undefined && old.jid === jail.jid && old.state === jail.state;
    if (!same || jail.state !== 'running') return jail;
    carried = true;
    return { ...jail, health: old.health };
  });
  return carried ? { ...report, jails } : report;
}
