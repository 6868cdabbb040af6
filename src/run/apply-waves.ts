// SPDX-License-Identifier: BSD-2-Clause
// Carries out a plan wave by wave; the steps of one wave run in parallel up to a concurrency
// bound. In the normal mode the first failure stops new steps from starting; in the boot mode
// the failure is recorded and every step that does not depend on a failed one still runs.

import type { PlanStep } from '../plan/types.js';

/** What happened to each step. */
export interface WavesResult {
  completed: string[];
  failed: { step: PlanStep; error: unknown }[];
  /** Steps skipped because a step they depend on failed (boot mode) or the run stopped. */
  blocked: string[];
  aborted: boolean;
}

/** Runs `steps` in wave order; resolves once no step is running any more. */
export async function applyWaves(
  steps: readonly PlanStep[],
  options: {
    applyStep: (step: PlanStep) => Promise<void>;
    concurrency: number;
    continueOnError: boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<WavesResult> {
  const result: WavesResult = { completed: [], failed: [], blocked: [], aborted: false };
  const waves = groupByWave(steps);
  const unusable = new Set<string>();

  for (const wave of waves) {
    if (shouldStop(result, options)) {
      result.blocked.push(...wave.map((s) => s.id));
      continue;
    }
    const runnable = wave.filter((step) => {
      const blocked = step.dependsOn.some((id) => unusable.has(id));
      if (blocked) {
        unusable.add(step.id);
        result.blocked.push(step.id);
      }
      return !blocked;
    });
    await runPool(runnable, options, result, unusable);
  }
  return result;
}

function groupByWave(steps: readonly PlanStep[]): PlanStep[][] {
  const byWave = new Map<number, PlanStep[]>();
  for (const step of steps) byWave.set(step.wave, [...(byWave.get(step.wave) ?? []), step]);
  return [...byWave.entries()].sort(([a], [b]) => a - b).map(([, wave]) => wave);
}

function shouldStop(
  result: WavesResult,
  options: { continueOnError: boolean; signal?: AbortSignal | undefined },
): boolean {
  if (options.signal?.aborted === true) result.aborted = true;
  return result.aborted || (!options.continueOnError && result.failed.length > 0);
}

async function runPool(
  wave: PlanStep[],
  options: {
    applyStep: (step: PlanStep) => Promise<void>;
    concurrency: number;
    continueOnError: boolean;
    signal?: AbortSignal | undefined;
  },
  result: WavesResult,
  unusable: Set<string>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < wave.length) {
      const step = wave[next++] as PlanStep;
      // A stopping run lets the running steps finish and starts no new one.
      if (shouldStop(result, options)) {
        result.blocked.push(step.id);
        continue;
      }
      try {
        await options.applyStep(step);
        result.completed.push(step.id);
      } catch (error) {
        unusable.add(step.id);
        result.failed.push({ step, error });
      }
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency, wave.length));
  await Promise.all(Array.from({ length: workers }, worker));
}
