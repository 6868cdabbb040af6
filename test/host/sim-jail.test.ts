// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated jail(8) with SAMPLES.md and REFERENCE.md section 1, including
// real chrooted processes started by command= and exec.start and killed by jail -r.

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { findJailPidsIn, waitFor } from './sim/proc-kit.js';
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
  // Every jail process this test started goes, then its files.
  for (const pid of findJailPidsIn(host.stateDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
    const target = line.split(' ')[1] ?? '';
    if (target.startsWith(root)) spawnSync('/bin/umount', ['-l', target]);
  }
  host.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('create', () => {
  it('is silent with command-line params (SAMPLES: jail -c ... persist)', () => {
    expect(
      host.run('jail', [
        '-c',
        'name=web',
        `path=${root}`,
        'host.hostname=web.example.org',
        'persist',
      ]),
    ).toEqual(ok(''));
    expect(host.run('jls', ['-j', 'web', 'jid', 'name', 'host.hostname'])).toEqual(
      ok('1 web web.example.org\n'),
    );
  });

  it('prints the JID with -i (SAMPLES: jail -i -c)', () => {
    expect(host.run('jail', ['-i', '-c', 'name=web', `path=${root}`, 'persist'])).toEqual(
      ok('1\n'),
    );
    expect(host.run('jail', ['-i', '-c', 'name=db', `path=${root}`, 'persist'])).toEqual(ok('2\n'));
  });

  it('prints the jail_set line with -v (SAMPLES: jail -v -c)', () => {
    expect(host.run('jail', ['-v', '-c', 'name=web', `path=${root}`, 'persist'])).toEqual(
      ok(`jail_set(JAIL_CREATE) name=web path=${root} persist\ncreated\n`),
    );
  });

  it('refuses an existing jail (SAMPLES: "web" already exists)', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist']);
    expect(host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist'])).toEqual(
      fail('jail: "web" already exists\n'),
    );
  });

  it('refuses unknown parameters, bad booleans and bad integers', () => {
    expect(host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist', 'bogus=1'])).toEqual(
      fail('jail: unknown parameter: bogus\n'),
    );
    expect(host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist=yes'])).toEqual(
      fail('jail: persist: unknown boolean value "yes"\n'),
    );
    expect(
      host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist', 'exec.timeout=ten']),
    ).toEqual(fail('jail: exec.timeout: non-integer value "ten"\n'));
    expect(host.run('jls')).toEqual(
      ok('   JID  IP Address      Hostname                      Path\n'),
    );
  });

  it('needs persist or a command', () => {
    expect(host.run('jail', ['-c', 'name=web', `path=${root}`])).toEqual(
      fail('jail: new jail must persist or attach\n'),
    );
  });

  it('needs an existing directory as path', () => {
    expect(host.run('jail', ['-c', 'name=web', `path=${root}/nope`, 'persist'])).toEqual(
      fail(`jail: path ${root}/nope: No such file or directory\n`),
    );
    expect(host.run('jail', ['-c', 'name=web', `path=${root}/bin/busybox`, 'persist'])).toEqual(
      fail(`jail: path ${root}/bin/busybox: Not a directory\n`),
    );
  });

  it('treats dots as hierarchy: the parent must exist and allow children (bug B18)', () => {
    expect(host.run('jail', ['-c', 'name=a.b', `path=${root}`, 'persist'])).toEqual(
      fail('jail: jail "a" not found\n'),
    );
    host.run('jail', ['-c', 'name=a', `path=${root}`, 'persist']);
    expect(host.run('jail', ['-c', 'name=a.b', `path=${root}`, 'persist'])).toEqual(
      fail('jail: prison limit exceeded\n'),
    );
    host.run('jail', ['-m', 'name=a', 'children.max=1']);
    expect(host.run('jail', ['-c', 'name=a.b', `path=${root}`, 'persist'])).toEqual(ok(''));
    expect(host.run('jls', ['-j', 'a.b', 'parent'])).toEqual(ok('1\n'));
    // Removing the parent removes the child too.
    expect(host.run('jail', ['-r', 'a'])).toEqual(ok(''));
    expect(host.run('jls', ['-j', 'a.b'])).toEqual(fail('jls: jail "a.b" not found\n'));
  });

  it('treats numeric names as JIDs', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist']);
    expect(host.run('jls', ['-j', '1', 'name'])).toEqual(ok('web\n'));
    expect(host.run('jail', ['-c', 'name=7', `path=${root}`, 'persist'])).toEqual(
      fail('jail: name cannot be numeric (unless it is the jid)\n'),
    );
  });

  it('appends repeated list params and honours the no prefix', () => {
    host.run('jail', [
      '-c',
      'name=web',
      `path=${root}`,
      'persist',
      'ip4.addr=10.0.0.2',
      'ip4.addr=10.0.0.3',
      'allow.noraw_sockets',
      'allow.mount',
    ]);
    expect(
      host.run('jls', ['-j', 'web', '-n', 'ip4.addr', 'allow.raw_sockets', 'allow.mount']),
    ).toEqual(ok('ip4.addr=10.0.0.2,10.0.0.3 allow.noraw_sockets allow.mount\n'));
  });

  it('refuses to change a create-only parameter with -m', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist']);
    expect(host.run('jail', ['-m', 'name=web', 'vnet'])).toEqual(
      fail('jail: vnet cannot be changed after creation\n'),
    );
    expect(host.run('jail', ['-m', 'name=nosuch', 'persist'])).toEqual(
      fail('jail: "nosuch" not found\n'),
    );
  });
});

describe('addresses and restart', () => {
  it('adds ip4.addr aliases on the named interface and removes them with the jail (B3)', () => {
    host.run('ifconfig', ['lo', 'create']);
    expect(
      host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist', 'ip4.addr=lo1|127.0.1.2/32']),
    ).toEqual(ok(''));
    expect(host.run('jls', ['-j', 'web', 'ip4.addr'])).toEqual(ok('127.0.1.2\n'));
    expect(host.run('ifconfig', ['lo1']).stdout).toContain('\tinet 127.0.1.2 netmask 0xffffffff\n');
    expect(host.run('jail', ['-r', 'web'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['lo1']).stdout).not.toContain('127.0.1.2');
    expect(host.run('ifconfig', ['em0']).stdout).toContain('\tinet 192.0.2.10 netmask');
  });

  it('restarts with -rc, giving a new JID', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist']);
    expect(host.run('jail', ['-rc', 'name=web', `path=${root}`, 'persist'])).toEqual(ok(''));
    expect(host.run('jls', ['-j', 'web', 'jid'])).toEqual(ok('2\n'));
  });
});

describe('vnet.interface', () => {
  it('moves the interface in and returns it on removal with its name and description (B10)', () => {
    host.run('ifconfig', ['epair', 'create']);
    host.run('ifconfig', ['epair0b', 'description', 'stockade:web']);
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
    expect(host.run('ifconfig', ['-l']).stdout).toBe('em0 lo0 epair0a\n');
    expect(host.run('jexec', ['web', 'ifconfig', '-l'])).toEqual(ok('epair0b\n'));
    expect(host.run('jail', ['-r', 'web'])).toEqual(ok(''));
    expect(host.run('ifconfig', ['-l']).stdout).toBe('em0 lo0 epair0a epair0b\n');
    expect(host.run('ifconfig', ['epair0b']).stdout).toContain('\tdescription: stockade:web\n');
  });

  it('fails the create when the interface does not exist', () => {
    expect(
      host.run('jail', [
        '-c',
        'name=web',
        `path=${root}`,
        'vnet',
        'vnet.interface=epair9b',
        'persist',
      ]),
    ).toEqual(
      fail(
        'ifconfig: interface epair9b does not exist\njail: /sbin/ifconfig epair9b vnet 1: failed\n',
      ),
    );
    expect(host.run('jls', ['-j', 'web'])).toEqual(fail('jls: jail "web" not found\n'));
  });
});

describe('remove', () => {
  it('reports a missing jail (SAMPLES: "web" not found)', () => {
    expect(host.run('jail', ['-r', 'web'])).toEqual(fail('jail: "web" not found\n'));
  });

  it('is silent for one named jail, names each for several or a wildcard', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist']);
    expect(host.run('jail', ['-r', 'web'])).toEqual(ok(''));
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist']);
    host.run('jail', ['-c', 'name=db', `path=${root}`, 'persist']);
    expect(host.run('jail', ['-r', '*'])).toEqual(ok('web: removed\ndb: removed\n'));
  });

  it('refuses param arguments with -r', () => {
    const res = host.run('jail', ['-r', 'stop.timeout=1']);
    expect(res.code).toBe(1);
    expect(res.stderr.startsWith('usage: jail [-dhilqv]')).toBe(true);
  });
});

describe.skipIf(!IS_ROOT)('real processes', () => {
  it('runs command= in the jail root and removes a non-persistent jail when it ends', () => {
    const log = join(root, 'tmp', 'console.log');
    expect(
      host.run('jail', [
        '-c',
        'name=web',
        `path=${root}`,
        `exec.consolelog=${log}`,
        'command=/bin/sh',
        '-c',
        'echo hello from $(pwd) $STOCKADE_SIM_JID',
      ]),
    ).toEqual(ok(''));
    expect(readFileSync(log, 'utf8')).toBe('hello from / 1\n');
    expect(host.run('jls', ['-j', 'web'])).toEqual(fail('jls: jail "web" not found\n'));
  });

  it('reports a failing command and leaves no jail (jail: CMD: failed)', () => {
    expect(host.run('jail', ['-c', 'name=web', `path=${root}`, 'command=/bin/false'])).toEqual(
      fail('jail: /bin/false: failed\n'),
    );
    expect(host.run('jail', ['-c', 'name=web', `path=${root}`, 'command=/bin/nope'])).toEqual(
      fail('jail: exec /bin/nope: No such file or directory\n'),
    );
    expect(host.run('jls', ['-j', 'web'])).toEqual(fail('jls: jail "web" not found\n'));
  });

  it('uses /bin/sh -c only when a metacharacter is present', () => {
    const log = join(root, 'tmp', 'console.log');
    host.run('jail', [
      '-c',
      'name=web',
      `path=${root}`,
      'persist',
      `exec.consolelog=${log}`,
      'exec.start=/bin/echo a;/bin/echo b',
      'exec.start=/bin/echo plain   words',
    ]);
    expect(readFileSync(log, 'utf8')).toBe('a\nb\nplain words\n');
  });

  it('kills every process of the jail on jail -r (SIGTERM first)', () => {
    writeFileSync(join(root, 'tmp', 'marker'), '');
    expect(
      host.run('jail', [
        '-c',
        'name=web',
        `path=${root}`,
        'persist',
        'stop.timeout=5',
        'exec.start=/bin/sleep 300 &',
      ]),
    ).toEqual(ok(''));
    expect(
      host.run('jexec', ['web', '/bin/sh', '-c', 'sleep 301 </tmp/marker >/tmp/out 2>&1 &']),
    ).toEqual(ok(''));
    expect(waitFor(() => findJailPidsIn(host.stateDir).length === 2)).toBe(true);
    expect(host.run('jail', ['-r', 'web'])).toEqual(ok(''));
    expect(findJailPidsIn(host.stateDir)).toEqual([]);
    expect(host.run('jls')).toEqual(
      ok('   JID  IP Address      Hostname                      Path\n'),
    );
  });

  it('keeps a jail without persist while a process lives, drops it when the last one dies', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'exec.start=/bin/sleep 300 &']);
    expect(waitFor(() => findJailPidsIn(host.stateDir).length === 1)).toBe(true);
    expect(host.run('jls', ['-j', 'web', 'name', 'persist'])).toEqual(ok('web false\n'));
    for (const pid of findJailPidsIn(host.stateDir)) process.kill(pid, 'SIGKILL');
    expect(waitFor(() => host.run('jls', ['-j', 'web']).code === 1)).toBe(true);
  });
});

describe('jail.conf files', () => {
  const writeConf = (body: string): string => {
    const file = join(root, 'tmp', 'web.conf');
    writeFileSync(file, body);
    return file;
  };

  it('creates, updates and removes with the NAME: lines (SAMPLES: jail -f ... -c/-m/-r web)', () => {
    const conf = writeConf(
      `# defaults\npath = "${root}";\nmount.devfs;\nweb {\n  host.hostname = 'web.example.org';\n  persist;\n}\n`,
    );
    expect(host.run('jail', ['-f', conf, '-c', 'web'])).toEqual(ok('web: created\n'));
    expect(host.run('jls', ['-j', 'web', 'host.hostname', 'path'])).toEqual(
      ok(`web.example.org ${root}\n`),
    );
    expect(host.run('jail', ['-f', conf, '-m', 'web'])).toEqual(ok('web: updated\n'));
    expect(host.run('jail', ['-f', conf, '-r', 'web'])).toEqual(ok('web: removed\n'));
    expect(host.run('jail', ['-q', '-f', conf, '-c', 'web'])).toEqual(ok(''));
    expect(host.run('jail', ['-f', conf, '-c', 'web'])).toEqual(
      fail('jail: "web" already exists\n'),
    );
  });

  it('expands variables and applies wildcard defaults before the block', () => {
    mkdirSync(join(root, 'jails', 'web'), { recursive: true });
    const conf = writeConf(
      `path = "${root}/jails/$name";\n$dom = "example.org";\nweb { host.hostname = "$name.$dom"; persist; }\n`,
    );
    expect(host.run('jail', ['-q', '-f', conf, '-c', 'web'])).toEqual(ok(''));
    expect(host.run('jls', ['-j', 'web', 'host.hostname', 'path'])).toEqual(
      ok(`web.example.org ${root}/jails/web\n`),
    );
  });

  it('names the jail and the file line in its errors (SAMPLES: jail errors)', () => {
    expect(host.run('jail', ['-f', writeConf('web {\n  persist\n}\n'), '-c', 'web'])).toEqual(
      fail(`jail: ${root}/tmp/web.conf line 3: }: syntax error\n`),
    );
    expect(host.run('jail', ['-f', writeConf('web {\n path = "/x;\n}\n'), '-c', 'web'])).toEqual(
      fail(`jail: ${root}/tmp/web.conf line 2: unterminated string\n`),
    );
    expect(
      host.run('jail', ['-f', writeConf('web { path = "jails/web"; persist; }\n'), '-c', 'web']),
    ).toEqual(fail('jail: web: path jails/web: not an absolute pathname\n'));
    expect(
      host.run('jail', ['-f', writeConf('web { path = "/"; persist = yes; }\n'), '-c', 'web']),
    ).toEqual(fail('jail: web: persist: unknown boolean value "yes"\n'));
    expect(
      host.run('jail', [
        '-f',
        writeConf('web { path = "/"; host.hostname = "$nope"; persist; }\n'),
        '-c',
        'web',
      ]),
    ).toEqual(fail('jail: web: host.hostname: variable "nope" not found\n'));
    expect(host.run('jail', ['-f', join(root, 'nope.conf'), '-c', 'web'])).toEqual(
      fail(`jail: ${root}/nope.conf: No such file or directory\n`),
    );
  });

  it.skipIf(!IS_ROOT)(
    'runs exec.start/exec.stop in the jail and mounts nullfs lines (bug B1)',
    () => {
      mkdirSync(join(root, 'data'));
      mkdirSync(join(root, 'tmp', 'src'));
      writeFileSync(join(root, 'tmp', 'src', 'f'), 'shared\n');
      const log = join(root, 'tmp', 'console.log');
      const conf = writeConf(
        `web {\n path = "${root}";\n exec.start = "/bin/echo started $name";\n` +
          ` exec.stop = "/bin/echo stopping";\n exec.consolelog = "${log}";\n` +
          ` mount += "${root}/tmp/src ${root}/data nullfs ro 0 0";\n persist;\n}\n`,
      );
      expect(host.run('jail', ['-f', conf, '-c', 'web'])).toEqual(ok('web: created\n'));
      expect(readFileSync(join(root, 'data', 'f'), 'utf8')).toBe('shared\n');
      expect(host.run('mount', ['-p'])).toEqual(
        ok(`${root}/tmp/src\t${root}/data\tnullfs\tro\t0 0\n`),
      );
      expect(host.run('jail', ['-f', conf, '-r', 'web'])).toEqual(ok('web: removed\n'));
      expect(readFileSync(log, 'utf8')).toBe('started web\nstopping\n');
      expect(host.run('mount', ['-p'])).toEqual(ok(''));
    },
  );

  it('answers ifconfig in exec.* from the simulated stacks, never the Linux network', () => {
    host.run('ifconfig', ['epair', 'create']);
    const conf = writeConf(
      `web {\n path = "${root}";\n vnet;\n vnet.interface = "epair0b";\n` +
        ` exec.start = "/sbin/ifconfig epair0b inet 10.77.0.2/24 up";\n` +
        ` exec.poststop = "/sbin/ifconfig epair0a destroy";\n persist;\n}\n`,
    );
    expect(host.run('jail', ['-f', conf, '-c', 'web'])).toEqual(ok('web: created\n'));
    expect(host.run('jexec', ['web', 'ifconfig', 'epair0b']).stdout).toContain(
      '\tinet 10.77.0.2 netmask 0xffffff00 broadcast 10.77.0.255\n',
    );
    expect(host.run('jail', ['-f', conf, '-r', 'web'])).toEqual(ok('web: removed\n'));
    expect(host.run('ifconfig', ['-l'])).toEqual(ok('em0 lo0\n'));
  });

  it('needs PATH/dev for mount.devfs (SAMPLES: mount.devfs: ... No such file or directory)', () => {
    rmSync(join(root, 'dev'), { recursive: true, force: true });
    const conf = writeConf(`web { path = "${root}"; mount.devfs; persist; }\n`);
    expect(host.run('jail', ['-f', conf, '-c', 'web'])).toEqual(
      fail(`jail: web: mount.devfs: ${root}/dev: No such file or directory\n`),
    );
  });

  it('refuses a mount line with too few fields', () => {
    const conf = writeConf(`web { path = "${root}"; mount = "/a /b"; persist; }\n`);
    expect(host.run('jail', ['-f', conf, '-c', 'web'])).toEqual(
      fail('jail: web: mount: /a /b: missing information\n'),
    );
  });
});
