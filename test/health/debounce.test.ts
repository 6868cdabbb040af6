// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { settleStatuses, shouldSend } from '../../src/health/debounce.js';

describe('settleStatuses', () => {
  it('shows a status only once it has held for the window', () => {
    const trackers = { 'web-0': { status: 'unhealthy' as const, since: 1_000 } };

    expect(settleStatuses(trackers, { 'web-0': 'healthy' }, 10_999, 10_000)).toEqual({
      'web-0': 'healthy',
    });
    expect(settleStatuses(trackers, { 'web-0': 'healthy' }, 11_000, 10_000)).toEqual({
      'web-0': 'unhealthy',
    });
  });

  it('leaves out a jail that has never held a status', () => {
    const trackers = { 'web-0': { status: 'starting' as const, since: 0 } };

    expect(settleStatuses(trackers, {}, 5_000, 10_000)).toEqual({});
  });
});

describe('shouldSend', () => {
  it('sends the first summary at once', () => {
    expect(shouldSend({ shown: {} }, 'a', 0, 10_000)).toBe(true);
  });

  it('does not resend an unchanged summary', () => {
    expect(shouldSend({ shown: {}, lastSent: 'a', lastSentAt: 0 }, 'a', 60_000, 10_000)).toBe(
      false,
    );
  });

  it('holds a change until the window since the last send is over', () => {
    const state = { shown: {}, lastSent: 'a', lastSentAt: 5_000 };

    expect(shouldSend(state, 'b', 14_999, 10_000)).toBe(false);
    expect(shouldSend(state, 'b', 15_000, 10_000)).toBe(true);
  });
});
