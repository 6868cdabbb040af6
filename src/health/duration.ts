// SPDX-License-Identifier: BSD-2-Clause
// Reads the short durations manifests use (500ms, 10s, 1m, 1h) and resolves a health check's
// timing fields with their defaults. Pure.

import { InvalidDurationError } from '../errors/invalid-duration-error.js';
import type { HealthCheck } from '../manifest/types.js';

/** Defaults for a health check's timing, in milliseconds and counts. */
export const HEALTH_DEFAULTS = {
  intervalMs: 10_000,
  timeoutMs: 2_000,
  retries: 3,
  startPeriodMs: 0,
} as const;

/** A health check's timing with every default applied. */
export interface HealthTiming {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

// A day is far beyond any sensible probe interval; the ceiling keeps timers in range.
const MAX_DURATION_MS = 86_400_000;

/**
 * Parses `value` (digits then one of ms, s, m, h) into milliseconds. Zero is allowed, so a
 * start period can be switched off. Throws InvalidDurationError naming `field` otherwise.
 */
export function parseDuration(value: string, field?: string): number {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(value);
  if (match === null) {
    throw new InvalidDurationError(value, field);
  }

  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  if (ms > MAX_DURATION_MS) {
    throw new InvalidDurationError(value, field);
  }
  return ms;
}

/** Resolves the timing of `check`; interval and timeout must be above zero. */
export function resolveHealthTiming(check: HealthCheck): HealthTiming {
  const intervalMs =
    check.interval === undefined
      ? HEALTH_DEFAULTS.intervalMs
      : parseDuration(check.interval, 'interval');
  const timeoutMs =
    check.timeout === undefined
      ? HEALTH_DEFAULTS.timeoutMs
      : parseDuration(check.timeout, 'timeout');
  const startPeriodMs =
    check.startPeriod === undefined
      ? HEALTH_DEFAULTS.startPeriodMs
      : parseDuration(check.startPeriod, 'startPeriod');
  if (intervalMs === 0) {
    throw new InvalidDurationError(check.interval as string, 'interval');
  }
  if (timeoutMs === 0) {
    throw new InvalidDurationError(check.timeout as string, 'timeout');
  }

  const retries = check.retries ?? HEALTH_DEFAULTS.retries;
  return { intervalMs, timeoutMs, retries: Math.max(1, Math.floor(retries)), startPeriodMs };
}
