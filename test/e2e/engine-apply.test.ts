// SPDX-License-Identifier: BSD-2-Clause
// The sync engine on the test host, the happy path and a refused commit: a pushed commit is
// applied and reported on the status branch, the next commit's run takes a rollback point, and
// a commit with a bad manifest changes nothing on the host while the status names file:line.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { findRepoRoot } from '../host/paths.js';
import { startStack, type Stack } from '../host/stack.js';
import { requireRoot } from '../setup/test-host.js';
import { listPointSnapshots, snapshotHost, waitForStatus } from './leaks.js';

const DEMO = path.join(findRepoRoot(), 'demo-repo');

describe('engine on the test host: apply and refuse', () => {
  const isRoot = requireRoot();
  let stack: Stack;
  let manifest: string;
  let first: string;

  beforeAll(async () => {
    if (!isRoot) return;
    manifest = await readFile(path.join(DEMO, 'stockade.yaml'), 'utf8');
    stack = await startStack({ manifests: DEMO, pollInterval: 5 });
    first = (await stack.git_(['rev-parse', 'HEAD'])).trim();
    await stack.startDaemon();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  it('applies the pushed commit and pushes a status commit', async () => {
    const status = await waitForStatus(stack, first, (s) => s.result === 'Applied', 150_000);
    expect(status.applied?.commit).toBe(first);
    expect(status.reason).toBe('Applied');
    expect(status.failedStep).toBeNull();
    expect(status.errors).toEqual([]);
    expect(status.jails.map((j) => [j.name, j.state, j.health])).toEqual([
      ['web-0', 'running', 'healthy'],
      ['web-1', 'running', 'healthy'],
    ]);
    // A fresh host has no trees to snapshot yet.
    expect(status.rollbackPoints).toEqual([]);

    const host = await snapshotHost(stack);
    expect(host.jails.map((j) => j.name)).toEqual(['web-0', 'web-1']);
    expect(host.processRoots).toEqual(['web-0', 'web-1']);
    expect(status.jails.map((j) => j.jid)).toEqual(host.jails.map((j) => j.jid));
  }, 160_000);

  it('takes a rollback point on the second commit and lists it', async () => {
    const second = await stack.commit('Give the web jails more memory', {
      'stockade.yaml': manifest.replace('memory: 64M', 'memory: 96M'),
    });
    const status = await waitForStatus(stack, second, (s) => s.result === 'Applied');
    expect(status.applied?.commit).toBe(second);
    expect(status.rollbackPoints).toHaveLength(1);
    const point = status.rollbackPoints[0]!;
    expect(point).toMatch(new RegExp(`^c-${second.slice(0, 12)}-\\d{8}T\\d{6}Z$`));
    expect(await listPointSnapshots(stack)).toEqual([`${stack.host.root}/jails@${point}`]);
    const rctl = (await snapshotHost(stack)).rctl;
    expect(rctl).toContain('jail:web-0:memoryuse:deny=100663296');
    expect(rctl).toContain('jail:web-1:memoryuse:deny=100663296');
  }, 160_000);

  it('refuses a commit with a bad manifest and changes nothing on the host', async () => {
    const before = await snapshotHost(stack);
    const points = await listPointSnapshots(stack);
    const applied = (await stack.git_(['rev-parse', 'HEAD'])).trim();
    const broken = manifest
      .replace('memory: 64M', 'memory: 96M')
      .replace('replicas: 2', 'replicas: two');
    const line = broken.split('\n').findIndex((l) => l.includes('replicas: two')) + 1;
    const bad = await stack.commit('Break the replica count', { 'stockade.yaml': broken });

    const status = await waitForStatus(stack, bad, (s) => s.result !== 'Applied');
    expect(status.applied?.commit).toBe(applied);
    expect(status.result).toBe('ValidationFailed');
    expect(status.reason).toBe('ManifestInvalid');
    expect(status.errors[0]).toMatchObject({
      code: 'TYPE_MISMATCH',
      file: 'stockade.yaml',
      line,
      column: 13,
      path: 'spec.replicas',
    });
    expect(status.jails.map((j) => [j.name, j.state])).toEqual([
      ['web-0', 'running'],
      ['web-1', 'running'],
    ]);
    expect(await snapshotHost(stack)).toEqual(before);
    expect(await listPointSnapshots(stack)).toEqual(points);
  }, 160_000);
});
