// SPDX-License-Identifier: BSD-2-Clause
// Teardown on the Linux test host leaves nothing: no dataset, interface, mount, pf rule, rctl
// rule or process, after a full lifecycle and after a run that failed halfway.

import { describe, it } from 'vitest';

import { processesUnder } from '../host/leftovers.js';
import { useTestHost } from '../setup/test-host.js';
import {
  scenarioRemovalResumed,
  scenarioTeardownAfterFailure,
  scenarioTeardownLeavesNothing,
  testHostScenario,
} from './scenarios.js';

describe('teardown on the test host', () => {
  const getHost = useTestHost();
  const scenario = () => testHostScenario(getHost(), (dir) => processesUnder(dir));

  it('leaves nothing after a full lifecycle of two jails', async () => {
    await scenarioTeardownLeavesNothing(scenario());
  }, 600_000);

  it('leaves nothing after a rejected pf rule and a teardown interrupted at jail -r', async () => {
    await scenarioTeardownAfterFailure(scenario());
  }, 600_000);

  it('finishes a removal that crashed at the jail dataset destroy on the next plan', async () => {
    await scenarioRemovalResumed(scenario());
  }, 600_000);
});
