// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated cpuset(1) with SAMPLES.md and REFERENCE.md section 8.

import { afterEach, beforeAll, beforeEach, expect, it } from 'vitest';

import { createSimHost, ensureSimulatorsBuilt, type SimHost } from './sim/testkit.js';

let host: SimHost;
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string) => ({ stdout: '', stderr, code: 1 });

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
  host.run('jail', ['-c', 'name=web', 'path=/', 'persist']);
});
afterEach(() => host.cleanup());

it('sets and prints a jail mask (SAMPLES: cpuset -l 0-1 -j 1 / -g -j 1)', () => {
  expect(host.run('cpuset', ['-l', '0-1', '-j', '1'])).toEqual(ok(''));
  expect(host.run('cpuset', ['-g', '-j', '1'])).toEqual(
    ok('jail 1 mask: 0, 1\njail 1 domain policy: first-touch mask: 0\n'),
  );
  expect(host.run('cpuset', ['-l', '1', '-j', '1'])).toEqual(ok(''));
  expect(host.run('cpuset', ['-g', '-j', '1']).stdout).toBe(
    'jail 1 mask: 1\njail 1 domain policy: first-touch mask: 0\n',
  );
});

it('rejects a malformed list (SAMPLES: Malformed list 0-x)', () => {
  expect(host.run('cpuset', ['-l', '0-x', '-j', '1'])).toEqual(
    fail('cpuset: Malformed list 0-x\n'),
  );
});

it('reads the JID with atoi, so a name is jail 0 and fails (pitfall 15)', () => {
  expect(host.run('cpuset', ['-l', '0', '-j', 'web'])).toEqual(
    fail('cpuset: setaffinity: No such process\n'),
  );
  expect(host.run('cpuset', ['-g', '-j', 'web'])).toEqual(
    fail('cpuset: getaffinity: No such process\n'),
  );
});

it('refuses CPUs the host does not have', () => {
  expect(host.run('cpuset', ['-l', '0-3', '-j', '1'], { env: { STOCKADE_SIM_NCPU: '2' } })).toEqual(
    fail('cpuset: setaffinity: Resource deadlock avoided\n'),
  );
  expect(host.run('cpuset', ['-l', '5000', '-j', '1'])).toEqual(
    fail('cpuset: List entry 5000 exceeds maximum of 1023\n'),
  );
});
