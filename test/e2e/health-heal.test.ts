// SPDX-License-Identifier: BSD-2-Clause
// Services that follow health and drift repair on the test host, with `stockade run` as a
// separate process: a replica whose HTTP check fails leaves its service's pf table and comes
// back without any anchor reload, and a jail removed by hand with jail -r is put back and shown
// as drift in the status.

import { rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { NodeStatus } from '../../src/status/node-status.js';
import { findRepoRoot } from '../host/paths.js';
import {
  readDaemonLogEntries,
  startStack,
  waitFor,
  waitForNodeStatus,
  type Stack,
} from '../host/stack.js';

const FIXTURE = path.join(findRepoRoot(), 'test', 'fixtures', 'e2e', 'health-heal');
const ANCHOR = 'stockade/svc-web';
const TABLE = 'svc_web';

let stack: Stack;
let status: NodeStatus;
const savedLevel = process.env['STOCKADE_LOG_LEVEL'];

beforeAll(async () => {
  // Debug lines carry every host command, so the test can see that no anchor was reloaded.
  process.env['STOCKADE_LOG_LEVEL'] = 'debug';
  // No polls after the first run: only the monitor acts on the host between commits.
  stack = await startStack({ manifests: FIXTURE, pollInterval: 3600 });
  await stack.startDaemon();
  status = await waitForNodeStatus(
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

describe('services follow health on the test host', () => {
  it('takes a failing replica out of the pf table and puts it back, without reloading the anchor', async () => {
    const web0 = addressOf('web-0');
    const web1 = addressOf('web-1');
    expect(await tableShow()).toEqual([web0, web1].sort());
    const root = (await stack.hostTool('jls', ['-j', 'web-0', 'path'])).trim();
    const since = (await readDaemonLogEntries(stack)).length;

    await rm(path.join(root, 'www', 'health'));
    await waitFor('web-0 out of the table', async () => same(await tableShow(), [web1]), 60_000);
    await writeFile(path.join(root, 'www', 'health'), 'ok\n');
    await waitFor(
      'web-0 back in the table',
      async () => same(await tableShow(), [web0, web1].sort()),
      60_000,
    );

    const pfctl = (await readDaemonLogEntries(stack))
      .slice(since)
      .filter((e) => e['msg'] === 'host command finished')
      .map((e) => e['argv'] as string[])
      .filter((argv) => path.basename(argv[0] ?? '') === 'pfctl')
      .map((argv) => argv.slice(1));
    expect(pfctl.filter((args) => args.includes('-f'))).toEqual([]);
    expect(pfctl.filter((args) => args.includes('replace'))).toEqual([
      ['-a', ANCHOR, '-t', TABLE, '-T', 'replace', web1],
      ['-a', ANCHOR, '-t', TABLE, '-T', 'replace', ...[web0, web1].sort()],
    ]);
  }, 150_000);
});

describe('drift repair on the test host', () => {
  it('puts back a jail removed by hand with jail -r and shows the drift in the status', async () => {
    const address = addressOf('app-0');
    const before = (await stack.hostTool('jls', ['-j', 'app-0', 'jid'])).trim();
    await stack.hostTool('jail', ['-r', 'app-0']);
    expect(await stack.jailPids('app-0')).toEqual([]);
    expect(await httpStatus(address)).toBeUndefined();

    const drifted = await waitForNodeStatus(
      stack,
      'the drift of app-0 in the status',
      (s) => s.warnings.some((w) => w.startsWith('drift: JailStopped app-0')),
      150_000,
    );
    expect(drifted.warnings.filter((w) => w.startsWith('drift: '))).toEqual([
      'drift: JailStopped app-0: jail is not running (repaired)',
    ]);
    await waitFor(
      'app-0 to answer again',
      async () => {
        return (await httpStatus(address)) === 200 ? true : undefined;
      },
      90_000,
    );
    const after = (await stack.hostTool('jls', ['-j', 'app-0', 'jid'])).trim();
    expect(after).not.toBe(before);
    expect((await stack.jailPids('app-0')).length).toBeGreaterThan(0);
    // The monitor's own restart carried the repair; nothing else started the jail.
    const restarts = (await readDaemonLogEntries(stack)).filter(
      (e) => e['msg'] === 'jail restarted' && e['jail'] === 'app-0' && e['action'] === 'restart',
    );
    expect(restarts).toHaveLength(1);
  }, 200_000);
});

function addressOf(jail: string): string {
  const address = status.jails.find((j) => j.name === jail)?.addresses?.[0];
  if (address === undefined) throw new Error(`no address for ${jail} in the status`);
  return address.split('/')[0] as string;
}

/** The service table's addresses, sorted, as `pfctl -T show` prints them. */
async function tableShow(): Promise<string[]> {
  const out = await stack.hostTool('pfctl', ['-a', ANCHOR, '-t', TABLE, '-T', 'show']);
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .sort();
}

function same(a: string[], b: string[]): true | undefined {
  return a.join(',') === b.join(',') ? true : undefined;
}

/** The status code of GET /health on the jail, or undefined when it does not answer. */
function httpStatus(address: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: address, port: 8080, path: '/health', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
