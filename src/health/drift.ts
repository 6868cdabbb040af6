// SPDX-License-Identifier: BSD-2-Clause
// Drift between commits: compares the last applied desired topology with a fresh observation for
// the things that change behind Stockade's back (a jail stopped by hand, a missing epair or
// mount, a changed rctl rule set, a flushed pf anchor or table) and returns repair steps for what
// self-healing may put back. Pure. Stopped jails, rctl, anchors and tables go through the
// planner (diffTopology and planChanges) on a topology cut down to the drifted objects; the
// diff does not look at the epairs and mounts of a running jail, so those are compared here.

import { planChanges } from '../plan/plan.js';
import type { PlanStep, StepAction } from '../plan/types.js';
import type { AnchorNode, JailNode, RctlRule, TableNode, Topology } from '../topology/types.js';

/** The kinds of drift this module detects. */
export type DriftKind =
  | 'JailStopped'
  | 'EpairMissing'
  | 'MountMissing'
  | 'RctlChanged'
  | 'AnchorFlushed'
  | 'TableChanged';

/** One drift finding for the status. `healed` is true when repair steps were returned for it. */
export interface DriftRecord {
  kind: DriftKind;
  /** The jail, or the anchor path, or `<anchor>:<table>`. */
  target: string;
  detail: string;
  healed: boolean;
}

/** Findings and the steps that repair the healed ones, ordered and in waves. */
export interface DriftResult {
  records: DriftRecord[];
  steps: PlanStep[];
}

/**
 * Compares `desired` (the last applied topology, with tables as they should be now) with
 * `observed`. Jails the desired topology does not hold are never looked at, so foreign jails
 * and leftovers are the planner's business at the next commit. Repairs are returned only where
 * self-healing is on: `nodeSelfHeal` for everything, and the jail's own `selfHeal` for its
 * jail-level findings. An anchor counts as drifted only when it lost its rules: its text is the
 * next commit's business. Repairs never destroy anything.
 */
export function detectDrift(input: {
  desired: Topology;
  observed: Topology;
  nodeSelfHeal: boolean;
}): DriftResult {
  const { desired, observed, nodeSelfHeal } = input;
  const records: DriftRecord[] = [];
  const local: PlanStep[] = [];
  // The cut-down pair the planner sees: only drifted objects, with everything else equal.
  const want = emptyLike(desired);
  const have = emptyLike(desired);
  for (const name of Object.keys(desired.jails).sort()) {
    const jail = desired.jails[name] as JailNode;
    const heal = nodeSelfHeal && jail.selfHeal;
    const seen = observed.jails[name];
    for (const finding of checkJail(jail, seen)) {
      records.push({ kind: finding.kind, target: name, detail: finding.detail, healed: heal });
      if (!heal) continue;

      local.push(...finding.steps.map((step) => withDetail(step, finding.detail)));
      if (finding.kind === 'JailStopped' || finding.kind === 'RctlChanged') {
        want.jails[name] = jail;
        have.jails[name] = { ...jail, running: seen?.running ?? false, rctl: seen?.rctl ?? [] };
      }
    }
  }

  for (const finding of checkPf(desired, observed)) {
    records.push({ ...finding, healed: nodeSelfHeal });
    if (!nodeSelfHeal) continue;

    if (finding.kind === 'AnchorFlushed') {
      want.anchors[finding.target] = desired.anchors[finding.target] as AnchorNode;
    } else {
      want.tables[finding.target] = desired.tables[finding.target] as TableNode;
      const seen = observed.tables[finding.target];
      if (seen !== undefined) have.tables[finding.target] = seen;
    }
  }

  const planned = planChanges(want, have, {
    maxPruneRatio: 0,
    allowPruneAll: false,
    applied: want,
  });
  return { records, steps: assignWaves([...planned.steps, ...local]) };
}

interface JailFinding {
  kind: DriftKind;
  detail: string;
  steps: PlanStep[];
}

function checkJail(jail: JailNode, seen: JailNode | undefined): JailFinding[] {
  if (seen === undefined || !seen.running) {
    const detail = seen === undefined ? 'jail is not on the host' : 'jail is not running';
    return [{ kind: 'JailStopped', detail, steps: [] }];
  }

  const findings: JailFinding[] = [];
  for (const iface of jail.interfaces) {
    if (iface.epair === undefined) continue;

    const current = seen.interfaces.find((i) => i.network === iface.network);
    if (current?.epair !== iface.epair) {
      const create = makeStep(
        jail.name,
        { type: 'epair.create', jail: jail.name, iface },
        iface.network,
      );
      const configure = makeStep(
        jail.name,
        { type: 'jail.configureNetwork', jail: jail.name, iface },
        iface.network,
        [create.id],
      );
      const detail = `epair ${iface.epair} for network ${iface.network} is missing`;
      findings.push({ kind: 'EpairMissing', detail, steps: [create, configure] });
    }
  }

  const mounted = new Set(seen.mounts.map((m) => m.target));
  for (const mount of jail.mounts) {
    if (mounted.has(mount.target)) continue;

    const step = makeStep(jail.name, { type: 'mount.add', jail: jail.name, mount }, mount.target);
    findings.push({
      kind: 'MountMissing',
      detail: `${mount.target} is not mounted`,
      steps: [step],
    });
  }

  const want = formatRules(jail.rctl);
  const have = formatRules(seen.rctl);
  if (want.join(',') !== have.join(',')) {
    const detail = `rctl rules are [${have.join(', ')}], expected [${want.join(', ')}]`;
    findings.push({ kind: 'RctlChanged', detail, steps: [] });
  }
  return findings;
}

function checkPf(desired: Topology, observed: Topology): Omit<DriftRecord, 'healed'>[] {
  const found: Omit<DriftRecord, 'healed'>[] = [];
  for (const path of Object.keys(desired.anchors).sort()) {
    const anchor = desired.anchors[path];
    if (anchor === undefined || anchor.rules.length === 0) continue;
    if ((observed.anchors[path]?.rules.length ?? 0) > 0) continue;

    found.push({ kind: 'AnchorFlushed', target: path, detail: 'anchor has no rules' });
  }

  for (const key of Object.keys(desired.tables).sort()) {
    const table = desired.tables[key];
    if (table === undefined) continue;

    const want = [...table.addresses].sort();
    const seen = observed.tables[key];
    const have = seen === undefined ? undefined : [...seen.addresses].sort();
    if (have !== undefined && have.join(',') === want.join(',')) continue;

    const detail =
      have === undefined
        ? 'table is missing'
        : `table holds [${have.join(', ')}], expected [${want.join(', ')}]`;
    found.push({ kind: 'TableChanged', target: key, detail });
  }
  return found;
}

/** A topology with the root of `like` and nothing else. */
function emptyLike(like: Topology): Topology {
  return {
    root: like.root,
    datasets: {},
    images: {},
    netifs: {},
    jails: {},
    anchors: {},
    tables: {},
    hosts: [],
  };
}

function formatRules(rules: RctlRule[]): string[] {
  return rules.map((r) => `${r.resource}:${r.action}=${r.amount}`).sort();
}

/** A local repair step (epair or mount): never destructive, shown as a change, its reason the drift. */
function makeStep(
  target: string,
  action: StepAction,
  qualifier?: string,
  dependsOn: string[] = [],
): PlanStep {
  const id =
    qualifier === undefined ? `${action.type}:${target}` : `${action.type}:${target}:${qualifier}`;
  return {
    id,
    action,
    target,
    resource: action.type === 'mount.add' ? 'volume' : 'network',
    symbol: '~',
    reason: { kind: 'drift', detail: action.type },
    dependsOn,
    wave: 0,
    destructive: false,
  };
}

function withDetail(step: PlanStep, detail: string): PlanStep {
  return { ...step, reason: { kind: 'drift', detail } };
}

/**
 * Sets each step's wave to one past the latest wave it depends on, over the planner's steps and
 * the local ones together; input order is kept.
 */
function assignWaves(steps: PlanStep[]): PlanStep[] {
  const waves = new Map<string, number>();
  return steps.map((step) => {
    const wave = step.dependsOn.reduce((max, id) => Math.max(max, (waves.get(id) ?? -1) + 1), 0);
    waves.set(step.id, wave);
    return { ...step, wave };
  });
}
