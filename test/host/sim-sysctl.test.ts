// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated sysctl(8) and kldstat(8): the OIDs and modules Stockade checks.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createSimHost, ensureSimulatorsBuilt, type SimHost } from './sim/testkit.js';

let host: SimHost;
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string) => ({ stdout: '', stderr, code: 1 });

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
});
afterEach(() => host.cleanup());

describe('sysctl', () => {
  it('answers the release and RACCT oids', () => {
    expect(host.run('sysctl', ['-n', 'kern.osrelease'])).toEqual(ok('14.3-RELEASE\n'));
    expect(host.run('sysctl', ['-n', 'kern.racct.enable'])).toEqual(ok('1\n'));
    expect(host.run('sysctl', ['kern.racct.enable'])).toEqual(ok('kern.racct.enable: 1\n'));
  });

  it('reports unknown oids', () => {
    expect(host.run('sysctl', ['kern.nosuch'])).toEqual(
      fail("sysctl: unknown oid 'kern.nosuch'\n"),
    );
    expect(host.run('sysctl', ['-q', 'kern.nosuch'])).toEqual(fail(''));
  });

  it('refuses to set a loader tunable and sets a writable oid', () => {
    expect(host.run('sysctl', ['kern.racct.enable=1'])).toEqual(
      fail(
        "sysctl: oid 'kern.racct.enable' is a read only tunable\nsysctl: Tunable values are set in /boot/loader.conf\n",
      ),
    );
    expect(host.run('sysctl', ['net.inet.ip.forwarding=1'])).toEqual(
      ok('net.inet.ip.forwarding: 0 -> 1\n'),
    );
    expect(host.run('sysctl', ['-n', 'net.inet.ip.forwarding'])).toEqual(ok('1\n'));
  });

  it('lists security.jail by prefix and counts jails', () => {
    host.run('jail', ['-c', 'name=web', 'path=/', 'persist']);
    expect(host.run('sysctl', ['security.jail.children.cur'])).toEqual(
      ok('security.jail.children.cur: 1\n'),
    );
    expect(host.run('sysctl', ['-n', 'security.jail.jailed'])).toEqual(ok('0\n'));
  });
});

describe('kldstat', () => {
  it('finds loaded modules quietly by module and file name', () => {
    expect(host.run('kldstat', ['-q', '-m', 'if_bridge'])).toEqual(ok(''));
    expect(host.run('kldstat', ['-q', '-n', 'pf'])).toEqual(ok(''));
    expect(host.run('kldstat', ['-q', '-m', 'if_epair'])).toEqual(ok(''));
  });

  it('misses modules the environment removes', () => {
    const env = { STOCKADE_SIM_NO_KLD: 'pf,if_bridge' };
    expect(host.run('kldstat', ['-q', '-n', 'pf'], { env })).toEqual(fail(''));
    expect(host.run('kldstat', ['-m', 'if_bridge'], { env })).toEqual(
      fail("kldstat: can't find module if_bridge: No such file or directory\n"),
    );
    expect(host.run('kldstat', ['-q', '-m', 'if_epair'], { env })).toEqual(ok(''));
  });
});
