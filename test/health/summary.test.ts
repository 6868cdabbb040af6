// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { createRestartState } from '../../src/health/restart.js';
import { fingerprintSummary, summarizeJail, type HealthSummary } from '../../src/health/summary.js';
import { createTracker } from '../../src/health/tracker.js';

const base: HealthSummary = {
  at: 1_000,
  jails: [{ jail: 'web-0', status: 'healthy', detail: 'up', restarts: 0, crashLooping: false }],
  drift: [],
  unavailable: [],
};

describe('summarizeJail', () => {
  it('leaves out a checked jail whose status has not held yet', () => {
    const line = summarizeJail({
      jail: 'web-0',
      shown: undefined,
      tracker: createTracker('web-0', 0),
      restart: createRestartState(),
      outputTail: undefined,
    });

    expect(line).toBeUndefined();
  });

  it('shows a jail without a check as unchecked', () => {
    const line = summarizeJail({
      jail: 'db-0',
      shown: undefined,
      tracker: undefined,
      restart: createRestartState(),
      outputTail: 'ignored unless crash looping',
    });

    expect(line).toEqual({ jail: 'db-0', status: 'unchecked', restarts: 0, crashLooping: false });
  });
});

describe('fingerprintSummary', () => {
  it('ignores the time, the probe detail and the next restart time', () => {
    const moved: HealthSummary = {
      ...base,
      at: 99_000,
      jails: [
        { ...(base.jails[0] as HealthSummary['jails'][0]), detail: 'other', nextRestartAt: 5 },
      ],
    };

    expect(fingerprintSummary(moved)).toBe(fingerprintSummary(base));
  });

  it('changes with a status', () => {
    const changed: HealthSummary = {
      ...base,
      jails: [{ ...(base.jails[0] as HealthSummary['jails'][0]), status: 'unhealthy' }],
    };

    expect(fingerprintSummary(changed)).not.toBe(fingerprintSummary(base));
  });
});
