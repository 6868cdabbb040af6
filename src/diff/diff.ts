// SPDX-License-Identifier: BSD-2-Clause
// Compares a desired topology with an observed one and lists what has to happen to each object,
// and why. Jails whose immutable fields differ are replaced; limits, files and pf table members
// are updated in place. Pure: no I/O, no ordering (the planner orders).

import type { ChangeReason } from '../plan/types.js';
import { IMMUTABLE_FIELDS } from '../topology/compile-jail.js';
import { stableStringify } from '../topology/hash.js';
import { HOSTS_PATH } from '../topology/jail-files.js';
import type {
  AnchorNode,
  DatasetNode,
  ImageBuild,
  JailNode,
  NetifNode,
  TableNode,
  Topology,
} from '../topology/types.js';

/** What happens to an object. */
export type ChangeOp = 'create' | 'update' | 'replace' | 'destroy';

interface ChangeOf<K extends string, T> {
  object: K;
  /** The object's key in its topology record. */
  name: string;
  op: ChangeOp;
  reasons: ChangeReason[];
  desired?: T;
  observed?: T;
}

/** Which in-place updates a jail needs. */
export interface JailUpdate {
  /** Files from the manifest. */
  files: boolean;
  /** The shared /etc/hosts, which changes whenever a jail or service endpoint comes or goes. */
  hosts: boolean;
  rctl: boolean;
  cpuset: boolean;
  /** The jail exists but is not running (drift): bring it back up. */
  start: boolean;
}

export type DatasetChange = ChangeOf<'dataset', DatasetNode>;
export type ImageChange = ChangeOf<'image', ImageBuild>;
export type NetifChange = ChangeOf<'netif', NetifNode>;
export type JailChange = ChangeOf<'jail', JailNode> & { update?: JailUpdate };
export type AnchorChange = ChangeOf<'anchor', AnchorNode>;
export type TableChange = ChangeOf<'table', TableNode>;

/** One object that differs between desired and observed. */
export type Change =
  DatasetChange | ImageChange | NetifChange | JailChange | AnchorChange | TableChange;

/** Options of diffTopology. */
export interface DiffOptions {
  /**
   * The topology last applied to the host. Where the desired value equals what was applied but
   * the host shows something else, the reason is `drift` instead of `changed`.
   */
  applied?: Topology;
}

/**
 * Every change that turns `observed` into `desired`, grouped by object kind (datasets, images,
 * network interfaces, jails, anchors, tables) and sorted by key inside each group. Unchanged
 * objects are left out. Datasets of images and jails are covered by their image and jail
 * changes; the root dataset is never destroyed.
 */
export function diffTopology(
  desired: Topology,
  observed: Topology,
  options: DiffOptions = {},
): Change[] {
  const reason = makeReasoner(options.applied);
  return [
    ...diffDatasets(desired, observed, options.applied),
    ...diffRecords('image', desired.images, observed.images, options.applied?.images, () => []),
    ...diffRecords('netif', desired.netifs, observed.netifs, options.applied?.netifs, (d, o, a) =>
      compareFields(['address', 'description', 'kind', 'network'], d, o, a, reason),
    ),
    ...diffJails(desired, observed, options.applied, reason),
    ...diffRecords(
      'anchor',
      desired.anchors,
      observed.anchors,
      options.applied?.anchors,
      (d, o, a) => compareFields(['rules'], d, o, a, reason),
    ),
    ...diffRecords('table', desired.tables, observed.tables, options.applied?.tables, (d, o, a) =>
      compareFields(['addresses'], d, o, a, reason),
    ),
  ];
}

type Reasoner = (field: string, from: unknown, to: unknown, applied: unknown) => ChangeReason;

function makeReasoner(applied: Topology | undefined): Reasoner {
  return (field, from, to, appliedValue) => {
    if (applied !== undefined && appliedValue !== undefined && isEqual(appliedValue, to)) {
      return {
        kind: 'drift',
        detail: `${field} on the host is ${describe(from)}, applied ${describe(to)}`,
      };
    }
    return { kind: 'changed', field, from, to };
  };
}

function diffDatasets(
  desired: Topology,
  observed: Topology,
  applied: Topology | undefined,
): DatasetChange[] {
  const reason = makeReasoner(applied);
  const own = (record: Record<string, DatasetNode>): Record<string, DatasetNode> =>
    Object.fromEntries(
      Object.entries(record).filter(([, d]) => d.role !== 'image' && d.role !== 'jail'),
    );
  const changes = diffRecords(
    'dataset',
    own(desired.datasets),
    own(observed.datasets),
    applied?.datasets,
    (d, o, a) => compareFields(['properties', 'marks'], d, o, a, reason),
  );
  return changes.filter((c) => !(c.op === 'destroy' && c.observed?.role === 'root'));
}

function diffJails(
  desired: Topology,
  observed: Topology,
  applied: Topology | undefined,
  reason: Reasoner,
): JailChange[] {
  const changes: JailChange[] = [];
  for (const name of unionKeys(desired.jails, observed.jails)) {
    const want = desired.jails[name];
    const have = observed.jails[name];
    const was = applied?.jails[name];
    if (want === undefined || have === undefined) {
      changes.push(presenceChange('jail', name, want, have, was) as JailChange);
      continue;
    }

    if (want.specHash !== have.specHash) {
      const reasons = compareFields([...IMMUTABLE_FIELDS], want, have, was, reason);
      if (reasons.length === 0)
        reasons.push(reason('spec', have.specHash, want.specHash, was?.specHash));
      changes.push({ object: 'jail', name, op: 'replace', reasons, desired: want, observed: have });
      continue;
    }

    const update = {
      files: !sameFiles(want, have),
      hosts: hostsHash(want) !== hostsHash(have),
      rctl: !isEqual(want.rctl, have.rctl),
      cpuset: want.cpuset !== have.cpuset,
      start: !have.running && want.running,
    };
    if (!update.files && !update.hosts && !update.rctl && !update.cpuset && !update.start) continue;

    const reasons: ChangeReason[] = [];
    if (update.files) {
      reasons.push(
        reason('files', fileKeys(have, false), fileKeys(want, false), was && fileKeys(was, false)),
      );
    }
    if (update.hosts)
      reasons.push(reason('hosts', hostsHash(have), hostsHash(want), was && hostsHash(was)));
    if (update.rctl) reasons.push(reason('rctl', have.rctl, want.rctl, was?.rctl));
    if (update.cpuset) {
      reasons.push(
        reason('cpuset', have.cpuset ?? null, want.cpuset ?? null, was && (was.cpuset ?? null)),
      );
    }
    if (update.start) reasons.push({ kind: 'drift', detail: 'jail is not running' });
    changes.push({
      object: 'jail',
      name,
      op: 'update',
      reasons,
      desired: want,
      observed: have,
      update,
    });
  }
  return changes;
}

function diffRecords<K extends Change['object'], T>(
  object: K,
  desired: Record<string, T>,
  observed: Record<string, T>,
  applied: Record<string, T> | undefined,
  compare: (desired: T, observed: T, applied: T | undefined) => ChangeReason[],
): ChangeOf<K, T>[] {
  const changes: ChangeOf<K, T>[] = [];
  for (const name of unionKeys(desired, observed)) {
    const want = desired[name];
    const have = observed[name];
    const was = applied?.[name];
    if (want === undefined || have === undefined) {
      changes.push(presenceChange(object, name, want, have, was));
      continue;
    }

    const reasons = compare(want, have, was);
    if (reasons.length > 0)
      changes.push({ object, name, op: 'update', reasons, desired: want, observed: have });
  }
  return changes;
}

function presenceChange<K extends string, T>(
  object: K,
  name: string,
  want: T | undefined,
  have: T | undefined,
  was: T | undefined,
): ChangeOf<K, T> {
  if (want !== undefined) {
    const reasons: ChangeReason[] =
      was === undefined ? [{ kind: 'new' }] : [{ kind: 'drift', detail: 'missing on the host' }];
    return { object, name, op: 'create', reasons, desired: want };
  }
  return { object, name, op: 'destroy', reasons: [{ kind: 'removed' }], observed: have as T };
}

function compareFields<T extends object>(
  fields: (keyof T & string)[],
  want: T,
  have: T,
  was: T | undefined,
  reason: Reasoner,
): ChangeReason[] {
  const reasons: ChangeReason[] = [];
  for (const field of fields) {
    if (isEqual(want[field], have[field])) continue;
    reasons.push(
      reason(
        field,
        have[field] ?? null,
        want[field] ?? null,
        was === undefined ? undefined : (was[field] ?? null),
      ),
    );
  }
  return reasons;
}

/** `path:mode:hash` of each file; the shared /etc/hosts is left out unless `withHosts`. */
function fileKeys(jail: JailNode, withHosts: boolean): string[] {
  return jail.files
    .filter((f) => withHosts || f.path !== HOSTS_PATH)
    .map((f) => `${f.path}:${f.mode.toString(8)}:${f.hash}`);
}

/** True when both jails hold the same manifest files (the shared /etc/hosts aside). */
function sameFiles(a: JailNode, b: JailNode): boolean {
  const left = a.files.filter((f) => f.path !== HOSTS_PATH);
  const right = b.files.filter((f) => f.path !== HOSTS_PATH);
  if (left.length !== right.length) return false;
  return left.every(
    (f, i) => f.path === right[i]?.path && f.mode === right[i]?.mode && f.hash === right[i]?.hash,
  );
}

function hostsHash(jail: JailNode): string | null {
  return jail.files.find((f) => f.path === HOSTS_PATH)?.hash ?? null;
}

function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Structural equality of plain data (objects, arrays, scalars); key order does not matter. */
function isEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;

  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!isEqual(a[i], b[i])) return false;
    return true;
  }

  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left).filter((k) => left[k] !== undefined);
  if (keys.length !== Object.keys(right).filter((k) => right[k] !== undefined).length) return false;
  return keys.every((k) => isEqual(left[k], right[k]));
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : stableStringify(value);
}
