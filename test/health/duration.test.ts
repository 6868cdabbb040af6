// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { InvalidDurationError } from '../../src/errors/invalid-duration-error.js';
import { parseDuration, resolveHealthTiming } from '../../src/health/duration.js';

describe('parseDuration', () => {
  it('reads each unit', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('0s')).toBe(0);
  });

  it.each(['', '10', 's', '1.5s', '-1s', '10 s', '1d', '10S', '25h'])(
    'refuses %j with INVALID_DURATION',
    (value) => {
      let caught: unknown;
      try {
        parseDuration(value, 'interval');
      } catch (err) {
        caught = err;
      }

      expect(caught).toBeInstanceOf(InvalidDurationError);
      expect((caught as InvalidDurationError).code).toBe('INVALID_DURATION');
      expect((caught as InvalidDurationError).data).toEqual({ value, field: 'interval' });
    },
  );
});

describe('resolveHealthTiming', () => {
  it('applies the defaults', () => {
    expect(resolveHealthTiming({ tcp: { port: 80 } })).toEqual({
      intervalMs: 10_000,
      timeoutMs: 2_000,
      retries: 3,
      startPeriodMs: 0,
    });
  });

  it('reads every field', () => {
    const timing = resolveHealthTiming({
      tcp: { port: 80 },
      interval: '5s',
      timeout: '750ms',
      retries: 5,
      startPeriod: '1m',
    });

    expect(timing).toEqual({
      intervalMs: 5_000,
      timeoutMs: 750,
      retries: 5,
      startPeriodMs: 60_000,
    });
  });

  it('refuses a zero interval, naming the field', () => {
    expect(() => resolveHealthTiming({ interval: '0s' })).toThrow(
      expect.objectContaining({
        code: 'INVALID_DURATION',
        data: { value: '0s', field: 'interval' },
      }),
    );
  });
});
