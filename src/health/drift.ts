// SPDX-License-Identifier: BSD-2-Clause
// Drift between commits: compares the last applied desired topology with a fresh observation for
// the things that change behind Stockade's back (a jail stopped by hand, a missing epair or
// mount, a changed rctl rule set, a flushed pf anchor or table) and returns repair steps for what
// self-healing may put back. Pure. The planner's diff was not in the tree when this was written,
// so the comparison is local and covers only these kinds.

import type { PlanStep, ResourceKind, StepAction } from '../plan/types.js';
import type { JailInterface, JailNode, RctlRule, Topology } from '../topology/types.js';

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
 * and leftovers are the planner's business. Repairs are returned only where self-healing is on:
 * `nodeSelfHeal` for everything, and the jail's own `selfHeal` for its jail-level findings.
 * Anchor content is compared only for emptiness, because pf prints rules normalised.
 */
export function detectDrift(input: {
  desired: Topology;
  observed: Topology;
  nodeSelfHeal: boolean;
}): DriftResult {
  const { desired, observed, nodeSelfHeal } = input;
  const records: DriftRecord[] = [];
  const steps: PlanStep[] = [];
  for (const name of Object.keys(desired.jails).sort()) {
    const jail = desired.jails[name] as JailNode;
    const heal = nodeSelfHeal && jail.selfHeal;
    const found = checkJail(jail, observed.jails[name]);
    for (const finding of found) {
      records.push({ kind: finding.kind, target: name, detail: finding.detail, healed: heal });
      if (heal) steps.push(...finding.steps.map((s) => withDetail(s, finding.detail)));
    }
  }

  for (const finding of checkPf(desired, observed)) {
    records.push({ ...finding.record, healed: nodeSelfHeal });
    if (nodeSelfHeal) steps.push(withDetail(finding.step, finding.record.detail));
  }
  return { records, steps: assignWaves(steps) };
}

interface JailFinding {
  kind: DriftKind;
  detail: string;
  steps: PlanStep[];
}

function checkJail(jail: JailNode, seen: JailNode | undefined): JailFinding[] {
  if (seen === undefined || !seen.running) {
    const detail = seen === undefined ? 'jail is not on the host' : 'jail is not running';
    return [{ kind: 'JailStopped', detail, steps: restartSteps(jail) }];
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
    const action: StepAction =
      jail.rctl.length === 0
        ? { type: 'rctl.clear', jail: jail.name }
        : { type: 'rctl.set', jail: jail.name, rules: jail.rctl };
    const detail = `rctl rules are [${have.join(', ')}], expected [${want.join(', ')}]`;
    findings.push({ kind: 'RctlChanged', detail, steps: [makeStep(jail.name, action)] });
  }
  return findings;
}

/** Steps that bring back a jail whose root dataset is intact: network, mounts, jail, limits. */
function restartSteps(jail: JailNode): PlanStep[] {
  const before: PlanStep[] = [];
  for (const iface of jail.interfaces) {
    if (iface.epair !== undefined) {
      before.push(
        makeStep(jail.name, { type: 'epair.create', jail: jail.name, iface }, iface.network),
      );
    }
  }
  for (const mount of jail.mounts) {
    before.push(makeStep(jail.name, { type: 'mount.add', jail: jail.name, mount }, mount.target));
  }

  const create = makeStep(
    jail.name,
    { type: 'jail.create', jail: jail },
    undefined,
    before.map((s) => s.id),
  );
  const after: PlanStep[] = jail.interfaces.map((iface: JailInterface) =>
    makeStep(jail.name, { type: 'jail.configureNetwork', jail: jail.name, iface }, iface.network, [
      create.id,
    ]),
  );
  if (jail.rctl.length > 0) {
    after.push(
      makeStep(jail.name, { type: 'rctl.set', jail: jail.name, rules: jail.rctl }, undefined, [
        create.id,
      ]),
    );
  }
  if (jail.cpuset !== undefined) {
    after.push(
      makeStep(jail.name, { type: 'cpuset.set', jail: jail.name, cpus: jail.cpuset }, undefined, [
        create.id,
      ]),
    );
  }

  const start = makeStep(
    jail.name,
    { type: 'jail.startCommand', jail: jail.name, command: jail.command, env: jail.env },
    undefined,
    [create.id, ...after.map((s) => s.id)],
  );
  return [...before, create, ...after, start];
}

function checkPf(
  desired: Topology,
  observed: Topology,
): { record: Omit<DriftRecord, 'healed'>; step: PlanStep }[] {
  const found: { record: Omit<DriftRecord, 'healed'>; step: PlanStep }[] = [];
  for (const path of Object.keys(desired.anchors).sort()) {
    const anchor = desired.anchors[path];
    if (anchor === undefined || anchor.rules.length === 0) continue;
    if ((observed.anchors[path]?.rules.length ?? 0) > 0) continue;

    const step = makeStep(path, { type: 'pf.loadAnchor', anchor: path, rules: anchor.rules });
    found.push({
      record: { kind: 'AnchorFlushed', target: path, detail: 'anchor has no rules' },
      step,
    });
  }

  for (const key of Object.keys(desired.tables).sort()) {
    const table = desired.tables[key];
    if (table === undefined) continue;

    const want = [...table.addresses].sort();
    const seen = observed.tables[key];
    const have = seen === undefined ? undefined : [...seen.addresses].sort();
    if (have !== undefined && have.join(',') === want.join(',')) continue;

    const action: StepAction = {
      type: 'pf.replaceTable',
      anchor: table.anchor,
      table: table.name,
      addresses: want,
    };
    const detail =
      have === undefined
        ? 'table is missing'
        : `table holds [${have.join(', ')}], expected [${want.join(', ')}]`;
    found.push({
      record: { kind: 'TableChanged', target: key, detail },
      step: makeStep(key, action),
    });
  }
  return found;
}

function formatRules(rules: RctlRule[]): string[] {
  return rules.map((r) => `${r.resource}:${r.action}=${r.amount}`).sort();
}

const RESOURCE_OF: Partial<Record<StepAction['type'], ResourceKind>> = {
  'epair.create': 'network',
  'jail.configureNetwork': 'network',
  'mount.add': 'volume',
  'rctl.set': 'limits',
  'rctl.clear': 'limits',
  'cpuset.set': 'limits',
  'pf.loadAnchor': 'pf',
  'pf.replaceTable': 'pf',
};

/** A repair step: never destructive, shown as a change, its reason the drift. */
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
    resource: RESOURCE_OF[action.type] ?? 'jail',
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

/** Sets each step's wave to one past the latest wave it depends on; input order is kept. */
function assignWaves(steps: PlanStep[]): PlanStep[] {
  const waves = new Map<string, number>();
  return steps.map((step) => {
    const wave = step.dependsOn.reduce((max, id) => Math.max(max, (waves.get(id) ?? -1) + 1), 0);
    waves.set(step.id, wave);
    return { ...step, wave };
  });
}
