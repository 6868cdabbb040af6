// SPDX-License-Identifier: BSD-2-Clause
// The health gate after an apply: every jail with a health check must pass it within its
// budget (startPeriod plus retries times interval, or the default). Probes go through an
// injected function and time through an injected clock, so the gate itself does no I/O.

import type { HealthCheck } from '../manifest/types.js';
import type { JailNode } from '../topology/types.js';
import type { Clock, ProbeFn } from './deps.js';

/** The gate's verdict on one jail. */
export interface HealthVerdict {
  jail: string;
  healthy: boolean;
  attempts: number;
}

/** Probes every jail in parallel until it passes or its budget runs out. */
export async function runHealthGate(options: {
  jails: { jail: JailNode; check: HealthCheck }[];
  probe: ProbeFn;
  clock: Clock;
  defaultBudgetMs: number;
  /** Once aborted, no new probe starts; jails not yet decided come back as not healthy. */
  signal?: AbortSignal | undefined;
}): Promise<HealthVerdict[]> {
  return Promise.all(options.jails.map((entry) => gateOne(entry, options)));
}

/** Milliseconds of a duration such as 500ms, 10s, 2m or 1h; undefined when absent or bad. */
export function parseDuration(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^(\d+)(ms|s|m|h)$/.exec(text);
  if (match === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

async function gateOne(
  entry: { jail: JailNode; check: HealthCheck },
  options: {
    probe: ProbeFn;
    clock: Clock;
    defaultBudgetMs: number;
    signal?: AbortSignal | undefined;
  },
): Promise<HealthVerdict> {
  const { jail, check } = entry;
  const interval = parseDuration(check.interval) ?? 2000;
  const startPeriod = parseDuration(check.startPeriod) ?? 0;
  const budget =
    check.retries === undefined && check.startPeriod === undefined
      ? options.defaultBudgetMs
      : startPeriod + Math.max(1, check.retries ?? 3) * interval;
  const start = options.clock.now();
  let attempts = 0;

  for (;;) {
    if (options.signal?.aborted === true) return { jail: jail.name, healthy: false, attempts };
    attempts += 1;
    if (await probeSafely(options.probe, jail, check)) {
      return { jail: jail.name, healthy: true, attempts };
    }
    if (options.clock.now() - start + interval > budget) {
      return { jail: jail.name, healthy: false, attempts };
    }
    await options.clock.sleep(interval);
  }
}

async function probeSafely(probe: ProbeFn, jail: JailNode, check: HealthCheck): Promise<boolean> {
  try {
    return await probe(jail, check);
  } catch {
    // A probe that throws (connection refused, jexec failure) is a failed probe, not a crash.
    return false;
  }
}
