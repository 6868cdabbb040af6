// SPDX-License-Identifier: BSD-2-Clause
// The machine-readable status of one node (nodes/<node>.json on the status branch), built from
// a run report and the topology the node runs. Pure: no I/O. Holds no repository URL and no
// credential, only what the node runs and why.

import type { PlanReport, ReportedError, RunReport } from '../run/report.js';
import type { Topology } from '../topology/types.js';
import { type ConditionType, REASONS, type Reason } from './reasons.js';

/** One condition: Ready is always present; negative ones only while they hold. */
export interface Condition {
  type: ConditionType;
  status: 'True' | 'False';
  reason: Reason;
  message: string;
  /** Commit the condition was observed at. */
  commit: string | null;
}

/** The topology as the diagram draws it. */
export interface StatusGraph {
  networks: string[];
  volumes: string[];
  jails: { name: string; networks: string[]; volumes: { name: string; readonly: boolean }[] }[];
  services: { name: string; jails: string[] }[];
}

export interface NodeStatus {
  apiVersion: 'stockade/v1';
  kind: 'NodeStatus';
  node: string;
  labels: Record<string, string>;
  /** The commit the host runs, and the one the last run looked at. */
  applied: { commit: string; message: string } | null;
  observed: string | null;
  pinned: boolean;
  result: RunReport['result'];
  reason: Reason;
  message: string;
  failedStep: string | null;
  conditions: Condition[];
  plan: PlanReport | null;
  jails: RunReport['jails'];
  rollbackPoints: string[];
  errors: ReportedError[];
  warnings: string[];
  graph: StatusGraph;
  /** Ignored when deciding whether the status changed. */
  updatedAt: string;
}

/**
 * Builds the status of `node` after `report`. While the repository is unreachable the previous
 * status is kept as it was, plus a SourceUnavailable condition, so an outage is reported once
 * and a flaky server does not make the status flap.
 */
export function buildNodeStatus(options: {
  node: string;
  labels: Record<string, string>;
  report: RunReport;
  applied?: { commit: { oid: string; message: string }; topology: Topology } | undefined;
  previous?: NodeStatus | undefined;
}): NodeStatus {
  const { report, previous } = options;
  if (report.reason === REASONS.SourceUnavailable && previous !== undefined) {
    const others = previous.conditions.filter((c) => c.type !== 'SourceUnavailable');
    return {
      ...previous,
      conditions: [...others, condition('SourceUnavailable', report, 'True')],
      updatedAt: report.finishedAt,
    };
  }

  const applied = options.applied;
  const status: NodeStatus = {
    apiVersion: 'stockade/v1',
    kind: 'NodeStatus',
    node: options.node,
    labels: options.labels,
    applied:
      applied === undefined
        ? null
        : { commit: applied.commit.oid, message: firstLine(applied.commit.message) },
    observed: report.commit?.oid ?? null,
    pinned: report.pinned,
    result: report.result,
    reason: report.reason,
    message: report.message,
    failedStep: report.failedStep ?? null,
    conditions: conditionsOf(report),
    plan: report.plan ?? null,
    jails: report.jails,
    rollbackPoints: report.rollbackPoints,
    errors: report.errors,
    warnings: report.warnings,
    graph: graphOf(applied?.topology),
    updatedAt: report.finishedAt,
  };
  return keepLastChange(status, previous);
}

/**
 * A run that found nothing to do on the commit the previous status already reported keeps that
 * status's account of the last change, so every deploy makes one status commit, not two.
 */
function keepLastChange(status: NodeStatus, previous: NodeStatus | undefined): NodeStatus {
  const quiet = status.result === 'NoChange' && status.reason === REASONS.UpToDate;
  if (!quiet || previous === undefined || previous.applied?.commit !== status.applied?.commit)
    return status;
  if (previous.result !== 'Applied' || previous.pinned !== status.pinned) return status;
  return {
    ...status,
    result: previous.result,
    reason: previous.reason,
    message: previous.message,
    plan: previous.plan,
    conditions: status.conditions.map((c) => ({
      ...c,
      reason: previous.reason,
      message: previous.message,
    })),
  };
}

/** True when two statuses differ in more than their timestamps. */
export function isSameStatus(a: NodeStatus | undefined, b: NodeStatus | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return JSON.stringify({ ...a, updatedAt: '' }) === JSON.stringify({ ...b, updatedAt: '' });
}

/** The diagram's view of a topology: names only, sorted. */
export function graphOf(topology: Topology | undefined): StatusGraph {
  if (topology === undefined) return { networks: [], volumes: [], jails: [], services: [] };
  const jails = Object.values(topology.jails)
    .map((j) => ({
      name: j.name,
      networks: [...new Set(j.interfaces.map((i) => i.network))].sort(),
      volumes: j.mounts
        .map((m) => ({ name: m.volume, readonly: m.readonly }))
        .sort((x, y) => x.name.localeCompare(y.name)),
    }))
    .sort((x, y) => x.name.localeCompare(y.name));
  const networks = [...new Set(Object.values(topology.netifs).map((n) => n.network))].sort();
  const volumes = Object.values(topology.datasets)
    .filter((d) => d.role === 'volume')
    .map((d) => d.name.slice(d.name.lastIndexOf('/') + 1))
    .sort();
  const byAddress = new Map<string, string>();
  for (const jail of Object.values(topology.jails)) {
    for (const i of jail.interfaces) byAddress.set(i.address.split('/')[0] ?? i.address, jail.name);
  }
  const services = topology.hosts
    .map((h) => ({
      name: h.name,
      jails: [...new Set(h.addresses.flatMap((a) => byAddress.get(a) ?? []))].sort(),
    }))
    // Host entries that are jails' own names are not services.
    .filter((s) => !(s.jails.length === 1 && s.jails[0] === s.name))
    .sort((x, y) => x.name.localeCompare(y.name));
  return { networks, volumes, jails, services };
}

function conditionsOf(report: RunReport): Condition[] {
  const ok =
    report.result === 'Applied' ||
    (report.result === 'NoChange' && report.reason !== REASONS.DriftDetected);
  const unhealthy = report.jails.some((j) => j.health === 'unhealthy');
  const conditions = [condition('Ready', report, ok && !unhealthy ? 'True' : 'False')];
  const add = (type: ConditionType, holds: boolean) => {
    if (holds) conditions.push(condition(type, report, 'True'));
  };
  add('ValidationFailed', report.result === 'ValidationFailed');
  add(
    'ApplyFailed',
    report.result === 'RolledBack' ||
      (report.result === 'Failed' && report.reason !== REASONS.SourceUnavailable),
  );
  add('HealthCheckFailed', report.reason === REASONS.HealthCheckFailed || unhealthy);
  add('DriftDetected', report.reason === REASONS.DriftDetected);
  add('SourceUnavailable', report.reason === REASONS.SourceUnavailable);
  add('Pinned', report.pinned);
  return conditions;
}

function condition(type: ConditionType, report: RunReport, status: 'True' | 'False'): Condition {
  const reason = type === 'Pinned' ? REASONS.Pinned : report.reason;
  const message =
    type === 'Pinned' ? 'node runs a rolled-back commit, not the branch tip' : report.message;
  return { type, status, reason, message, commit: report.commit?.oid ?? null };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}
