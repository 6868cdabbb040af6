// SPDX-License-Identifier: BSD-2-Clause
// An ordered collection of plan steps under construction. Steps name their dependencies by id,
// possibly before those steps exist; finish() drops ids that never appeared, numbers the waves
// and sorts the steps so that every step comes after what it depends on. Pure.

import { StockadeError } from '../errors/stockade-error.js';
import type { ChangeReason, ChangeSymbol, PlanStep, ResourceKind, StepAction } from './types.js';

/** What a caller supplies for one step; id, wave and filtered dependencies are derived. */
export interface StepInput {
  action: StepAction;
  /** The part of the id after the action type, e.g. the jail name. */
  key: string;
  target: string;
  resource: ResourceKind;
  symbol: ChangeSymbol;
  reason: ChangeReason;
  dependsOn?: (string | undefined)[];
  destructive: boolean;
}

/** Collects steps, then orders them into waves. */
export class StepList {
  private readonly steps = new Map<string, PlanStep>();

  /** Adds a step and returns its id, `<action type>:<key>`. A repeated id is an internal error. */
  add(input: StepInput): string {
    const id = stepId(input.action.type, input.key);
    if (this.steps.has(id)) {
      throw new StockadeError('PLAN_DUPLICATE_STEP', `step '${id}' was planned twice`, {
        data: { id },
      });
    }

    this.steps.set(id, {
      id,
      action: input.action,
      target: input.target,
      resource: input.resource,
      symbol: input.symbol,
      reason: input.reason,
      dependsOn: (input.dependsOn ?? []).filter((d): d is string => d !== undefined),
      wave: 0,
      destructive: input.destructive,
    });
    return id;
  }

  /** True when a step with this id was added. */
  has(id: string): boolean {
    return this.steps.has(id);
  }

  /** Adds `dependency` to the dependencies of step `id`, when both exist at finish. */
  addDependency(id: string, dependency: string): void {
    this.steps.get(id)?.dependsOn.push(dependency);
  }

  /**
   * The steps sorted by wave, then by the order they were added. Dependencies on steps that
   * were never added are dropped (the object already exists on the host); duplicates go too.
   * Throws PLAN_CYCLE when the dependencies loop, which would be a planner bug.
   */
  finish(): PlanStep[] {
    const order = new Map([...this.steps.keys()].map((id, index) => [id, index]));
    for (const step of this.steps.values()) {
      step.dependsOn = [
        ...new Set(step.dependsOn.filter((d) => this.steps.has(d) && d !== step.id)),
      ];
    }

    const waves = new Map<string, number>();
    const visiting = new Set<string>();
    const waveOf = (id: string): number => {
      const known = waves.get(id);
      if (known !== undefined) return known;
      if (visiting.has(id)) {
        throw new StockadeError(
          'PLAN_CYCLE',
          `plan steps depend on each other in a loop at '${id}'`,
          {
            data: { id },
          },
        );
      }

      visiting.add(id);
      const step = this.steps.get(id) as PlanStep;
      let wave = 0;
      for (const dep of step.dependsOn) wave = Math.max(wave, waveOf(dep) + 1);
      visiting.delete(id);
      waves.set(id, wave);
      return wave;
    };

    const steps = [...this.steps.values()];
    for (const step of steps) step.wave = waveOf(step.id);
    return steps.sort((a, b) => a.wave - b.wave || (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }
}

/** The id of a step: its action type and key, e.g. `jail.create:web-0`. */
export function stepId(type: StepAction['type'], key: string): string {
  return `${type}:${key}`;
}
