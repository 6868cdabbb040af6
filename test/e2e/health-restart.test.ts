// SPDX-License-Identifier: BSD-2-Clause
// Restarts between commits on the test host, with `stockade run` as a separate process: a jail
// whose process is killed comes back after a backoff that doubles, and a jail whose command
// keeps exiting is reported CrashLooping in the status with the tail of its output.

import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CRASH_LOOPING_CODE } from '../../src/daemon/health-wiring.js';
import type { NodeStatus } from '../../src/status/node-status.js';
import { findRepoRoot } from '../host/paths.js';
import {
  readDaemonLog,
  readDaemonLogEntries,
  startStack,
  waitFor,
  waitForNodeStatus,
  type Stack,
} from '../host/stack.js';

const FIXTURE = path.join(findRepoRoot(), 'test', 'fixtures', 'e2e', 'health-restart');
const CRASH_LINE = 'crash: cannot open /data/db: no such file';

let stack: Stack;
let status: NodeStatus;

beforeAll(async () => {
  // No polls after the first run: only the monitor acts on the host between commits.
  stack = await startStack({ manifests: FIXTURE, pollInterval: 3600 });
  await stack.startDaemon();
  status = await waitForStatus(
    'the first apply with both jails healthy',
    (s) => s.result === 'Applied' && s.jails.every((j) => j.health === 'healthy'),
    120_000,
  );
  // crash-0 starts its crash loop now, so its backoff runs while web-0 is killed.
  const root = (await stack.hostTool('jls', ['-j', 'crash-0', 'path'])).trim();
  await writeFile(path.join(root, 'crash'), '');
  killAll(await waitFor('crash-0 processes', () => nonEmpty(stack.jailPids('crash-0'))));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
}, 120_000);

describe('restarts on the test host', () => {
  it('restarts a killed jail after 1 s, then 2 s, then 4 s', async () => {
    const address = addressOf('web-0');
    const seen: number[][] = [];
    for (let round = 1; round <= 3; round++) {
      await waitFor('web-0 to answer', () => httpStatusIs(address, 200), 30_000);
      const pids = await waitFor('web-0 processes', () => nonEmpty(stack.jailPids('web-0')));
      seen.push(pids);
      killAll(pids);
      await waitFor(
        `restart ${round} of web-0`,
        async () => ((await restarts('web-0')).length >= round ? true : undefined),
        90_000,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await readDaemonLog(stack)}`);
      });
    }
    await waitFor('web-0 to answer again', () => httpStatusIs(address, 200), 30_000);

    const scheduled = await scheduledRestarts('web-0');
    const done = await restarts('web-0');
    expect(scheduled.map((e) => [e['action'], e['durationMs']])).toEqual([
      ['unhealthy', 1000],
      ['unhealthy', 2000],
      ['unhealthy', 4000],
    ]);
    expect(done).toHaveLength(3);
    for (const [i, restart] of done.entries()) {
      const due = scheduled[i] as Record<string, unknown>;
      // Never earlier than the backoff; how much later depends on the machine.
      expect(time(restart) - time(due)).toBeGreaterThanOrEqual(due['durationMs'] as number);
      if (i + 1 < scheduled.length) {
        expect(time(scheduled[i + 1] as Record<string, unknown>)).toBeGreaterThan(time(restart));
      }
    }
    // Each restart ran a new process: no pid of an earlier instance is alive.
    const now = await stack.jailPids('web-0');
    expect(now.length).toBeGreaterThan(0);
    expect(now.filter((pid) => seen.flat().includes(pid))).toEqual([]);
  }, 300_000);

  it('reports a jail whose command keeps exiting as CrashLooping with its output', async () => {
    const looping = await waitForStatus(
      'crash-0 reported CrashLooping',
      (s) => s.errors.some((e) => e.code === CRASH_LOOPING_CODE),
      280_000,
    );

    const lines = Array<string>(5).fill(CRASH_LINE).join('\n');
    expect(looping.errors.filter((e) => e.code === CRASH_LOOPING_CODE)).toEqual([
      {
        code: CRASH_LOOPING_CODE,
        message: `jail 'crash-0' is CrashLooping after 5 restart(s); last output:\n${lines}`,
      },
    ]);
    expect(looping.jails.find((j) => j.name === 'crash-0')).toMatchObject({
      state: 'failed',
      health: 'unhealthy',
    });
    expect(looping.conditions.find((c) => c.type === 'Ready')?.status).toBe('False');
    const log = await readDaemonLogEntries(stack);
    const linesOf = (msg: string) =>
      log.flatMap((e, i) => (e['msg'] === msg && e['jail'] === 'crash-0' ? [i] : []));
    const scheduled = linesOf('jail restart scheduled');
    expect(scheduled.map((i) => log[i]?.['durationMs'])).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000,
    ]);
    // The verdict came with the sixth scheduling, after five restarts, and only then.
    expect(linesOf('jail is crash looping')).toEqual([(scheduled[5] as number) + 1]);
  }, 300_000);
});

function addressOf(jail: string): string {
  const address = status.jails.find((j) => j.name === jail)?.addresses?.[0];
  if (address === undefined) throw new Error(`no address for ${jail} in the status`);
  return address.split('/')[0] as string;
}

function waitForStatus(
  what: string,
  check: (s: NodeStatus) => boolean,
  timeoutMs: number,
): Promise<NodeStatus> {
  return waitForNodeStatus(stack, what, check, timeoutMs);
}

async function scheduledRestarts(jail: string): Promise<Record<string, unknown>[]> {
  return (await readDaemonLogEntries(stack)).filter(
    (e) => e['msg'] === 'jail restart scheduled' && e['jail'] === jail,
  );
}

/** The monitor's own line for a carried-out restart (the wiring logs the steps separately). */
async function restarts(jail: string): Promise<Record<string, unknown>[]> {
  return (await readDaemonLogEntries(stack)).filter(
    (e) => e['msg'] === 'jail restarted' && e['jail'] === jail && e['action'] === 'restart',
  );
}

function time(entry: Record<string, unknown>): number {
  return entry['time'] as number;
}

async function nonEmpty(pids: Promise<number[]>): Promise<number[] | undefined> {
  const list = await pids;
  return list.length > 0 ? list : undefined;
}

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** True when GET /health on the jail answers `status`; undefined otherwise, for waitFor. */
function httpStatusIs(address: string, status: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: address, port: 8080, path: '/health', timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === status ? true : undefined);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
