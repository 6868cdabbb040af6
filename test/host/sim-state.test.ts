// SPDX-License-Identifier: BSD-2-Clause
// The simulators' shared state: refusal without STOCKADE_SIM_STATE, and no lost updates when
// many simulator processes change the host at once.

import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';

import { SIMULATED_TOOLS, simulatorPath } from './sim/index.js';
import { createSimHost, ensureSimulatorsBuilt, type SimHost } from './sim/testkit.js';

const run = promisify(execFile);
let host: SimHost;

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
});
afterEach(() => host.cleanup());

it('refuses to run without STOCKADE_SIM_STATE (exit 70)', () => {
  const env = { ...process.env };
  delete env['STOCKADE_SIM_STATE'];
  for (const tool of SIMULATED_TOOLS) {
    const res = spawnSync(process.execPath, [simulatorPath(tool)], { env, encoding: 'utf8' });
    expect({ tool, code: res.status, stdout: res.stdout, stderr: res.stderr }).toEqual({
      tool,
      code: 70,
      stdout: '',
      stderr: `${tool}: simulator: STOCKADE_SIM_STATE is not set\n`,
    });
  }
});

it('gives concurrent creates distinct units and loses none', async () => {
  const env = { ...process.env, STOCKADE_SIM_STATE: host.stateDir };
  const results = await Promise.all(
    Array.from({ length: 8 }, () =>
      run(process.execPath, [simulatorPath('ifconfig'), 'epair', 'create'], { env }),
    ),
  );
  const names = results.map((r) => r.stdout).sort();
  expect(names).toEqual(Array.from({ length: 8 }, (_, i) => `epair${i}a\n`).sort());
  const list = host.run('ifconfig', ['-l']).stdout.trim().split(' ');
  expect(list).toHaveLength(2 + 16);
});

it('gives concurrent jail creates distinct JIDs', async () => {
  const env = { ...process.env, STOCKADE_SIM_STATE: host.stateDir };
  await Promise.all(
    Array.from({ length: 6 }, (_, i) =>
      run(process.execPath, [simulatorPath('jail'), '-c', `name=j${i}x`, 'path=/', 'persist'], {
        env,
      }),
    ),
  );
  const jids = host.run('jls', ['jid']).stdout.trim().split('\n').map(Number).sort();
  expect(jids).toEqual([1, 2, 3, 4, 5, 6]);
});
