// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { CRASH_LOOPING_CODE, withHealth } from '../../src/daemon/health-wiring.js';
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

  it('reports a crash loop with its output as an error and drift as warnings', () => {
    const report = appliedReport();

    const merged = withHealth(report, {
      at: 1,
      jails: [
        {
          jail: 'db-0',
          status: 'unhealthy',
          restarts: 5,
          crashLooping: true,
          outputTail: 'starting\ndb: cannot open /data\n',
        },
      ],
      drift: [
        { kind: 'JailStopped', target: 'web-0', detail: 'jail is not on the host', healed: true },
        { kind: 'RctlChanged', target: 'db-0', detail: 'rctl rules are []', healed: false },
      ],
      unavailable: [],
    });

    expect(merged.errors).toEqual([
      ...report.errors,
      {
        code: CRASH_LOOPING_CODE,
        message:
          "jail 'db-0' is CrashLooping after 5 restart(s); last output:\nstarting\ndb: cannot open /data",
      },
    ]);
    expect(merged.warnings).toEqual([
      ...report.warnings,
      'drift: JailStopped web-0: jail is not on the host (repaired)',
      'drift: RctlChanged db-0: rctl rules are [] (not repaired)',
    ]);
  });

  it('shows a jail found stopped that may not be repaired as stopped', () => {
    const report = appliedReport();

    const merged = withHealth(report, {
      at: 1,
      // db-0's status has not held long enough to be shown: its state still is.
      jails: [{ jail: 'web-0', status: 'unhealthy', restarts: 0, crashLooping: false }],
      drift: [
        { kind: 'JailStopped', target: 'web-0', detail: 'jail is not running', healed: true },
        { kind: 'JailStopped', target: 'db-0', detail: 'jail is not running', healed: false },
      ],
      unavailable: [],
    });

    expect(merged.jails.map((j) => [j.name, j.state, j.health])).toEqual([
      ['db-0', 'stopped', 'none'],
      ['web-0', 'running', 'unhealthy'],
    ]);
  });
});
