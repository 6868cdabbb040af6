// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { parseDuration, runHealthGate } from '../../src/run/health-gate.js';
import type { HealthCheck } from '../../src/manifest/types.js';
import type { JailNode } from '../../src/topology/types.js';
import { FakeClock } from './fakes.js';

const jail = (name: string) => ({ name }) as JailNode;

describe('runHealthGate', () => {
  it('probes a jail until it passes or its budget runs out', async () => {
    const gate = async (check: HealthCheck, passAt: number) => {
      const clock = new FakeClock(0);
      const times: number[] = [];
      const probe = async () => (times.push(clock.now()), clock.now() >= passAt);
      const [verdict] = await runHealthGate({
        jails: [{ jail: jail('web-0'), check }],
        probe,
        clock,
        defaultBudgetMs: 10_000,
      });
      return { ...verdict, times };
    };

    const at = await gate({ tcp: { port: 80 } }, 0);
    const later = await gate({ tcp: { port: 80 }, interval: '2s', retries: 3 }, 4000);
    const never = await gate(
      { tcp: { port: 80 }, interval: '1s', retries: 2, startPeriod: '1s' },
      Infinity,
    );
    const byDefault = await gate({ tcp: { port: 80 }, interval: '3s' }, Infinity);

    expect(at).toEqual({ jail: 'web-0', healthy: true, attempts: 1, times: [0] });
    expect(later).toEqual({ jail: 'web-0', healthy: true, attempts: 3, times: [0, 2000, 4000] });
    // Budget 1 s + 2 x 1 s = 3 s: the last probe is at the end of the budget.
    expect(never).toEqual({
      jail: 'web-0',
      healthy: false,
      attempts: 4,
      times: [0, 1000, 2000, 3000],
    });
    // No retries or startPeriod: the default budget of 10 s; a probe at 12 s would be past it.
    expect(byDefault).toEqual({
      jail: 'web-0',
      healthy: false,
      attempts: 4,
      times: [0, 3000, 6000, 9000],
    });
  });

  it('counts a throwing probe as a failed one and stops probing once aborted', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    let probes = 0;
    const probe = async () => {
      probes += 1;
      if (probes === 2) controller.abort();
      throw new Error('connection refused');
    };

    const verdicts = await runHealthGate({
      jails: [{ jail: jail('web-0'), check: { tcp: { port: 80 } } }],
      probe,
      clock,
      defaultBudgetMs: 60_000,
      signal: controller.signal,
    });

    expect(verdicts).toEqual([{ jail: 'web-0', healthy: false, attempts: 2 }]);
  });

  it('parses durations', () => {
    expect(['500ms', '10s', '2m', '1h', '5', undefined].map(parseDuration)).toEqual([
      500,
      10_000,
      120_000,
      3_600_000,
      undefined,
      undefined,
    ]);
  });
});
