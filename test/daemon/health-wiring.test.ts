// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { withHealth } from '../../src/daemon/health-wiring.js';
import { appliedReport } from '../status/fixtures.js';

describe('withHealth', () => {
  it("puts the monitor's verdicts on the report's jails", () => {
    const report = appliedReport();

    const merged = withHealth(report, {
      at: 1,
      jails: [
        { jail: 'db-0', status: 'unhealthy', restarts: 3, crashLooping: true },
        { jail: 'web-0', status: 'starting', restarts: 0, crashLooping: false },
      ],
      drift: [],
      unavailable: [],
    });

    expect(merged.jails).toEqual([
      { name: 'db-0', manifest: 'db', state: 'failed', jid: 4, health: 'unhealthy' },
      {
        name: 'web-0',
        manifest: 'web',
        state: 'running',
        jid: 5,
        health: 'unknown',
        addresses: ['10.77.1.10/24'],
      },
    ]);
    expect(withHealth(report, undefined)).toBe(report);
  });
});
