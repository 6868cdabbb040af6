// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { carryHealth } from '../../src/daemon/carry-health.js';
import type { JailReport } from '../../src/run/report.js';
import { appliedReport } from '../status/fixtures.js';

const WEB: JailReport = {
  name: 'web-0',
  manifest: 'web',
  state: 'running',
  jid: 5,
  health: 'healthy',
  addresses: ['10.77.1.10/24'],
};

/** The report of a poll that changed nothing: it ran no health gate. */
function noChangeReport(jails: JailReport[]) {
  return appliedReport({ result: 'NoChange', reason: 'NoChange', phase: 'plan', jails });
}

describe('carryHealth', () => {
  it('keeps the health of a jail the run did not check and that is the same instance', () => {
    const previous = appliedReport({ jails: [WEB] });

    const carried = carryHealth(noChangeReport([{ ...WEB, health: 'unknown' }]), previous);

    expect(carried.jails).toEqual([WEB]);
  });

  it('does not credit a restarted or replaced jail with its predecessor health', () => {
    const previous = appliedReport({ jails: [WEB, { ...WEB, name: 'web-1', jid: 6 }] });
    const report = noChangeReport([
      { ...WEB, jid: 7, health: 'unknown' },
      { ...WEB, name: 'web-1', jid: 6, state: 'stopped', health: 'unknown' },
    ]);

    expect(carryHealth(report, previous)).toBe(report);
  });

  it('leaves a health the run established, and reports with nothing before, as they are', () => {
    const previous = appliedReport({ jails: [{ ...WEB, health: 'unhealthy' }] });
    const report = appliedReport({ jails: [WEB] });

    expect(carryHealth(report, previous)).toBe(report);
    const unknown = noChangeReport([{ ...WEB, health: 'unknown' }]);
    expect(carryHealth(unknown, undefined)).toBe(unknown);
    expect(carryHealth(unknown, appliedReport({ jails: [{ ...WEB, health: 'unknown' }] }))).toBe(
      unknown,
    );
  });
});
