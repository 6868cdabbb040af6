// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { createEngine } from '../../src/run/engine.js';
import { withDeadline } from '../../src/run/deadline.js';
import { fakeDeps, manifestFile } from './fakes.js';
import { stable, tempDir } from './helpers.js';

describe('deadlines', () => {
  it('reject a call that does not settle in time with DEADLINE_EXCEEDED', async () => {
    const never = new Promise<never>(() => undefined);

    await expect(withDeadline(never, 5, 'zfs snapshot')).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      kind: 'transient',
      data: { what: 'zfs snapshot', timeoutMs: 5 },
    });
    await expect(withDeadline(Promise.resolve(7), 5, 'x')).resolves.toBe(7);
  });

  it('roll back an apply whose host step hangs', async () => {
    const dir = await tempDir();
    const { deps, git, host } = fakeDeps(dir, { deadlines: { hostCallMs: 20 } });
    const engine = createEngine(deps);
    git.push('a'.repeat(40), { 'app.json': manifestFile([{ name: 'web' }]) });
    await engine.run();
    const previous = structuredClone(host.topology);
    git.push('b'.repeat(40), { 'app.json': manifestFile([{ name: 'web' }, { name: 'api' }]) });
    const hang = host.applyStep.bind(host);
    host.applyStep = async (step) => {
      if (step.id === 'jail.startCommand:api-0') await new Promise(() => undefined);
      return hang(step);
    };

    const report = await engine.run();

    expect(report).toMatchObject({
      result: 'RolledBack',
      reason: 'StepFailed',
      failedStep: 'jail.startCommand:api-0',
      errors: [{ code: 'DEADLINE_EXCEEDED', step: 'jail.startCommand:api-0' }],
    });
    expect(stable(host.topology)).toEqual(stable(previous));
  });

  it('end a run that ran out of time before its next phase', async () => {
    const dir = await tempDir();
    const { deps, git, clock } = fakeDeps(dir, { deadlines: { runMs: 1000 } });
    git.push('a'.repeat(40), { 'app.json': manifestFile([{ name: 'web' }]) });
    const slowCompile: typeof deps.compile = (m, c, o) => {
      clock.ms += 5000;
      return deps.compile(m, c, o);
    };

    const report = await createEngine({ ...deps, compile: slowCompile }).run();

    expect(report).toMatchObject({
      result: 'Failed',
      reason: 'DeadlineExceeded',
      phase: 'plan',
      errors: [{ code: 'DEADLINE_EXCEEDED' }],
    });
  });
});
