// SPDX-License-Identifier: BSD-2-Clause
// The sync engine on the test host when an apply fails halfway: a start command that exits at
// once and a health check that never passes. Each failed commit must leave the host as the
// previous commit had it (same jails, roots, addresses and pf tables), with nothing leaked, and
// the status must say RolledBack and name the failed step.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { NodeStatus } from '../../src/status/node-status.js';
import { findRepoRoot } from '../host/paths.js';
import { startStack, type Stack } from '../host/stack.js';
import { requireRoot } from '../setup/test-host.js';
import { type HostSnapshot, snapshotHost, waitForStatus, withoutJids } from './leaks.js';

const DEMO = path.join(findRepoRoot(), 'demo-repo');
const HTTPD = 'exec /usr/sbin/httpd -f -p "$STOCKADE_JAIL_IP:8080" -h /www';

describe('engine on the test host: a failed apply is rolled back', () => {
  const isRoot = requireRoot();
  let stack: Stack;
  let manifest: string;
  let good: string;
  let before: HostSnapshot;
  let firstStatus: NodeStatus;

  beforeAll(async () => {
    if (!isRoot) return;
    manifest = await readFile(path.join(DEMO, 'stockade.yaml'), 'utf8');
    stack = await startStack({ manifests: DEMO, pollInterval: 5 });
    good = (await stack.git_(['rev-parse', 'HEAD'])).trim();
    await stack.startDaemon();
    firstStatus = await waitForStatus(stack, good, (s) => s.result === 'Applied', 150_000);
    before = await snapshotHost(stack);
  }, 200_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  /** Pushes `text` as the manifest and waits for its run to end other than Applied. */
  async function pushFailing(message: string, text: string) {
    const bad = await stack.commit(message, { 'stockade.yaml': text });
    const status = await waitForStatus(stack, bad, (s) => s.result !== 'Applied', 180_000);
    return { bad, status, after: await snapshotHost(stack) };
  }

  it('sanity: the first commit runs both jails with their processes', () => {
    expect(before.jails.map((j) => j.name)).toEqual(['web-0', 'web-1']);
    expect(before.processRoots).toEqual(['web-0', 'web-1']);
    expect(Object.keys(before.anchors)).toContain('stockade/svc-web');
  });

  it('rolls back a commit whose start command exits 1 at once', async () => {
    const { status, after } = await pushFailing(
      'Start a command that fails at once',
      manifest.replace(HTTPD, 'exit 1'),
    );
    // The command is started detached, so its exit shows at the health gate of either replica.
    expectRolledBack(status, /^health:web-[01]$/, 'HealthCheckFailed');
    expect(withoutJids(after)).toEqual(withoutJids(before));
  }, 200_000);

  it('rolls back a commit whose health check never passes', async () => {
    // An in-place change (the memory limit) with a check on a page the jails do not serve: the
    // jails keep their roots and JIDs, and only the limits have to be put back.
    const prior = await snapshotHost(stack);
    const { status, after } = await pushFailing(
      'Raise the memory limit and probe a page that does not exist',
      manifest
        .replace('memory: 64M', 'memory: 96M')
        .replace('path: /index.html', 'path: /missing.html'),
    );
    expectRolledBack(status, /^health:web-[01]$/, 'HealthCheckFailed');
    expect(after).toEqual(prior);
  }, 200_000);

  function expectRolledBack(status: NodeStatus, step: RegExp, reason: string): void {
    expect(status.result).toBe('RolledBack');
    expect(status.reason).toBe(reason);
    expect(status.applied?.commit).toBe(good);
    expect(status.failedStep).toMatch(step);
    expect(status.errors[0]?.step).toBe(status.failedStep);
    expect(status.message).toContain(`rolled back to commit ${good.slice(0, 7)}`);
    expect(status.jails.map((j) => [j.name, j.state, j.addresses])).toEqual(
      before.jails.map((j) => [j.name, 'running', addressesOf(j.name)]),
    );
  }

  /** The address the first commit's status gave the jail. */
  function addressesOf(name: string): string[] | undefined {
    return firstStatus.jails.find((j) => j.name === name)?.addresses;
  }
});
