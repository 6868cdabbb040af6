// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated jexec(8) with SAMPLES.md, and of the simulated network stack
// that stands in for ifconfig/route inside vnet jails.

import { rmSync } from 'node:fs';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { findJailPidsIn } from './sim/proc-kit.js';
import {
  createBusyboxRoot,
  createSimHost,
  ensureSimulatorsBuilt,
  IS_ROOT,
  type SimHost,
} from './sim/testkit.js';

let host: SimHost;
let root: string;
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string, stdout = '') => ({ stdout, stderr, code: 1 });

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
  root = createBusyboxRoot();
});
afterEach(() => {
  for (const pid of findJailPidsIn(host.stateDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  host.cleanup();
  rmSync(root, { recursive: true, force: true });
});

it('reports a missing jail (SAMPLES: jexec nosuch true)', () => {
  expect(host.run('jexec', ['nosuch', 'true'])).toEqual(fail('jexec: jail "nosuch" not found\n'));
  expect(host.run('jexec', ['9', 'true'])).toEqual(fail('jexec: jail 9 not found\n'));
});

it('prints usage without a jail', () => {
  expect(host.run('jexec', [])).toEqual(
    fail('usage: jexec [-l] [-u username | -U username] jail [command ...]\n'),
  );
});

describe.skipIf(!IS_ROOT)('real processes', () => {
  beforeEach(() => {
    expect(host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist'])).toEqual(ok(''));
  });

  it("returns the command's exit status (SAMPLES: jexec web /bin/sh -c 'exit 3')", () => {
    expect(host.run('jexec', ['web', '/bin/sh', '-c', 'exit 3'])).toEqual({
      stdout: '',
      stderr: '',
      code: 3,
    });
  });

  it('reports a missing program (SAMPLES: execvp: /no/such)', () => {
    expect(host.run('jexec', ['web', '/no/such'])).toEqual(
      fail('jexec: execvp: /no/such: No such file or directory\n'),
    );
  });

  it('runs chrooted with the jail marker, a clean environment with -l', () => {
    expect(
      host.run('jexec', ['web', '/bin/sh', '-c', 'echo $(pwd) $STOCKADE_SIM_JID; ls /bin/busybox']),
    ).toEqual(ok('/ 1\n/bin/busybox\n'));
    const env = host
      .run('jexec', ['-l', 'web', 'env'])
      .stdout.split('\n')
      .filter((l) => l !== '')
      .sort();
    expect(env.map((l) => l.split('=')[0])).toEqual([
      'HOME',
      'PATH',
      'SHELL',
      'STOCKADE_SIM_HOST',
      'STOCKADE_SIM_JID',
      'TERM',
      'USER',
    ]);
    expect(env).toContain('PATH=/bin:/usr/bin');
  });

  it('refuses an unknown user', () => {
    expect(host.run('jexec', ['-U', 'nobody2', 'web', 'true'])).toEqual(
      fail('jexec: nobody2: no such user\n'),
    );
  });
});

describe('the simulated stack of a vnet jail', () => {
  beforeEach(() => {
    host.run('ifconfig', ['epair', 'create']);
    host.run('ifconfig', ['bridge', 'create']);
    host.run('ifconfig', ['bridge0', 'inet', '10.77.0.1/24', 'up']);
    host.run('ifconfig', ['bridge0', 'addm', 'epair0a', 'up']);
    expect(
      host.run('jail', [
        '-c',
        'name=web',
        `path=${root}`,
        'vnet',
        'vnet.interface=epair0b',
        'persist',
      ]),
    ).toEqual(ok(''));
  });

  it('configures the jail end and a default route (REFERENCE 12.1)', () => {
    expect(host.run('jexec', ['web', 'ifconfig', 'epair0b', 'inet', '10.77.0.2/24', 'up'])).toEqual(
      ok(''),
    );
    expect(host.run('jexec', ['web', '/sbin/route', 'add', 'default', '10.77.0.1'])).toEqual(
      ok('add net default: gateway 10.77.0.1\n'),
    );
    expect(host.run('jexec', ['web', '/sbin/ifconfig', 'epair0b']).stdout).toContain(
      '\tinet 10.77.0.2 netmask 0xffffff00 broadcast 10.77.0.255\n',
    );
    expect(host.run('jexec', ['web', 'route', 'add', 'default', '10.77.0.1'])).toEqual({
      stdout: 'add net default: gateway 10.77.0.1 fib 0: route already in table\n',
      stderr: '',
      code: 1,
    });
  });

  it('answers route get, delete and the IPv6 family as the driver asks them', () => {
    host.run('jexec', ['web', 'ifconfig', 'epair0b', 'inet', '10.77.0.2/24', 'up']);
    expect(host.run('jexec', ['web', '/sbin/route', '-n', 'get', 'default'])).toEqual({
      stdout: '',
      stderr: 'route: route has not been found\n',
      code: 1,
    });
    host.run('jexec', ['web', '/sbin/route', 'add', 'default', '10.77.0.1']);
    const got = host.run('jexec', ['web', '/sbin/route', '-n', 'get', 'default']);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('    gateway: 10.77.0.1\n');
    expect(got.stdout).toContain('  interface: epair0b\n');
    expect(host.run('jexec', ['web', '/sbin/route', 'delete', 'default'])).toEqual(
      ok('delete net default: gateway 10.77.0.1\n'),
    );
    host.run('jexec', ['web', 'ifconfig', 'epair0b', 'inet6', 'fd00:77::2/64']);
    expect(
      host.run('jexec', ['web', '/sbin/route', 'add', '-inet6', 'default', 'fd00:77::1']),
    ).toEqual(ok('add net default: gateway fd00:77::1\n'));
    expect(
      host.run('jexec', ['web', '/sbin/route', '-n', 'get', '-inet6', 'default']).stdout,
    ).toContain('    gateway: fd00:77::1\n');
  });

  it('sees only the interfaces in its own vnet', () => {
    expect(host.run('jexec', ['web', 'ifconfig', 'epair0a', 'up'])).toEqual(
      fail('ifconfig: interface epair0a does not exist\n'),
    );
    expect(host.run('jexec', ['web', 'ifconfig', '-l'])).toEqual(ok('epair0b\n'));
  });

  it('refuses a gateway that is not on a connected network', () => {
    expect(host.run('jexec', ['web', 'route', 'add', 'default', '10.77.0.1'])).toEqual({
      stdout: 'add net default: gateway 10.77.0.1 fib 0: Network is unreachable\n',
      stderr: '',
      code: 1,
    });
  });

  it('destroys both epair ends from the host even with one end in the jail', () => {
    expect(host.run('ifconfig', ['epair0a', 'destroy'])).toEqual(ok(''));
    expect(host.run('jexec', ['web', 'ifconfig', '-l'])).toEqual(ok('\n'));
    expect(host.run('ifconfig', ['bridge0']).stdout).not.toContain('member:');
  });
});
