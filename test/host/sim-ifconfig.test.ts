// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated ifconfig(8) with SAMPLES.md and REFERENCE.md section 5.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createSimHost, ensureSimulatorsBuilt, type SimHost } from './sim/testkit.js';

let host: SimHost;
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string, stdout = '') => ({ stdout, stderr, code: 1 });

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
});
afterEach(() => host.cleanup());

describe('cloning', () => {
  it('prints new names only when they differ from the request (SAMPLES: ifconfig)', () => {
    // $ ifconfig epair create -> epair0a ; again -> epair1a ; bridge create -> bridge0 ;
    // lo create -> lo1 ; epair5 create -> epair5a ; bridge7 create -> (no output)
    expect(host.run('ifconfig', ['epair', 'create'])).toEqual(ok('epair0a\n'));
    expect(host.run('ifconfig', ['epair', 'create'])).toEqual(ok('epair1a\n'));
    expect(host.run('ifconfig', ['bridge', 'create'])).toEqual(ok('bridge0\n'));
    expect(host.run('ifconfig', ['lo', 'create'])).toEqual(ok('lo1\n'));
    expect(host.run('ifconfig', ['epair5', 'create'])).toEqual(ok('epair5a\n'));
    expect(host.run('ifconfig', ['bridge7', 'create'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['-l'])).toEqual(
      ok('em0 lo0 epair0a epair0b epair1a epair1b bridge0 lo1 epair5a epair5b bridge7\n'),
    );
  });

  it('renames and prints the new name, also after create (SAMPLES: name, create name)', () => {
    host.run('ifconfig', ['epair', 'create']);
    expect(host.run('ifconfig', ['epair0a', 'name', 'sk0a_web'])).toEqual(ok('sk0a_web\n'));
    expect(host.run('ifconfig', ['bridge', 'create', 'name', 'stockade0'])).toEqual(
      ok('stockade0\n'),
    );
  });

  it('reuses the lowest free unit after a destroy', () => {
    host.run('ifconfig', ['epair', 'create']);
    host.run('ifconfig', ['epair', 'create']);
    expect(host.run('ifconfig', ['epair0b', 'destroy'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['epair', 'create'])).toEqual(ok('epair0a\n'));
  });

  it('refuses names over 15 bytes and existing names (SAMPLES errors; bug B16)', () => {
    expect(host.run('ifconfig', ['averyveryverylongname', 'create'])).toEqual(
      fail('ifconfig: averyveryverylongname: cloning name too long\n'),
    );
    host.run('ifconfig', ['bridge', 'create']);
    expect(host.run('ifconfig', ['bridge0', 'create'])).toEqual(
      fail('ifconfig: interface bridge0 already exists\n'),
    );
    host.run('ifconfig', ['epair', 'create']);
    expect(host.run('ifconfig', ['epair0a', 'name', 'e0a_averylongnam'])).toEqual(
      fail('ifconfig: ioctl SIOCSIFNAME (set name): File name too long\n'),
    );
    expect(host.run('ifconfig', ['epair0a', 'name', 'bridge0'])).toEqual(
      fail('ifconfig: ioctl SIOCSIFNAME (set name): File exists\n'),
    );
  });

  it('leaks and names the clone when the rename in the same call fails', () => {
    host.run('ifconfig', ['bridge', 'create', 'name', 'br0x']);
    expect(host.run('ifconfig', ['bridge', 'create', 'name', 'br0x'])).toEqual(
      fail('ifconfig: ioctl SIOCSIFNAME (set name): File exists\n', 'bridge1\n'),
    );
    expect(host.run('ifconfig', ['-l']).stdout).toBe('em0 lo0 br0x bridge1\n');
  });

  it('reports a missing interface (SAMPLES: interface epair9a does not exist)', () => {
    expect(host.run('ifconfig', ['epair9a'])).toEqual(
      fail('ifconfig: interface epair9a does not exist\n'),
    );
    expect(host.run('ifconfig', ['epair9a', 'up'])).toEqual(
      fail('ifconfig: interface epair9a does not exist\n'),
    );
  });
});

describe('bridges', () => {
  it('prints a bridge with members newest first (SAMPLES: ifconfig bridge0)', () => {
    host.run('ifconfig', ['bridge', 'create']);
    host.run('ifconfig', ['epair', 'create']);
    host.run('ifconfig', ['epair', 'create']);
    expect(host.run('ifconfig', ['bridge0', 'inet', '10.77.0.1/24', 'up'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['bridge0', 'addm', 'epair0a', 'up'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['bridge0', 'addm', 'epair1a'])).toEqual(ok(''));
    const out = host.run('ifconfig', ['bridge0']);
    expect(out.code).toBe(0);
    const mac = /ether (\S+)/.exec(out.stdout)?.[1] ?? '';
    expect(out.stdout).toBe(
      'bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n' +
        '\toptions=0\n' +
        `\tether ${mac}\n` +
        '\tinet 10.77.0.1 netmask 0xffffff00 broadcast 10.77.0.255\n' +
        `\tid ${mac} priority 32768 hellotime 2 fwddelay 15\n` +
        '\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n' +
        `\troot id ${mac} priority 32768 ifcost 0 port 0\n` +
        '\tmember: epair1a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n' +
        '\t        ifmaxaddr 0 port 6 priority 128 path cost 2000\n' +
        '\tmember: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n' +
        '\t        ifmaxaddr 0 port 4 priority 128 path cost 2000\n' +
        '\tgroups: bridge\n' +
        '\tnd6 options=9<PERFORMNUD,IFDISABLED>\n',
    );
    expect(mac).toMatch(/^58:9c:fc:10:[0-9a-f]{2}:[0-9a-f]{2}$/);
  });

  it('gives the BRDGADD/BRDGDEL errors (SAMPLES)', () => {
    host.run('ifconfig', ['bridge', 'create']);
    host.run('ifconfig', ['epair', 'create']);
    host.run('ifconfig', ['bridge0', 'addm', 'epair0a']);
    expect(host.run('ifconfig', ['bridge0', 'addm', 'epair0a'])).toEqual(
      fail('ifconfig: BRDGADD epair0a: File exists\n'),
    );
    expect(host.run('ifconfig', ['bridge0', 'deletem', 'epair0b'])).toEqual(
      fail('ifconfig: BRDGDEL epair0b: No such file or directory\n'),
    );
    expect(host.run('ifconfig', ['bridge0', 'deletem', 'epair0a'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['bridge0']).stdout).not.toContain('member:');
  });

  it('detaches members, not destroys them, when the bridge goes', () => {
    host.run('ifconfig', ['bridge', 'create']);
    host.run('ifconfig', ['epair', 'create']);
    host.run('ifconfig', ['bridge0', 'addm', 'epair0a', 'up']);
    host.run('ifconfig', ['epair0a', 'up']);
    expect(host.run('ifconfig', ['epair0a']).stdout.split('\n')[0]).toBe(
      'epair0a: flags=1008943<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
    );
    expect(host.run('ifconfig', ['bridge0', 'destroy'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['-l']).stdout).toBe('em0 lo0 epair0a epair0b\n');
    expect(host.run('ifconfig', ['epair0a']).stdout.split('\n')[0]).toBe(
      'epair0a: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
    );
  });

  it('destroys both ends of an epair from either end (bug B11)', () => {
    host.run('ifconfig', ['epair', 'create']);
    expect(host.run('ifconfig', ['epair0b', 'destroy'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['-l']).stdout).toBe('em0 lo0\n');
  });
});

describe('interface details', () => {
  it('prints an epair with description, addresses and groups', () => {
    host.run('ifconfig', ['epair', 'create']);
    host.run('ifconfig', ['epair0a', 'description', 'stockade:web']);
    host.run('ifconfig', ['epair0a', 'inet', '10.77.0.5/24']);
    host.run('ifconfig', ['epair0a', 'inet', '10.77.0.6/32', 'alias']);
    host.run('ifconfig', ['epair0a', 'inet6', 'fd00:77::5/64', 'alias']);
    host.run('ifconfig', ['epair0a', 'group', 'stockade']);
    expect(host.run('ifconfig', ['epair0a'])).toEqual(
      ok(
        'epair0a: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n' +
          '\tdescription: stockade:web\n' +
          '\toptions=8<VLAN_MTU>\n' +
          '\tether 02:5c:7e:00:00:0a\n' +
          '\tinet 10.77.0.5 netmask 0xffffff00 broadcast 10.77.0.255\n' +
          '\tinet 10.77.0.6 netmask 0xffffffff broadcast 10.77.0.6\n' +
          '\tinet6 fd00:77::5 prefixlen 64\n' +
          '\tgroups: epair stockade\n' +
          '\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n' +
          '\tstatus: active\n' +
          '\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n',
      ),
    );
    expect(host.run('ifconfig', ['-g', 'stockade'])).toEqual(ok('epair0a\n'));
    expect(host.run('ifconfig', ['epair0a', '-group', 'stockade'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['-g', 'stockade'])).toEqual(ok(''));
  });

  it('starts with lo0 and the external interface from the environment', () => {
    const env = { STOCKADE_SIM_EXTIF: 'vtnet0', STOCKADE_SIM_EXTADDR: '198.51.100.7/24' };
    expect(host.run('ifconfig', ['-l'], { env })).toEqual(ok('vtnet0 lo0\n'));
    expect(host.run('ifconfig', ['lo0'])).toEqual(
      ok(
        'lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384\n' +
          '\toptions=680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>\n' +
          '\tinet 127.0.0.1 netmask 0xff000000\n' +
          '\tgroups: lo\n' +
          '\tnd6 options=21<PERFORMNUD,AUTO_LINKLOCAL>\n',
      ),
    );
    expect(host.run('ifconfig', ['vtnet0']).stdout).toContain(
      '\tinet 198.51.100.7 netmask 0xffffff00 broadcast 198.51.100.255\n',
    );
  });

  it('gives an external address without a prefix its classful mask', () => {
    const env = { STOCKADE_SIM_EXTADDR: '127.0.0.1' };
    expect(host.run('ifconfig', ['em0'], { env }).stdout).toContain(
      '\tinet 127.0.0.1 netmask 0xff000000 broadcast 127.255.255.255\n',
    );
  });

  it('adds and removes aliases with the reference errors', () => {
    host.run('ifconfig', ['lo', 'create']);
    expect(host.run('ifconfig', ['lo1', 'inet', '127.0.1.1/32', 'alias'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['lo1', 'inet', '127.0.1.1', '-alias'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['lo1', 'inet', '127.0.1.1', '-alias'])).toEqual(
      fail("ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n"),
    );
    expect(host.run('ifconfig', ['lo1', 'inet', '10.0.0.300/24'])).toEqual(
      fail('ifconfig: 10.0.0.300/24: bad value\n'),
    );
  });

  it('rejects group names ending in a digit (SAMPLES)', () => {
    host.run('ifconfig', ['epair', 'create']);
    expect(host.run('ifconfig', ['epair0a', 'group', 'web1'])).toEqual(
      fail('ifconfig: setifgroup: group names may not end in a digit\n'),
    );
  });

  it('lists cloners', () => {
    expect(host.run('ifconfig', ['-C'])).toEqual(ok('bridge epair lo\n'));
  });
});

describe('vnet moves', () => {
  it('refuses a missing jail (SAMPLES: jail "web" not found)', () => {
    host.run('ifconfig', ['epair', 'create']);
    expect(host.run('ifconfig', ['epair0b', 'vnet', 'web'])).toEqual(
      fail('ifconfig: jail "web" not found\n'),
    );
  });

  it('moves an interface into a vnet jail and back with -vnet', () => {
    host.run('ifconfig', ['epair', 'create']);
    host.run('jail', ['-c', 'name=web', 'path=/', 'vnet', 'persist']);
    host.run('ifconfig', ['epair0b', 'description', 'stockade:web']);
    expect(host.run('ifconfig', ['epair0b', 'vnet', 'web'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['-l']).stdout).toBe('em0 lo0 epair0a\n');
    expect(host.run('ifconfig', ['epair0b'])).toEqual(
      fail('ifconfig: interface epair0b does not exist\n'),
    );
    expect(host.run('ifconfig', ['epair0b', '-vnet', 'web'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['epair0b']).stdout).toContain('\tdescription: stockade:web\n');
  });

  it('cannot move into a jail without its own stack', () => {
    host.run('ifconfig', ['epair', 'create']);
    host.run('jail', ['-c', 'name=web', 'path=/', 'persist']);
    expect(host.run('ifconfig', ['epair0b', 'vnet', 'web'])).toEqual(
      fail('ifconfig: SIOCSIFVNET: File exists\n'),
    );
  });
});
