// SPDX-License-Identifier: BSD-2-Clause
// A jail with a volume mounted is destroyed on the Linux test host and the file it wrote into
// the volume is still there; neither dataset is destroyed while the volume is mounted.

import { describe, it } from 'vitest';

import { processesUnder } from '../host/leftovers.js';
import { useTestHost } from '../setup/test-host.js';
import { scenarioVolumeSurvives, testHostScenario } from './scenarios.js';

describe('a volume outlives its jail on the test host', () => {
  const getHost = useTestHost();

  it('keeps the file written through jexec and refuses destroys while mounted', async () => {
    await scenarioVolumeSurvives(testHostScenario(getHost(), (dir) => processesUnder(dir)));
  }, 600_000);
});
