// SPDX-License-Identifier: BSD-2-Clause
// Every adapter parser against the outputs recorded in /work/shared/freebsd/SAMPLES.md, verbatim
// (TABs written as \t where the samples show `\t`).

import { describe, expect, it } from 'vitest';

import { expandCpuList, parseCpusetMask } from '../../src/host/cpuset.js';
import { parseIfconfig } from '../../src/host/ifconfig.js';
import { parseJlsJson } from '../../src/host/jail.js';
import { decodeFstab, mountsBelow, parseMountP } from '../../src/host/mount.js';
import { parseAnchors, parsePfError, parseRules, parseTable } from '../../src/host/pfctl.js';
import { formatJailRule, parseRctl } from '../../src/host/rctl.js';
import { parseZfsGet, parseZfsList } from '../../src/host/zfs.js';

describe('parseJlsJson', () => {
  it('reads the -n form with string values, booleans and address arrays', () => {
    const text =
      '{"__version": "2", "jail-information": {"jail": [{"jid":"1","name":"web","host.hostname":"web.example.org","persist":true,"allow.raw_sockets":false, "ip4.addr": ["10.0.0.2","10.0.0.3"]}]}}\n';

    const jails = parseJlsJson(text);

    expect(jails).toEqual([
      { jid: 1, name: 'web', path: '', hostname: 'web.example.org', vnet: false, dying: false },
    ]);
  });

  it('reads the default form where jid is a number and the hostname key is hostname', () => {
    const text =
      '{"__version": "2", "jail-information": {"jail": [{"jid":1,"ipv4":"10.0.0.2","hostname":"web.example.org","path":"/jails/web"}, {"jid":2,"ipv4":"","hostname":"db","path":"/jails/db"}]}}\n';

    const jails = parseJlsJson(text);

    expect(jails.map((j) => [j.jid, j.hostname, j.path])).toEqual([
      [1, 'web.example.org', '/jails/web'],
      [2, 'db', '/jails/db'],
    ]);
  });

  it('reads the -v form state as dying', () => {
    const text =
      '{"__version": "2", "jail-information": {"jail": [{"jid":1,"hostname":"web.example.org","path":"/jails/web","name":"web","state":"DYING","cpusetid":3, "ipv4_addrs": ["10.0.0.2","10.0.0.3"], "ipv6_addrs": ["fd00::2"]}]}}';

    expect(parseJlsJson(text)[0]).toMatchObject({ name: 'web', dying: true });
  });

  it('reads no jails as an empty list', () => {
    expect(parseJlsJson('{"__version": "2", "jail-information": {"jail": []}}')).toEqual([]);
  });

  it('reads the pretty form', () => {
    const text = [
      '{',
      '  "__version": "2", ',
      '  "jail-information": {',
      '    "jail": [',
      '      {',
      '        "jid": 1,',
      '        "ipv4": "10.0.0.2",',
      '        "hostname": "web.example.org",',
      '        "path": "/jails/web"',
      '      }',
      '    ]',
      '  }',
      '}',
    ].join('\n');

    expect(parseJlsJson(text)).toEqual([
      {
        jid: 1,
        name: '1',
        path: '/jails/web',
        hostname: 'web.example.org',
        vnet: false,
        dying: false,
      },
    ]);
  });

  it('reads vnet=new as a vnet jail', () => {
    const text =
      '{"__version": "2", "jail-information": {"jail": [{"jid":"4","name":"a","vnet":"new","dying":false}]}}';

    expect(parseJlsJson(text)[0]?.vnet).toBe(true);
  });
});

describe('parseZfsList', () => {
  it('reads -H rows with one TAB between fields', () => {
    const text =
      'tank/jails\t1073741824\t53687091200\t98304\t/jails\ntank/jails/base\t734003200\t53687091200\t734003200\t/jails/base\ntank/jails/web\t21233664\t53687091200\t740556800\t/jails/web\n';

    const rows = parseZfsList(text, ['name', 'used', 'avail', 'refer', 'mountpoint']);

    expect(rows).toHaveLength(3);
    expect(rows[2]).toEqual({
      name: 'tank/jails/web',
      used: '21233664',
      avail: '53687091200',
      refer: '740556800',
      mountpoint: '/jails/web',
    });
  });

  it('keeps - for fields that do not apply to snapshots', () => {
    const text = 'tank/jails/base@v1\t0\t-\t734003200\t-\t-\n';

    const [row] = parseZfsList(text, ['name', 'used', 'avail', 'refer', 'mountpoint', 'origin']);

    expect(row).toEqual({
      name: 'tank/jails/base@v1',
      used: '0',
      avail: '-',
      refer: '734003200',
      mountpoint: '-',
      origin: '-',
    });
  });

  it('reads the origin of a clone', () => {
    expect(parseZfsList('tank/jails/web\ttank/jails/base@v1\n', ['name', 'origin'])).toEqual([
      { name: 'tank/jails/web', origin: 'tank/jails/base@v1' },
    ]);
  });

  it('reads nothing from empty output', () => {
    expect(parseZfsList('', ['name'])).toEqual([]);
  });
});

describe('parseZfsGet', () => {
  it('reads -H -p rows including inherited sources and user properties', () => {
    const text = [
      'tank/jails/web\ttype\tfilesystem\t-',
      'tank/jails/web\tcreation\t1718040000\t-',
      'tank/jails/web\tquota\t0\tdefault',
      'tank/jails/web\tmountpoint\t/jails/web\tinherited from tank/jails',
      'tank/jails/web\torigin\ttank/jails/base@v1\t-',
      'tank/jails/web\tcompression\tlz4\tinherited from tank',
      'tank/jails/web\torg.example.stockade:managed\ttrue\tlocal',
      '',
    ].join('\n');

    const rows = parseZfsGet(text);

    expect(rows).toHaveLength(7);
    expect(rows[3]).toEqual({
      name: 'tank/jails/web',
      property: 'mountpoint',
      value: '/jails/web',
      source: 'inherited from tank/jails',
    });
    expect(rows[6]).toEqual({
      name: 'tank/jails/web',
      property: 'org.example.stockade:managed',
      value: 'true',
      source: 'local',
    });
  });
});

describe('parseIfconfig', () => {
  const bridge = [
    'bridge0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
    '\toptions=0',
    '\tether 58:9c:fc:10:aa:bb',
    '\tinet 10.77.0.1 netmask 0xffffff00 broadcast 10.77.0.255',
    '\tid 58:9c:fc:10:aa:bb priority 32768 hellotime 2 fwddelay 15',
    '\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200',
    '\troot id 58:9c:fc:10:aa:bb priority 32768 ifcost 0 port 0',
    '\tmember: epair1a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>',
    '\t        ifmaxaddr 0 port 6 priority 128 path cost 2000',
    '\tmember: epair0a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>',
    '\t        ifmaxaddr 0 port 5 priority 128 path cost 2000',
    '\tgroups: bridge',
    '\tnd6 options=9<PERFORMNUD,IFDISABLED>',
    '',
  ].join('\n');

  it('reads the bridge printout: flags, address with prefix, members, groups', () => {
    const [iface] = parseIfconfig(bridge);

    expect(iface).toEqual({
      name: 'bridge0',
      flags: ['UP', 'BROADCAST', 'RUNNING', 'SIMPLEX', 'MULTICAST', 'LOWER_UP'],
      inet: ['10.77.0.1/24'],
      inet6: [],
      members: ['epair1a', 'epair0a'],
      groups: ['bridge'],
    });
  });

  it('reads the description line and several interfaces with IPv6 scope ids removed', () => {
    const text = [
      'lo0: flags=1008049<UP,LOOPBACK,RUNNING,MULTICAST,LOWER_UP> metric 0 mtu 16384',
      '\tinet 127.0.0.1 netmask 0xff000000',
      '\tinet6 ::1 prefixlen 128',
      '\tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x2',
      '\tgroups: lo',
      'sb1a2b3c4d: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
      '\tdescription: stockade:net:frontend',
      '\tinet 10.77.1.1 netmask 0xffffff00 broadcast 10.77.1.255',
      bridge,
    ].join('\n');

    const ifaces = parseIfconfig(text);

    expect(ifaces.map((i) => i.name)).toEqual(['lo0', 'sb1a2b3c4d', 'bridge0']);
    expect(ifaces[0]?.inet6).toEqual(['::1/128', 'fe80::1/64']);
    expect(ifaces[0]?.inet).toEqual(['127.0.0.1/8']);
    expect(ifaces[1]?.description).toBe('stockade:net:frontend');
  });
});

describe('pfctl parsers', () => {
  it('reads anchor lists with two leading spaces', () => {
    expect(parseAnchors('  stockade/db\n  stockade/web\n')).toEqual([
      'stockade/db',
      'stockade/web',
    ]);
    expect(parseAnchors('  stockade\n  stockade/db\n  stockade/web\n')).toEqual([
      'stockade',
      'stockade/db',
      'stockade/web',
    ]);
  });

  it('reads rules as pfctl prints them', () => {
    const text =
      'pass in quick on epair0a inet proto tcp from any to 10.77.0.2 port = http flags S/SA keep state\n';

    expect(parseRules(text)).toEqual([
      'pass in quick on epair0a inet proto tcp from any to 10.77.0.2 port = http flags S/SA keep state',
    ]);
    expect(
      parseRules(
        'nat on vtnet0 inet from 10.77.0.0/24 to any -> (vtnet0) round-robin\nrdr pass on vtnet0 inet proto tcp from any to any port = http -> 10.77.0.2 port 80\n',
      ),
    ).toHaveLength(2);
  });

  it('reads table contents behind three spaces', () => {
    expect(parseTable('   10.77.0.2\n   10.77.0.3\n')).toEqual(['10.77.0.2', '10.77.0.3']);
  });

  it('reads the line of a syntax error', () => {
    const stderr =
      'stdin:1: syntax error\npfctl: Syntax error in config file: pf rules not loaded\n';

    expect(parsePfError(stderr)).toEqual({ line: 1, message: 'syntax error' });
    expect(parsePfError("stdin:1: macro 'nope' not defined\nstdin:1: syntax error\n")).toEqual({
      line: 1,
      message: "macro 'nope' not defined",
    });
    expect(parsePfError('pfctl: /dev/pf: No such file or directory\n')).toBeUndefined();
  });
});

describe('parseRctl', () => {
  it('reads rules as rctl prints them without -h', () => {
    const text =
      'jail:web:memoryuse:deny=536870912\njail:web:maxproc:deny=200\njail:web:pcpu:deny=50\n';

    expect(parseRctl(text)).toEqual([
      { subject: 'jail', id: 'web', resource: 'memoryuse', action: 'deny', amount: '536870912' },
      { subject: 'jail', id: 'web', resource: 'maxproc', action: 'deny', amount: '200' },
      { subject: 'jail', id: 'web', resource: 'pcpu', action: 'deny', amount: '50' },
    ]);
  });

  it('reads a per that differs from the subject', () => {
    expect(parseRctl('jail:web:memoryuse:deny=536870912/process\n')[0]).toMatchObject({
      per: 'process',
    });
  });

  it('formats a jail rule the way rctl prints it', () => {
    expect(
      formatJailRule('web', { resource: 'memoryuse', action: 'deny', amount: '536870912' }),
    ).toBe('jail:web:memoryuse:deny=536870912');
  });
});

describe('cpuset parsers', () => {
  it('reads the mask line of cpuset -g -j', () => {
    expect(
      parseCpusetMask('jail 1 mask: 0, 1\njail 1 domain policy: first-touch mask: 0\n'),
    ).toEqual([0, 1]);
  });

  it('expands lists and ranges, refusing malformed ones', () => {
    expect(expandCpuList('0,2,4-5')).toEqual([0, 2, 4, 5]);
    expect(expandCpuList('0-1')).toEqual([0, 1]);
    expect(expandCpuList('0-x')).toBeUndefined();
  });
});

describe('parseMountP', () => {
  // SAMPLES.md has no mount -p capture; these lines follow fstab(5) as REFERENCE.md 10.1 says.
  it('reads fstab-format lines and decodes \\040 in paths', () => {
    const text = [
      'tank/stockade/jails/web\t/jails/web\tzfs\trw,nfsv4acls\t0 0',
      '/srv/my\\040data\t\t/jails/web/data\tnullfs\trw\t0 0',
      'devfs\t\t\t/dev\t\tdevfs\trw,multilabel\t0 0',
      '',
    ].join('\n');

    const mounts = parseMountP(text);

    expect(mounts).toEqual([
      {
        source: 'tank/stockade/jails/web',
        target: '/jails/web',
        fstype: 'zfs',
        options: ['rw', 'nfsv4acls'],
      },
      { source: '/srv/my data', target: '/jails/web/data', fstype: 'nullfs', options: ['rw'] },
      { source: 'devfs', target: '/dev', fstype: 'devfs', options: ['rw', 'multilabel'] },
    ]);
    expect(mountsBelow(mounts, '/jails/web').map((m) => m.target)).toEqual([
      '/jails/web/data',
      '/jails/web',
    ]);
    expect(decodeFstab('a\\011b')).toBe('a\tb');
  });
});
