// SPDX-License-Identifier: BSD-2-Clause
// Plan steps: the contract between the planner, which orders them, and the host driver, which
// carries each one out. A step carries everything its action needs, so the executor never has
// to look anything up in the topology. Pure data.

import type {
  DatasetNode,
  ImageBuild,
  JailFile,
  JailInterface,
  JailMount,
  JailNode,
  NetifNode,
  RctlRule,
} from '../topology/types.js';

/** Why a change is in the plan. */
export type ChangeReason =
  | { kind: 'new' }
  | { kind: 'changed'; field: string; from: unknown; to: unknown }
  | { kind: 'removed' }
  | { kind: 'drift'; detail: string };

/**
 * Every action the host driver knows. Each is idempotent: carrying out a step whose effect is
 * already on the host succeeds and changes nothing.
 */
export type StepAction =
  // ZFS.
  | { type: 'dataset.create'; dataset: DatasetNode }
  | {
      type: 'dataset.update';
      name: string;
      properties: Record<string, string>;
      marks: Record<string, string>;
    }
  | { type: 'dataset.clone'; dataset: DatasetNode }
  | { type: 'dataset.snapshot'; name: string; snapshot: string }
  | { type: 'dataset.destroy'; name: string }
  | { type: 'image.build'; image: ImageBuild }
  // Host interfaces of networks.
  | { type: 'netif.create'; netif: NetifNode }
  | { type: 'netif.update'; netif: NetifNode }
  | { type: 'netif.destroy'; name: string }
  // Jail lifecycle, in the order a new jail goes through them.
  | { type: 'file.write'; jail: string; root: string; files: JailFile[] }
  | { type: 'mount.add'; jail: string; mount: JailMount }
  | { type: 'epair.create'; jail: string; iface: JailInterface }
  | { type: 'jail.create'; jail: JailNode }
  | { type: 'jail.configureNetwork'; jail: string; iface: JailInterface }
  | { type: 'jail.startCommand'; jail: string; command: string[]; env: Record<string, string> }
  // Jail teardown, in the order the reference gives.
  | { type: 'jail.stop'; jail: string; jid?: number }
  | { type: 'epair.destroy'; jail: string; epair: string }
  | { type: 'jail.remove'; jail: string; jid?: number }
  | { type: 'mount.remove'; jail: string; target: string }
  // Limits.
  | { type: 'rctl.set'; jail: string; rules: RctlRule[] }
  | { type: 'rctl.clear'; jail: string }
  | { type: 'cpuset.set'; jail: string; cpus: string }
  // pf: anchors are replaced whole; tables in one call.
  | { type: 'pf.loadAnchor'; anchor: string; rules: string[] }
  | { type: 'pf.flushAnchor'; anchor: string }
  | { type: 'pf.replaceTable'; anchor: string; table: string; addresses: string[] }
  | { type: 'pf.killTable'; anchor: string; table: string }
  // A volume that left the repository with reclaimPolicy Retain: nothing on the host changes,
  // the step exists so the plan and the status report it.
  | { type: 'volume.retain'; name: string; dataset: string };

export type StepType = StepAction['type'];

/** The kind of object a step acts on, for grouping in plan output. */
export type ResourceKind = 'dataset' | 'image' | 'network' | 'jail' | 'volume' | 'pf' | 'limits';

/** How a step shows in plan output. */
export type ChangeSymbol = '+' | '~' | '-' | '-/+';

export interface PlanStep {
  /** Stable within a plan, e.g. `jail.create:web-0`. */
  id: string;
  action: StepAction;
  /** Object it acts on, e.g. the jail or dataset name. */
  target: string;
  resource: ResourceKind;
  symbol: ChangeSymbol;
  reason: ChangeReason;
  /** Ids of steps that must finish first. */
  dependsOn: string[];
  /** Wave number: steps of the same wave do not depend on each other and may run in parallel. */
  wave: number;
  /** Destroys or replaces something. */
  destructive: boolean;
}

/** One line of the plan as a person reads it: an object and what happens to it. */
export interface PlanChange {
  resource: ResourceKind;
  name: string;
  symbol: ChangeSymbol;
  reasons: ChangeReason[];
}

export interface Plan {
  steps: PlanStep[];
  changes: PlanChange[];
  /** Retained volumes and refused prunes, for the status. */
  warnings: string[];
  summary: { create: number; change: number; destroy: number; replace: number };
}

/** Re-exported so the driver can type its handlers without importing the topology module. */
export type {
  DatasetNode,
  ImageBuild,
  JailFile,
  JailInterface,
  JailMount,
  JailNode,
  NetifNode,
  RctlRule,
};
