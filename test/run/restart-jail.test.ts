// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { createEngine } from '../../src/run/engine.js';
import { restartJail } from '../../src/run/restart-jail.js';
import { fakeDeps, manifestFile } from './fakes.js';
import { tempDir } from './helpers.js';

describe('restartJail', () => {
  it('tears down and recreates one jail and touches nothing else', async () => {
    const { deps, git, host } = fakeDeps(await tempDir());
    const engine = createEngine(deps);
    git.push('a'.repeat(40), { 'app.json': manifestFile([{ name: 'web' }, { name: 'db' }]) });
    await engine.run();
    const applied = (await engine.store.readApplied())!;
    const before = structuredClone(host.topology);
    const calls = host.calls.length;

    const steps = await restartJail({
      name: 'web-0',
      desired: applied.topology,
      host,
      plan: deps.plan,
    });

    expect(steps).toEqual([
      'jail.stop:web-0',
      'jail.remove:web-0',
      'jail.create:web-0',
      'jail.startCommand:web-0',
    ]);
    expect(
      host.calls
        .slice(calls)
        .filter((c) => c.method === 'applyStep')
        .map((c) => c.args[0]),
    ).toEqual(steps);
    expect(host.topology.jails['web-0']).toMatchObject({ running: true, jid: 3 });
    expect(host.topology.jails['db-0']).toEqual(before.jails['db-0']);
    expect(host.topology.datasets).toEqual(before.datasets);
    expect(applied.checks).toEqual({ 'db-0': {}, 'web-0': {} });
  });

  it('rejects with the error of a failing step', async () => {
    const { deps, git, host } = fakeDeps(await tempDir());
    const engine = createEngine(deps);
    git.push('a'.repeat(40), {
      'app.json': manifestFile([{ name: 'web', health: { tcp: { port: 80 } } }]),
    });
    await engine.run();
    const applied = (await engine.store.readApplied())!;
    host.failSteps.set('jail.create:web-0', new Error('jail: exec.start failed'));

    await expect(
      restartJail({ name: 'web-0', desired: applied.topology, host, plan: deps.plan }),
    ).rejects.toThrow('jail: exec.start failed');
    expect(applied.checks).toEqual({ 'web-0': { health: { tcp: { port: 80 } } } });
  });
});
