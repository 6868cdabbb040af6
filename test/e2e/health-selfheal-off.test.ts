// SPDX-License-Identifier: BSD-2-Clause
// Drift without self-healing on the test host, with `stockade run` as a separate process: a
// jail removed by hand with jail -r stays removed, even though its health check fails, and the
// status reports the drift and the stopped jail.

import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findRepoRoot } from '../host/paths.js';
import {
  readDaemonLogEntries,
  startStack,
  waitFor,
  waitForNodeStatus,
  type Stack,
} from '../host/stack.js';

const FIXTURE = path.join(findRepoRoot(), 'test', 'fixtures', 'e2e', 'health-heal');

let stack: Stack;
const savedLevel = process.env['STOCKADE_LOG_LEVEL'];

beforeAll(async () => {
  // Debug lines carry every host command, so the test can see the monitor look at the host.
  process.env['STOCKADE_LOG_LEVEL'] = 'debug';
  stack = await startStack({ manifests: FIXTURE, pollInterval: 3600, config: { selfHeal: false } });
  await stack.startDaemon();
  await waitForNodeStatus(
    stack,
    'the first apply with every jail healthy',
    (s) => s.result === 'Applied' && s.jails.every((j) => j.health === 'healthy'),
    120_000,
  );
}, 180_000);

afterAll(async () => {
  if (savedLevel === undefined) delete process.env['STOCKADE_LOG_LEVEL'];
  else process.env['STOCKADE_LOG_LEVEL'] = savedLevel;
  await stack?.stop();
}, 120_000);

describe('drift with selfHeal off on the test host', () => {
  it('leaves a jail removed by hand stopped and reports the drift only', async () => {
    const removedAt = Date.now();
    await stack.hostTool('jail', ['-r', 'app-0']);

    const reported = await waitForNodeStatus(
      stack,
      'the drift of app-0 in the status',
      // Health is shown once it has held for the monitor's debounce window; drift at once.
      (s) =>
        s.warnings.some((w) => w.startsWith('drift: JailStopped app-0')) &&
        s.jails.some((j) => j.name === 'app-0' && j.health === 'unhealthy'),
      120_000,
    );
    expect(reported.warnings.filter((w) => w.startsWith('drift: '))).toEqual([
      'drift: JailStopped app-0: jail is not running (not repaired)',
    ]);
    expect(reported.jails.find((j) => j.name === 'app-0')).toMatchObject({
      state: 'stopped',
      health: 'unhealthy',
    });
    expect(reported.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');

    // The failing check asked for a restart; the look at the host turned it down.
    const skipped = await waitFor(
      'the restart of app-0 to be turned down',
      async () => {
        const lines = (await readDaemonLogEntries(stack)).filter(
          (e) =>
            e['msg'] === 'jail restart skipped: stopped, selfHeal off' && e['jail'] === 'app-0',
        );
        return lines.length > 0 ? lines : undefined;
      },
      60_000,
    );
    // Wait for the monitor's next look at the host (its periodic drift check), then check that
    // nothing brought the jail back.
    const after = skipped[0]?.['time'] as number;
    await waitFor(
      'another observation of the host',
      async () => {
        const looks = (await readDaemonLogEntries(stack)).filter(
          (e) =>
            e['msg'] === 'host command finished' &&
            (e['time'] as number) > after &&
            (e['argv'] as string[]).includes('--libxo'),
        );
        return looks.length >= 1 ? true : undefined;
      },
      90_000,
    );
    const log = await readDaemonLogEntries(stack);
    expect(
      log.filter(
        (e) =>
          (e['time'] as number) >= removedAt &&
          e['jail'] === 'app-0' &&
          ['jail restarted', 'jail created'].includes(e['msg'] as string),
      ),
    ).toEqual([]);
    expect(
      log.filter((e) => e['msg'] === 'jail restart skipped: stopped, selfHeal off'),
    ).toHaveLength(1);
    expect(await stack.jailPids('app-0')).toEqual([]);
    await expect(stack.hostTool('jls', ['-j', 'app-0', 'jid'])).rejects.toThrow(
      'jls: jail "app-0" not found',
    );
  }, 240_000);
});
