// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { createEngine } from '../../src/run/engine.js';
import { fakeDeps, manifestFile } from './fakes.js';
import { tempDir } from './helpers.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

async function failedHealthOnB() {
  const dir = await tempDir();
  const fakes = fakeDeps(dir);
  const engine = createEngine(fakes.deps);
  fakes.git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
  await engine.run();
  fakes.git.push(B, {
    'app.json': manifestFile([{ name: 'web' }, { name: 'api', health: { tcp: { port: 80 } } }]),
  });
  fakes.unhealthy.add('api-0');
  const failed = await engine.run();
  return { ...fakes, engine, failed };
}

describe('a tip whose health gate failed', () => {
  it('is not applied again on the next poll, and keeps its verdict', async () => {
    const { host, engine, failed } = await failedHealthOnB();
    const calls = host.calls.length;

    const again = await engine.run();

    expect(failed).toMatchObject({ result: 'RolledBack', reason: 'HealthCheckFailed' });
    expect(again).toMatchObject({
      result: 'RolledBack',
      reason: 'HealthCheckFailed',
      failedStep: 'health:api-0',
      applied: A,
      commit: { oid: B },
      errors: [{ code: 'HEALTH_CHECK_FAILED', step: 'health:api-0' }],
    });
    const changing = host.calls
      .slice(calls)
      .filter((c) => ['applyStep', 'snapshotRecursive', 'rollbackRecursive'].includes(c.method));
    expect(changing).toEqual([]);
  });

  it('is applied again at boot, and a newer commit is applied as usual', async () => {
    const { git, unhealthy, engine } = await failedHealthOnB();

    const boot = await engine.run({ boot: true });
    expect(boot).toMatchObject({ result: 'RolledBack', reason: 'HealthCheckFailed', applied: A });

    unhealthy.clear();
    git.push(C, { 'app.json': manifestFile([{ name: 'web' }, { name: 'api' }]) });
    expect(await engine.run()).toMatchObject({ result: 'Applied', applied: C });
  });
});
