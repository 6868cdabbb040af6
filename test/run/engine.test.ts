// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { createEngine } from '../../src/run/engine.js';
import {
  commandError,
  fakeCompile,
  fakeDeps,
  fakeLoad,
  manifestFile,
  testConfig,
} from './fakes.js';
import { stable, tempDir } from './helpers.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

/** The topology a commit's files compile to, with every jail running. */
function expected(git: ReturnType<typeof fakeDeps>['git'], oid: string, stateDir: string) {
  const files = git.commits.get(oid)!.files;
  const loaded = fakeLoad(files);
  if (!loaded.ok) throw new Error('fixture does not load');
  return fakeCompile(loaded.manifests, testConfig(stateDir));
}

async function world(over: Parameters<typeof fakeDeps>[1] = {}) {
  const dir = await tempDir();
  const fakes = fakeDeps(dir, over);
  return { dir, ...fakes, engine: createEngine(fakes.deps) };
}

describe('a pushed commit', () => {
  it('is applied, recorded, and a second run changes nothing', async () => {
    const { dir, git, host, engine } = await world();
    git.push(A, {
      'app.json': manifestFile([{ name: 'web', volumes: [{ name: 'data' }] }], ['data']),
    });

    const first = await engine.run();
    const calls = host.calls.length;
    const second = await engine.run();

    expect(first).toMatchObject({
      result: 'Applied',
      reason: 'Applied',
      applied: A,
      pinned: false,
      phase: 'record',
      errors: [],
      plan: { create: 1, destroy: 0, steps: 6 },
      jails: [{ name: 'web-0', manifest: 'web', state: 'running', jid: 1, health: 'none' }],
    });
    // A fresh host has no jails tree to snapshot yet.
    expect(first.rollbackPoint).toBeUndefined();
    expect(stable(host.topology)).toEqual(expected(git, A, dir));
    expect(await engine.store.readJournal()).toBeUndefined();
    expect((await engine.store.readApplied())!.commit.oid).toBe(A);
    expect(second).toMatchObject({ result: 'NoChange', reason: 'UpToDate', applied: A });
    expect(host.calls.slice(calls).filter((c) => c.method === 'applyStep')).toEqual([]);
    // The idle run observes once, for the addresses and the plan, and reports from that.
    expect(host.calls.slice(calls).map((c) => c.method)).toEqual(['observe', 'listSnapshots']);
  });

  it('takes one rollback point over both trees before changing a host that has them', async () => {
    const { git, host, engine } = await world();
    git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    git.push(B, { 'app.json': manifestFile([{ name: 'web', version: '2' }]) });

    const report = await engine.run();

    expect(report).toMatchObject({
      result: 'Applied',
      applied: B,
      rollbackPoint: 'c-bbbbbbbbbbbb-20261204T120000Z',
      rollbackPoints: ['c-bbbbbbbbbbbb-20261204T120000Z'],
    });
    const snapshot = host.calls.find((c) => c.method === 'snapshotRecursive')!;
    const firstStep = host.calls.findIndex(
      (c) => c.method === 'applyStep' && c.args[0] === 'jail.stop:web-0',
    );
    expect(snapshot.args).toEqual([
      ['tank/stockade/jails', 'tank/stockade/volumes'],
      'c-bbbbbbbbbbbb-20261204T120000Z',
    ]);
    expect(host.calls.indexOf(snapshot)).toBeLessThan(firstStep);
    expect(await engine.store.readHistory()).toMatchObject([
      { commit: A, result: 'Applied', pinned: false },
      {
        commit: B,
        result: 'Applied',
        rollbackPoint: 'c-bbbbbbbbbbbb-20261204T120000Z',
        pinned: false,
      },
    ]);
  });

  it('keeps only the newest rollback points the retention allows', async () => {
    const { git, host, clock, engine } = await world();
    git.push('0'.repeat(40), { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    for (const n of [1, 2, 3, 4, 5]) {
      clock.ms += 60_000;
      host.nowSeconds += 60;
      git.push(String(n).repeat(40), {
        'app.json': manifestFile([{ name: 'web', version: String(n) }]),
      });
      await engine.run();
    }

    expect(host.snapshotNames('tank/stockade/jails')).toEqual([
      'c-333333333333-20261204T120300Z',
      'c-444444444444-20261204T120400Z',
      'c-555555555555-20261204T120500Z',
    ]);
    expect(host.snapshotNames('tank/stockade/volumes')).toEqual(
      host.snapshotNames('tank/stockade/jails'),
    );
  });
});

describe('a commit that cannot be applied', () => {
  it('with a bad manifest changes nothing and names file:line', async () => {
    const { git, host, engine } = await world();
    git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    const before = structuredClone(host.topology);
    const calls = host.calls.length;
    git.push(B, { 'app.json': manifestFile([{ name: 'web' }, { name: 'api', image: '' }]) });

    const report = await engine.run();

    expect(report).toMatchObject({
      result: 'ValidationFailed',
      reason: 'ManifestInvalid',
      applied: A,
      phase: 'load',
    });
    expect(report.errors).toEqual([
      {
        code: 'SCHEMA',
        message: 'must NOT have fewer than 1 characters',
        file: 'app.json',
        line: 9,
        column: 7,
        path: 'spec.image',
      },
    ]);
    expect(host.topology).toEqual(before);
    // One observe, for the host's addresses and the report; no change.
    expect(host.calls.slice(calls).map((c) => c.method)).toEqual(['observe', 'listSnapshots']);
  });

  it('is refused by the prune guard and the host is left alone', async () => {
    const { git, host, engine } = await world();
    git.push(A, { 'app.json': manifestFile([{ name: 'web', replicas: 3 }]) });
    await engine.run();
    const before = structuredClone(host.topology);
    git.push(B, { 'app.json': manifestFile([{ name: 'api' }]) });

    const report = await engine.run();

    expect(report).toMatchObject({
      result: 'Refused',
      reason: 'PruneGuard',
      applied: A,
      phase: 'plan',
      errors: [{ code: 'PRUNE_GUARD', message: 'plan removes too many jails' }],
    });
    expect(host.topology).toEqual(before);
  });

  it('after a force push is refused unless the node allows it', async () => {
    const { dir, git, host, engine, deps } = await world();
    git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    git.push(B, { 'app.json': manifestFile([{ name: 'web', version: '2' }]) }, null);

    const refused = await engine.run();
    const allowing = createEngine({
      ...deps,
      config: { ...deps.config, repository: { ...deps.config.repository, allowForcePush: true } },
    });
    const applied = await allowing.run();

    expect(refused).toMatchObject({
      result: 'Refused',
      reason: 'ForcePushRefused',
      applied: A,
      phase: 'fetch',
      errors: [{ code: 'FORCE_PUSH_REFUSED' }],
    });
    expect(applied).toMatchObject({ result: 'Applied', applied: B });
    expect(stable(host.topology)).toEqual(expected(git, B, dir));
  });

  it('while the repository is unreachable keeps the last good commit', async () => {
    const { git, engine } = await world();
    git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    git.unreachable = true;

    const report = await engine.run();

    expect(report).toMatchObject({
      result: 'Failed',
      reason: 'SourceUnavailable',
      applied: A,
      phase: 'fetch',
      message: 'repository unreachable; keeping commit aaaaaaa',
      errors: [{ code: 'GIT_UNREACHABLE' }],
      jails: [{ name: 'web-0', state: 'running' }],
    });
  });
});

describe('an apply that fails halfway', () => {
  async function appliedA() {
    const w = await world();
    w.git.push(A, {
      'app.json': manifestFile(
        [{ name: 'web', volumes: [{ name: 'data' }] }, { name: 'cache' }],
        ['data'],
      ),
    });
    await w.engine.run();
    const previous = structuredClone(w.host.topology);
    const data = w.host.data.get('tank/stockade/volumes/data');
    w.git.push(B, {
      'app.json': manifestFile(
        [
          { name: 'web', version: '2', volumes: [{ name: 'data' }] },
          { name: 'cache', version: '2' },
          {
            name: 'api',
            volumes: [{ name: 'data', readonly: true }],
            health: { tcp: { port: 80 } },
          },
        ],
        ['data', 'logs'],
      ),
    });
    return { ...w, previous, data };
  }

  it('is rolled back to the previous commit when a step throws', async () => {
    const { host, engine, previous, data } = await appliedA();
    host.data.set('tank/stockade/volumes/data', 'before B');
    host.failSteps.set(
      'jail.startCommand:web-0',
      commandError(['/usr/sbin/jail', '-c', 'name=web-0']),
    );

    const report = await engine.run();

    expect(data).toBe('written by web-0');
    expect(report).toMatchObject({
      result: 'RolledBack',
      reason: 'StepFailed',
      applied: A,
      failedStep: 'jail.startCommand:web-0',
      message:
        'jail.startCommand:web-0 failed (/usr/sbin/jail -c name=web-0); rolled back to commit aaaaaaa',
      errors: [
        {
          code: 'HOST_COMMAND_FAILED',
          step: 'jail.startCommand:web-0',
          command: '/usr/sbin/jail -c name=web-0',
          message: 'failed to run /usr/sbin/jail: exit 1',
        },
      ],
    });
    // Nothing of B is left: same jails, datasets (the new logs volume included) and specs.
    expect(stable(host.topology)).toEqual(stable(previous));
    expect(host.calls.filter((c) => c.method === 'rollbackRecursive').map((c) => c.args)).toEqual([
      ['tank/stockade/jails', 'c-bbbbbbbbbbbb-20261204T120000Z'],
    ]);
    expect(await engine.store.readJournal()).toBeUndefined();
    expect(host.snapshotNames('tank/stockade/jails')).toEqual(['c-bbbbbbbbbbbb-20261204T120000Z']);
  });

  it('rolls back a volume that a started jail of the failed commit mounted read-write', async () => {
    const { host, engine, previous } = await appliedA();
    host.data.set('tank/stockade/volumes/data', 'before B');
    host.failSteps.set(
      'jail.startCommand:api-0',
      commandError(['/usr/sbin/jexec', 'api-0', '/bin/run']),
    );

    const report = await engine.run();

    expect(report).toMatchObject({ result: 'RolledBack', failedStep: 'jail.startCommand:api-0' });
    expect(host.calls.filter((c) => c.method === 'rollbackRecursive').map((c) => c.args)).toEqual([
      ['tank/stockade/jails', 'c-bbbbbbbbbbbb-20261204T120000Z'],
      ['tank/stockade/volumes/data', 'c-bbbbbbbbbbbb-20261204T120000Z'],
    ]);
    // web-0 of B wrote to data, the rollback restored it, the re-applied web-0 of A wrote again.
    expect(host.data.get('tank/stockade/volumes/data')).toBe('written by web-0');
    expect(stable(host.topology)).toEqual(stable(previous));
  });

  it('is rolled back when a health check never passes', async () => {
    const { host, engine, previous, unhealthy } = await appliedA();
    unhealthy.add('api-0');

    const report = await engine.run();

    expect(report).toMatchObject({
      result: 'RolledBack',
      reason: 'HealthCheckFailed',
      applied: A,
      failedStep: 'health:api-0',
      errors: [{ code: 'HEALTH_CHECK_FAILED', step: 'health:api-0' }],
    });
    expect(stable(host.topology)).toEqual(stable(previous));
  });

  it('reports RollbackFailed and keeps the journal when restoring fails too', async () => {
    const { host, engine } = await appliedA();
    host.failSteps.set('jail.create:api-0', commandError(['/usr/sbin/jail', '-c', 'name=api-0']));
    host.beforeStep = (step) => {
      const restoring = host.calls.some((c) => c.method === 'rollbackRecursive');
      if (restoring && step.id === 'jail.create:cache-0') {
        throw commandError(['/usr/sbin/jail', '-c', 'name=cache-0']);
      }
    };

    const report = await engine.run();

    expect(report).toMatchObject({ result: 'Failed', reason: 'RollbackFailed', applied: A });
    expect(report.errors.map((e) => e.code)).toEqual([
      'HOST_COMMAND_FAILED',
      'HOST_COMMAND_FAILED',
    ]);
    expect(await engine.store.readJournal()).toMatchObject({ commit: B, phase: 'apply' });
  });
});

describe('at boot', () => {
  it('starts every jail that does not depend on a failing one', async () => {
    const { git, host, engine } = await world();
    git.push(A, {
      'app.json': manifestFile([
        { name: 'db' },
        { name: 'app', dependsOn: ['db'] },
        { name: 'web' },
      ]),
    });
    await engine.run();
    // A reboot: the datasets stay, no jail runs.
    host.topology.jails = {};
    host.failSteps.set('jail.create:db-0', commandError(['/usr/sbin/jail', '-c', 'name=db-0']));

    const report = await engine.run({ boot: true });

    expect(report).toMatchObject({
      result: 'Failed',
      reason: 'JailsFailed',
      failedStep: 'jail.create:db-0',
    });
    expect(report.jails.map((j) => [j.name, j.state])).toEqual([
      ['app-0', 'blocked'],
      ['db-0', 'failed'],
      ['web-0', 'running'],
    ]);
    expect(host.calls.filter((c) => c.method === 'rollbackRecursive')).toEqual([]);
  });
});

describe('drift and pins', () => {
  it('puts a stopped jail back', async () => {
    const { git, host, engine } = await world();
    git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    host.topology.jails['web-0']!.running = false;
    delete host.topology.jails['web-0']!.jid;

    const report = await engine.run();

    expect(report).toMatchObject({ result: 'Applied', reason: 'DriftCorrected', applied: A });
    expect(host.topology.jails['web-0']!.running).toBe(true);
  });

  it('only reports drift when selfHeal is off', async () => {
    const dir = await tempDir();
    const fakes = fakeDeps(dir);
    const engine = createEngine({
      ...fakes.deps,
      config: { ...fakes.deps.config, selfHeal: false },
    });
    fakes.git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    fakes.host.topology.jails['web-0']!.running = false;
    delete fakes.host.topology.jails['web-0']!.jid;

    const report = await engine.run();

    expect(report).toMatchObject({ result: 'NoChange', reason: 'DriftDetected' });
    expect(report.jails).toEqual([
      { name: 'web-0', manifest: 'web', state: 'stopped', health: 'none' },
    ]);
  });

  it('holds a rolled-back commit until a new commit or unpin', async () => {
    const { dir, git, host, engine } = await world();
    const a = git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    git.push(B, { 'app.json': manifestFile([{ name: 'web', version: '2' }]) });
    await engine.run();

    const rolled = await engine.run({ target: a });
    const held = await engine.run();
    git.push(C, { 'app.json': manifestFile([{ name: 'web', version: '3' }]) });
    const followed = await engine.run();

    expect(rolled).toMatchObject({ result: 'Applied', reason: 'Pinned', applied: A, pinned: true });
    expect(held).toMatchObject({ result: 'NoChange', reason: 'Pinned', applied: A, pinned: true });
    expect(followed).toMatchObject({
      result: 'Applied',
      reason: 'Applied',
      applied: C,
      pinned: false,
    });
    expect(stable(host.topology)).toEqual(expected(git, C, dir));
    expect((await engine.store.readHistory()).map((h) => [h.commit[0], h.pinned])).toEqual([
      ['a', false],
      ['b', false],
      ['a', true],
      ['c', false],
    ]);
  });
});
