// SPDX-License-Identifier: BSD-2-Clause
// The health a run reports for jails it did not touch: a refused commit loads no checks of its
// own, so the jails of the applied commit are reported from that commit's checks.

import { describe, expect, it } from 'vitest';

import { createEngine } from '../../src/run/engine.js';
import { fakeDeps, manifestFile } from './fakes.js';
import { tempDir } from './helpers.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('the jails of a run that refused its commit', () => {
  it('keep the applied commit checks: unknown health, not none', async () => {
    const { git, deps } = fakeDeps(await tempDir());
    const engine = createEngine(deps);
    git.push(A, {
      'app.json': manifestFile([{ name: 'web', health: { tcp: { port: 80 } } }, { name: 'api' }]),
    });
    const applied = await engine.run();
    git.push(B, {
      'app.json': manifestFile([
        { name: 'web', health: { tcp: { port: 80 } } },
        { name: 'api', image: '' },
      ]),
    });

    const refused = await engine.run();

    expect(applied.result).toBe('Applied');
    expect(refused).toMatchObject({ result: 'ValidationFailed', applied: A });
    expect(refused.jails.map((j) => [j.name, j.state, j.health])).toEqual([
      ['api-0', 'running', 'none'],
      ['web-0', 'running', 'unknown'],
    ]);
  });
});
