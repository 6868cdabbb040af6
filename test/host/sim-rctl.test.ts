// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated rctl(8) with SAMPLES.md and REFERENCE.md section 7.

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createSimHost, ensureSimulatorsBuilt, type SimHost } from './sim/testkit.js';

let host: SimHost;
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string, code = 1) => ({ stdout: '', stderr, code });

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
});
afterEach(() => host.cleanup());

describe('rules', () => {
  it('adds rules and lists amounts in bytes and humanized (SAMPLES: rctl / rctl -h)', () => {
    expect(
      host.run('rctl', [
        '-a',
        'jail:web:memoryuse:deny=512M',
        'jail:web:maxproc:deny=200',
        'jail:web:pcpu:deny=50',
      ]),
    ).toEqual(ok(''));
    expect(host.run('rctl')).toEqual(
      ok('jail:web:memoryuse:deny=536870912\njail:web:maxproc:deny=200\njail:web:pcpu:deny=50\n'),
    );
    expect(host.run('rctl', ['-h'])).toEqual(
      ok('jail:web:memoryuse:deny=512M\njail:web:maxproc:deny=200\njail:web:pcpu:deny=50\n'),
    );
  });

  it('replaces a deny rule that differs only in amount (bug B23)', () => {
    host.run('rctl', ['-a', 'jail:web:memoryuse:deny=512M']);
    host.run('rctl', ['-a', 'j:web:memoryuse:deny=1G']);
    host.run('rctl', ['-a', 'jail:web:memoryuse:log=1G']);
    expect(host.run('rctl', ['jail:web'])).toEqual(
      ok('jail:web:memoryuse:deny=1073741824\njail:web:memoryuse:log=1073741824\n'),
    );
  });

  it('prints /per only when it differs from the subject (SAMPLES)', () => {
    host.run('rctl', ['-a', 'jail:web:memoryuse:deny=512M/process']);
    expect(host.run('rctl', ['jail:'])).toEqual(ok('jail:web:memoryuse:deny=536870912/process\n'));
  });

  it('orders process, loginclass, user, then jail rules', () => {
    host.run('rctl', [
      '-a',
      'jail:web:maxproc:deny=10',
      'user:root:maxproc:deny=20',
      'process:1:nthr:log=5',
    ]);
    expect(host.run('rctl')).toEqual(
      ok('process:1:nthr:log=5\nuser:root:maxproc:deny=20\njail:web:maxproc:deny=10\n'),
    );
  });

  it('rejects malformed numbers and unknown users (SAMPLES)', () => {
    expect(host.run('rctl', ['-a', 'jail:web:memoryuse:deny=12Q'])).toEqual(
      fail("rctl: malformed rule 'jail:web:memoryuse:deny=12Q': invalid numeric value '12Q'\n"),
    );
    expect(host.run('rctl', ['-a', 'user:nosuchuser:maxproc:deny=1'])).toEqual(
      fail("rctl: malformed rule 'user:nosuchuser:maxproc:deny=1': unknown user 'nosuchuser'\n"),
    );
  });

  it('rejects what the kernel table rejects', () => {
    expect(host.run('rctl', ['-a', 'jail:web:cputime:deny=10'])).toEqual(
      fail("rctl: failed to add rule 'jail:web:cputime:deny=10': Operation not supported\n"),
    );
    expect(host.run('rctl', ['-a', 'jail:web:bogus:deny=10'])).toEqual(
      fail("rctl: failed to add rule 'jail:web:bogus:deny=10': Invalid argument\n"),
    );
    expect(host.run('rctl', ['-a', 'jail:web:memoryuse:throttle=10'])).toEqual(
      fail("rctl: failed to add rule 'jail:web:memoryuse:throttle=10': Operation not supported\n"),
    );
  });

  it('exits with the number of failed arguments', () => {
    const res = host.run('rctl', [
      '-a',
      'jail:web:bogus:deny=1',
      'jail:web:maxproc:deny=5',
      'jail:web:x:deny=1',
    ]);
    expect(res.code).toBe(2);
    expect(host.run('rctl')).toEqual(ok('jail:web:maxproc:deny=5\n'));
  });

  it('fails to remove when nothing matches (SAMPLES: No such process)', () => {
    expect(host.run('rctl', ['-r', 'jail:web'])).toEqual(
      fail("rctl: failed to remove rule 'jail:web': No such process\n"),
    );
    host.run('rctl', ['-a', 'jail:web:maxproc:deny=5', 'jail:db:maxproc:deny=5']);
    expect(host.run('rctl', ['-r', 'jail:web'])).toEqual(ok(''));
    expect(host.run('rctl')).toEqual(ok('jail:db:maxproc:deny=5\n'));
  });

  it('allows only one of -a, -l, -r, -u (SAMPLES)', () => {
    expect(host.run('rctl', ['-a', '-r', 'jail:web'])).toEqual(
      fail('rctl: at most one of -a, -l, -r, or -u may be specified\n'),
    );
  });
});

describe('usage and RACCT', () => {
  it('prints every resource in kernel order for a jail (SAMPLES: rctl -u)', () => {
    host.run('jail', ['-c', 'name=web', 'path=/', 'persist']);
    const res = host.run('rctl', ['-u', 'jail:web']);
    expect(res.code).toBe(0);
    expect(
      res.stdout
        .split('\n')
        .slice(0, -1)
        .map((l) => l.split('=')[0]),
    ).toEqual([
      'cputime',
      'datasize',
      'stacksize',
      'coredumpsize',
      'memoryuse',
      'memorylocked',
      'maxproc',
      'openfiles',
      'vmemoryuse',
      'pseudoterminals',
      'swapuse',
      'nthr',
      'msgqqueued',
      'msgqsize',
      'nmsgq',
      'nsem',
      'nsemop',
      'nshm',
      'shmsize',
      'wallclock',
      'pcpu',
      'readbps',
      'writebps',
      'readiops',
      'writeiops',
    ]);
  });

  it('refuses everything when RACCT is disabled (SAMPLES; bug B22)', () => {
    const env = { STOCKADE_SIM_RACCT: '0' };
    const msg =
      'rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n';
    expect(host.run('rctl', [], { env })).toEqual(fail(msg));
    expect(host.run('rctl', ['-a', 'jail:web:maxproc:deny=5'], { env })).toEqual(fail(msg));
    expect(host.run('sysctl', ['-n', 'kern.racct.enable'], { env })).toEqual(ok('0\n'));
  });
});
