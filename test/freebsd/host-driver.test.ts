// SPDX-License-Identifier: BSD-2-Clause
// The host driver scenarios of the Linux test host, run against a real FreeBSD 14/15 host.
// Anywhere else the whole block is skipped, and its name says why.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  ALL_STEP_TYPES,
  removeEverything,
  scenarioEveryActionTwice,
  scenarioObserve,
  scenarioRemovalResumed,
  scenarioTeardownAfterFailure,
  scenarioTeardownLeavesNothing,
  scenarioVolumeSurvives,
  type ScenarioHost,
} from '../host-driver/scenarios.js';
import { currentSkipReason, startFreeBsdHost, type FreeBsdHost } from './environment.js';

const reason = currentSkipReason();
const title =
  reason === undefined
    ? 'FreeBSD-only suite: host driver'
    : `FreeBSD-only suite: skipped: ${reason}`;

describe.skipIf(reason !== undefined)(title, () => {
  let host: FreeBsdHost | undefined;
  const scenario = (): ScenarioHost => {
    if (host === undefined) throw new Error('the FreeBSD host was not prepared in beforeAll');
    return host.scenario;
  };
  beforeAll(async () => {
    host = await startFreeBsdHost(process.env);
  }, 120_000);
  afterAll(async () => {
    if (host !== undefined) {
      await removeEverything(host.scenario).catch(() => undefined);
      await host.stop();
    }
  }, 300_000);

  it('applies every step action twice; the second time only reads', async () => {
    const applied = await scenarioEveryActionTwice(scenario());
    expect([...applied].sort()).toEqual([...ALL_STEP_TYPES].sort());
  }, 900_000);

  it('leaves nothing after a full lifecycle', async () => {
    await scenarioTeardownLeavesNothing(scenario());
  }, 600_000);

  it('leaves nothing after a failure halfway and an interrupted teardown', async () => {
    await scenarioTeardownAfterFailure(scenario());
  }, 600_000);

  it('finishes a removal that crashed halfway on the next plan', async () => {
    await scenarioRemovalResumed(scenario());
  }, 600_000);

  it('keeps a volume and its file when the jail is destroyed', async () => {
    await scenarioVolumeSurvives(scenario());
  }, 600_000);

  it('observes with the same commands for 1 and 20 jails and diffs empty', async () => {
    const one = await scenarioObserve(scenario(), 1);
    const twenty = await scenarioObserve(scenario(), 20);
    expect(twenty).toEqual(one);
    await removeEverything(scenario());
  }, 900_000);
});
