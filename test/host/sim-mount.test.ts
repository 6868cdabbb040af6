// SPDX-License-Identifier: BSD-2-Clause
// Conformance of the simulated mount(8)/umount(8) for nullfs: real bind mounts, FreeBSD's
// listing formats and errors (REFERENCE.md section 10). Every mount is undone after each test.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { createSimHost, ensureSimulatorsBuilt, IS_ROOT, type SimHost } from './sim/testkit.js';

let host: SimHost;
let base: string;
let src: string;
let dst: string;
const ok = (stdout: string) => ({ stdout, stderr: '', code: 0 });

/** Linux mount points under `dir`, from the kernel's own table. */
function linuxMountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(dir));
}

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
  base = mkdtempSync(join(tmpdir(), 'stockade-mnt-'));
  src = join(base, 'src');
  dst = join(base, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  writeFileSync(join(src, 'file'), 'data\n');
});
afterEach(() => {
  for (const m of linuxMountsUnder(base).reverse()) {
    spawnSync('/bin/umount', ['-l', m]);
  }
  host.cleanup();
  rmSync(base, { recursive: true, force: true });
});

describe('errors', () => {
  it('refuses a missing source and a non-directory', () => {
    expect(host.run('mount', ['-t', 'nullfs', join(base, 'nope'), dst])).toEqual({
      stdout: '',
      stderr: `mount_nullfs: ${join(base, 'nope')}: No such file or directory\n`,
      code: 64,
    });
    expect(host.run('mount', ['-t', 'nullfs', join(src, 'file'), dst])).toEqual({
      stdout: '',
      stderr: `mount_nullfs: ${join(src, 'file')}: Not a directory\n`,
      code: 64,
    });
  });

  it('refuses to unmount what is not mounted', () => {
    expect(host.run('umount', [dst])).toEqual({
      stdout: '',
      stderr: `umount: ${dst}: not a file system root directory\n`,
      code: 1,
    });
    expect(host.run('umount', [join(base, 'gone')])).toEqual({
      stdout: '',
      stderr: `umount: ${join(base, 'gone')}: statfs: No such file or directory\n`,
      code: 1,
    });
  });
});

describe.skipIf(!IS_ROOT)('real bind mounts', () => {
  it('mounts read-only, lists in fstab form and unmounts (bug B1)', () => {
    expect(host.run('mount', ['-t', 'nullfs', '-o', 'ro', src, dst])).toEqual(ok(''));
    expect(readFileSync(join(dst, 'file'), 'utf8')).toBe('data\n');
    expect(() => writeFileSync(join(dst, 'new'), 'x')).toThrow(/EROFS/);
    expect(host.run('mount', ['-p'])).toEqual(ok(`${src}\t${dst}\tnullfs\tro\t0 0\n`));
    expect(host.run('mount')).toEqual(ok(`${src} on ${dst} (nullfs, local, read-only)\n`));
    expect(linuxMountsUnder(base)).toEqual([dst]);
    expect(host.run('umount', ['-t', 'nullfs', dst])).toEqual(ok(''));
    expect(linuxMountsUnder(base)).toEqual([]);
    expect(host.run('mount', ['-p'])).toEqual(ok(''));
  });

  it('mounts read-write by default', () => {
    expect(host.run('mount', ['-t', 'nullfs', src, dst])).toEqual(ok(''));
    writeFileSync(join(dst, 'new'), 'x');
    expect(readFileSync(join(src, 'new'), 'utf8')).toBe('x');
    expect(host.run('mount', ['-p'])).toEqual(ok(`${src}\t${dst}\tnullfs\trw\t0 0\n`));
    expect(host.run('umount', [dst])).toEqual(ok(''));
  });
});
