// SPDX-License-Identifier: BSD-2-Clause
// Restarts one jail between commits, for the health monitor: its teardown steps as the planner
// orders them for a topology without it, then its creation steps for the applied topology.
// Only steps that act on that jail are carried out; datasets are never touched.

import type { PlanStep } from '../plan/types.js';
import type { Topology } from '../topology/types.js';
import { applyWaves } from './apply-waves.js';
import type { PlanFn } from './deps.js';
import type { HostDriver } from './ports.js';
import { jailOf } from './steps-change.js';

/**
 * Stops and starts jail `name` of `desired`. Rejects with the first failing step's error; the
 * monitor counts that as a failed restart and backs off.
 */
export async function restartJail(options: {
  name: string;
  desired: Topology;
  host: HostDriver;
  plan: PlanFn;
}): Promise<string[]> {
  const { name, desired, host, plan } = options;
  const guard = { maxPruneRatio: 1, allowPruneAll: true };
  const without: Topology = { ...desired, jails: { ...desired.jails } };
  delete without.jails[name];

  const down = plan(without, await host.observe(), guard).steps.filter((s) => isJailStep(s, name));
  await applyAll(host, down);
  const up = plan(desired, await host.observe(), guard).steps.filter((s) => isJailStep(s, name));
  await applyAll(host, up);
  return [...down, ...up].map((s) => s.id);
}

function isJailStep(step: PlanStep, name: string): boolean {
  return jailOf(step.action) === name && !step.action.type.startsWith('dataset.');
}

async function applyAll(host: HostDriver, steps: PlanStep[]): Promise<void> {
  const result = await applyWaves(steps, {
    applyStep: (step) => host.applyStep(step),
    concurrency: 1,
    continueOnError: false,
  });
  const failed = result.failed[0];
  if (failed !== undefined) throw failed.error;
}
