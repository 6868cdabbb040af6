// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { silentLogger } from '../../src/log/logger.js';
import { openStateStore } from '../../src/run/state-store.js';
import { buildNodeStatus, isSameStatus } from '../../src/status/node-status.js';
import { publishStatus } from '../../src/status/publish.js';
import { FakeGit } from '../run/fakes.js';
import { tempDir } from '../run/helpers.js';
import { APPLIED, appliedReport } from './fixtures.js';

async function setup() {
  const store = openStateStore(await tempDir());
  await store.writeApplied({
    commit: { ...APPLIED.commit, author: 'dev', timestamp: 1 },
    topology: APPLIED.topology,
    appliedAt: 'x',
  });
  const git = new FakeGit();
  const publish = (report = appliedReport()) =>
    publishStatus({
      node: 'node1',
      labels: { site: 'ams' },
      report,
      source: git,
      store,
      logger: silentLogger,
    });
  return { store, git, publish };
}

describe('the status file', () => {
  it('holds commit, result, plan, jails, rollback points and no repository URL', () => {
    const status = buildNodeStatus({
      node: 'node1',
      labels: {},
      report: appliedReport(),
      applied: APPLIED,
    });

    expect(status).toMatchObject({
      apiVersion: 'stockade/v1',
      kind: 'NodeStatus',
      node: 'node1',
      applied: { commit: '1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b', message: 'Add db' },
      result: 'Applied',
      reason: 'Applied',
      failedStep: null,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Applied' }],
      plan: { create: 2, steps: 9 },
      rollbackPoints: ['c-1a2b3c4d5e6f-20261204T120000Z'],
      graph: {
        networks: ['front|end'],
        volumes: ['pg"data'],
        services: [{ name: 'web', jails: ['web-0'] }],
      },
    });
    expect(JSON.stringify(status)).not.toContain('http');
  });

  it('ignores timestamps when comparing', () => {
    const a = buildNodeStatus({ node: 'n', labels: {}, report: appliedReport() });
    const b = buildNodeStatus({
      node: 'n',
      labels: {},
      report: appliedReport({ finishedAt: '2030-01-01T00:00:00.000Z' }),
    });
    const c = buildNodeStatus({ node: 'n', labels: {}, report: appliedReport({ pinned: true }) });

    expect(isSameStatus(a, b)).toBe(true);
    expect(isSameStatus(a, c)).toBe(false);
  });
});

describe('publishStatus', () => {
  it('makes one commit per change and none when nothing changed', async () => {
    const { git, publish } = await setup();

    const first = await publish();
    const again = await publish(
      appliedReport({ finishedAt: '2026-12-04T13:00:00.000Z', durationMs: 9 }),
    );
    const quiet = await publish(
      appliedReport({ result: 'NoChange', reason: 'UpToDate', message: 'host matches the commit' }),
    );
    const drift = await publish(
      appliedReport({ result: 'NoChange', reason: 'DriftDetected', message: 'host drifted' }),
    );

    expect([first.changed, again.changed, quiet.changed, drift.changed]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(git.writes.map((w) => [Object.keys(w.files), w.message])).toEqual([
      [['nodes/node1.json'], 'status: node1 Applied Applied at 1a2b3c4'],
      [['nodes/node1.json'], 'status: node1 NoChange DriftDetected at 1a2b3c4'],
    ]);
    expect(JSON.parse(git.writes[0]!.files['nodes/node1.json']!)).toMatchObject({
      node: 'node1',
      labels: { site: 'ams' },
    });
  });

  it('reports an unreachable server once and keeps the last good state, without flapping', async () => {
    const { git, publish } = await setup();
    await publish();
    const down = appliedReport({
      result: 'Failed',
      reason: 'SourceUnavailable',
      message: 'repository unreachable; keeping commit 1a2b3c4',
      errors: [{ code: 'GIT_UNREACHABLE', message: 'failed to fetch' }],
      plan: undefined,
      jails: [],
    });

    const outage = [
      await publish(down),
      await publish({ ...down, finishedAt: '2026-12-04T12:10:00.000Z' }),
      await publish(down),
    ];

    expect(outage.map((r) => r.changed)).toEqual([true, false, false]);
    expect(git.writes).toHaveLength(2);
    const status = JSON.parse(git.writes[1]!.files['nodes/node1.json']!);
    expect(status).toMatchObject({
      result: 'Applied',
      plan: { create: 2 },
      jails: [{ name: 'db-0' }, { name: 'web-0' }],
    });
    expect(
      status.conditions.map((c: { type: string; status: string }) => [c.type, c.status]),
    ).toEqual([
      ['Ready', 'True'],
      ['SourceUnavailable', 'True'],
    ]);
  });

  it('retries a push that failed on the next run', async () => {
    const { git, publish } = await setup();
    git.unreachable = true;

    const failed = await publish();
    git.unreachable = false;
    const retried = await publish();

    expect(failed).toMatchObject({ changed: true, error: { code: 'GIT_UNREACHABLE' } });
    expect(retried).toMatchObject({ changed: true, commit: 's1' });
  });
});
