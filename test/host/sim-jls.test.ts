// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated jls(8) with the [H] samples of SAMPLES.md (text and libxo JSON).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createSimHost, ensureSimulatorsBuilt, type SimHost } from './sim/testkit.js';

let host: SimHost;
let base: string;
let web: string;
let db: string;
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
  base = mkdtempSync(join(tmpdir(), 'stockade-jls-'));
  web = join(base, 'web');
  db = join(base, 'db');
  mkdirSync(web);
  mkdirSync(db);
});
afterEach(() => {
  host.cleanup();
  rmSync(base, { recursive: true, force: true });
});

/** The two jails of the SAMPLES.md jls examples (jid 1 web, jid 2 db). */
function createSampleJails(): void {
  expect(
    host.run('jail', [
      '-c',
      'name=web',
      `path=${web}`,
      'host.hostname=web.example.org',
      'persist',
      'ip4.addr=10.0.0.2,10.0.0.3',
      'ip6.addr=fd00::2',
    ]).code,
  ).toBe(0);
  expect(
    host.run('jail', ['-c', 'name=db', `path=${db}`, 'host.hostname=db', 'persist']).code,
  ).toBe(0);
}

describe('text output', () => {
  it('prints the header alone with no jails', () => {
    expect(host.run('jls')).toEqual(
      ok('   JID  IP Address      Hostname                      Path\n'),
    );
  });

  it('prints the default table (SAMPLES: jls default)', () => {
    createSampleJails();
    // $ jls
    //    JID  IP Address      Hostname                      Path
    //      1  10.0.0.2        web.example.org               /jails/web
    //      2                  db                            /jails/db
    expect(host.run('jls')).toEqual(
      ok(
        '   JID  IP Address      Hostname                      Path\n' +
          `     1  10.0.0.2        web.example.org               ${web}\n` +
          `     2                  db                            ${db}\n`,
      ),
    );
  });

  it('prints names with -N (SAMPLES: jls -N)', () => {
    createSampleJails();
    expect(host.run('jls', ['-N', '-j', 'web'])).toEqual(
      ok(
        ' JID             IP Address      Hostname                      Path\n' +
          ` web             10.0.0.2        web.example.org               ${web}\n`,
      ),
    );
  });

  it('prints the verbose record (SAMPLES: jls -v)', () => {
    createSampleJails();
    expect(host.run('jls', ['-v', '-j', 'web'])).toEqual(
      ok(
        '   JID  Hostname                      Path\n' +
          '        Name                          State\n' +
          '        CPUSetID\n' +
          '        IP Address(es)\n' +
          `     1  web.example.org               ${web}\n` +
          '        web                           ACTIVE\n' +
          '        2\n' +
          '        10.0.0.2\n' +
          '        10.0.0.3\n' +
          '        fd00::2\n',
      ),
    );
  });

  it('truncates hostname at 29 and path at 74 characters (pitfall 6)', () => {
    const longHost = 'h'.repeat(40);
    host.run('jail', ['-c', 'name=x', `path=${web}`, `host.hostname=${longHost}`, 'persist']);
    const row = host.run('jls').stdout.split('\n')[1] ?? '';
    expect(row).toBe(`     1                  ${'h'.repeat(29)} ${web.slice(0, 74)}`);
  });

  it('prints selected params (SAMPLES: jls -j web jid / -h / -n)', () => {
    createSampleJails();
    expect(host.run('jls', ['-j', 'web', 'jid'])).toEqual(ok('1\n'));
    expect(host.run('jls', ['-j', 'web', '-h', 'jid', 'name', 'path'])).toEqual(
      ok(`jid name path\n1 web ${web}\n`),
    );
    expect(
      host.run('jls', ['-j', 'web', '-n', 'jid', 'name', 'path', 'persist', 'allow.raw_sockets']),
    ).toEqual(ok(`jid=1 name=web path=${web} persist allow.noraw_sockets\n`));
  });

  it('prints empty lists as - in param mode, nothing after = with -n, "" with -q', () => {
    createSampleJails();
    expect(host.run('jls', ['-j', 'db', 'ip4.addr'])).toEqual(ok('-\n'));
    expect(host.run('jls', ['-j', 'db', '-n', 'ip4.addr'])).toEqual(ok('ip4.addr=\n'));
    expect(host.run('jls', ['-j', 'db', '-nq', 'ip4.addr'])).toEqual(ok('ip4.addr=""\n'));
  });

  it('orders -n all undotted first, then dotted, each alphabetical', () => {
    createSampleJails();
    const line = host.run('jls', ['-j', 'db', '-n']).stdout.trimEnd();
    const names = line.split(' ').map((kv) => kv.split('=')[0] ?? '');
    expect(names.slice(0, 4)).toEqual(['devfs_ruleset', 'nodying', 'enforce_statfs', 'host']);
    expect(line).toContain(' jid=2 ');
    expect(line).toContain(
      ' vnet=inherit allow.chflags'.replace('allow.chflags', 'allow.nochflags'),
    );
    expect(line).toContain(' host.domainname="" ');
    const firstDotted = names.findIndex((n) => n.includes('.'));
    expect(names.slice(firstDotted).every((n) => n.includes('.'))).toBe(true);
  });

  it('reports a missing jail (jls: jail "x" not found)', () => {
    expect(host.run('jls', ['-j', 'x'])).toEqual({
      stdout: '',
      stderr: 'jls: jail "x" not found\n',
      code: 1,
    });
    expect(host.run('jls', ['-j', '7'])).toEqual({
      stdout: '',
      stderr: 'jls: jail 7 not found\n',
      code: 1,
    });
  });
});

describe('--libxo json', () => {
  it('prints no jails (SAMPLES)', () => {
    expect(host.run('jls', ['--libxo', 'json'])).toEqual(
      ok('{"__version": "2", "jail-information": {"jail": []}}\n'),
    );
  });

  it('prints the default columns (SAMPLES)', () => {
    createSampleJails();
    expect(host.run('jls', ['--libxo', 'json'])).toEqual(
      ok(
        '{"__version": "2", "jail-information": {"jail": [' +
          `{"jid":1,"ipv4":"10.0.0.2","hostname":"web.example.org","path":"${web}"}, ` +
          `{"jid":2,"ipv4":"","hostname":"db","path":"${db}"}]}}\n`,
      ),
    );
  });

  it('prints -v records with address lists (SAMPLES)', () => {
    createSampleJails();
    expect(host.run('jls', ['--libxo', 'json', '-v', '-j', 'web'])).toEqual(
      ok(
        '{"__version": "2", "jail-information": {"jail": [' +
          `{"jid":1,"hostname":"web.example.org","path":"${web}","name":"web","state":"ACTIVE",` +
          '"cpusetid":2, "ipv4_addrs": ["10.0.0.2","10.0.0.3"], "ipv6_addrs": ["fd00::2"]}]}}\n',
      ),
    );
  });

  it('prints -n params as strings, booleans and arrays (SAMPLES)', () => {
    createSampleJails();
    expect(
      host.run('jls', [
        '--libxo',
        'json',
        '-j',
        'web',
        '-n',
        'jid',
        'name',
        'host.hostname',
        'persist',
        'allow.raw_sockets',
        'ip4.addr',
      ]),
    ).toEqual(
      ok(
        '{"__version": "2", "jail-information": {"jail": [{"jid":"1","name":"web",' +
          '"host.hostname":"web.example.org","persist":true,"allow.raw_sockets":false, ' +
          '"ip4.addr": ["10.0.0.2","10.0.0.3"]}]}}\n',
      ),
    );
  });

  it('pretty-prints with the trailing space after the version (SAMPLES: json,pretty)', () => {
    createSampleJails();
    expect(host.run('jls', ['--libxo', 'json,pretty', '-j', 'web'])).toEqual(
      ok(
        '{\n  "__version": "2", \n  "jail-information": {\n    "jail": [\n      {\n' +
          '        "jid": 1,\n        "ipv4": "10.0.0.2",\n        "hostname": "web.example.org",\n' +
          `        "path": "${web}"\n      }\n    ]\n  }\n}\n`,
      ),
    );
  });
});
