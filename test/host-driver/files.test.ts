// SPDX-License-Identifier: BSD-2-Clause
// The file writer and mount steps on real temporary directories: symlinks anywhere below the
// jail root are refused (B28), writes are idempotent, and mountpoints are made inside the root.

import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { applyAction } from '../../src/host/actions.js';
import { writeJailFiles } from '../../src/host/files.js';
import type { JailFile } from '../../src/topology/types.js';
import { fakeHost, zfsGet } from './fake-host.js';

function file(path: string, text: string, mode = 0o644): JailFile {
  return { path, content: Buffer.from(text).toString('base64'), mode, hash: 'h' };
}

function jailRoot(): { root: string; outside: string } {
  const base = mkdtempSync(join(tmpdir(), 'stockade-files-'));
  const root = join(base, 'root');
  const outside = join(base, 'host');
  mkdirSync(root);
  mkdirSync(outside);
  return { root, outside };
}

describe('writeJailFiles', () => {
  it('creates parents and writes content and mode, and writes nothing the second time', async () => {
    const { root } = jailRoot();

    const first = await writeJailFiles(root, [file('/usr/local/etc/app.conf', 'port=80\n', 0o600)]);
    const second = await writeJailFiles(root, [
      file('/usr/local/etc/app.conf', 'port=80\n', 0o600),
    ]);

    expect(first).toEqual(['/usr/local/etc/app.conf']);
    expect(second).toEqual([]);
    expect(readFileSync(join(root, 'usr/local/etc/app.conf'), 'utf8')).toBe('port=80\n');
    expect(statSync(join(root, 'usr/local/etc/app.conf')).mode & 0o7777).toBe(0o600);
  });

  it('rewrites a file whose content or mode changed', async () => {
    const { root } = jailRoot();
    await writeJailFiles(root, [file('/etc/motd', 'a\n')]);

    const written = await writeJailFiles(root, [file('/etc/motd', 'b\n', 0o640)]);

    expect(written).toEqual(['/etc/motd']);
    expect(readFileSync(join(root, 'etc/motd'), 'utf8')).toBe('b\n');
    expect(statSync(join(root, 'etc/motd')).mode & 0o7777).toBe(0o640);
  });

  it('refuses a symlinked file and leaves its target untouched (B28)', async () => {
    const { root, outside } = jailRoot();
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(outside, 'resolv.conf'), 'host\n');
    symlinkSync(join(outside, 'resolv.conf'), join(root, 'etc/resolv.conf'));

    const err = await writeJailFiles(root, [
      file('/etc/resolv.conf', 'nameserver 192.0.2.53\n'),
    ]).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'UNSAFE_PATH',
      data: { root, path: '/etc/resolv.conf', at: join(root, 'etc/resolv.conf'), why: 'symlink' },
    });
    expect(readFileSync(join(outside, 'resolv.conf'), 'utf8')).toBe('host\n');
  });

  it('refuses a symlinked directory on the way and writes nothing outside the root', async () => {
    const { root, outside } = jailRoot();
    symlinkSync(outside, join(root, 'etc'));

    const err = await writeJailFiles(root, [file('/etc/rc.conf', 'x\n')]).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'UNSAFE_PATH',
      data: { at: join(root, 'etc'), why: 'symlink' },
    });
    expect(() => lstatSync(join(outside, 'rc.conf'))).toThrow();
  });

  it('refuses parent references and relative paths', async () => {
    const { root } = jailRoot();

    const up = await writeJailFiles(root, [file('/etc/../../x', 'x')]).catch((e: unknown) => e);
    const relative = await writeJailFiles(root, [file('etc/x', 'x')]).catch((e: unknown) => e);

    expect(up).toMatchObject({ code: 'UNSAFE_PATH', data: { why: 'parent reference' } });
    expect(relative).toMatchObject({ code: 'UNSAFE_PATH', data: { why: 'not absolute' } });
  });
});

describe('mount.add and mount.remove', () => {
  const GET_MP = 'zfs get -H -p -o name,property,value,source mountpoint tank/stockade/jails/web-0';

  it('creates the mountpoint inside the root and mounts nullfs read-only; then only reads', async () => {
    const { root } = jailRoot();
    const target = join(root, 'var/db/data');
    const host = fakeHost({
      [GET_MP]: { stdout: zfsGet([['tank/stockade/jails/web-0', 'mountpoint', root, 'local']]) },
    });
    const mount = { volume: 'data', source: '/stockade/volumes/data', target, readonly: true };

    await applyAction(host.ctx, { type: 'mount.add', jail: 'web-0', mount });
    const first = [...host.calls];
    host.reset({ 'mount -p': { stdout: `/stockade/volumes/data\t${target}\tnullfs\tro\t0 0\n` } });
    await applyAction(host.ctx, { type: 'mount.add', jail: 'web-0', mount });

    expect(first).toEqual([
      'mount -p',
      GET_MP,
      `mount -t nullfs -o ro /stockade/volumes/data ${target}`,
    ]);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(host.calls).toEqual(['mount -p']);
  });

  it('refuses a mountpoint below a symlink in the jail root', async () => {
    const { root, outside } = jailRoot();
    symlinkSync(outside, join(root, 'data'));
    const host = fakeHost({
      [GET_MP]: { stdout: zfsGet([['tank/stockade/jails/web-0', 'mountpoint', root, 'local']]) },
    });
    const mount = {
      volume: 'data',
      source: '/stockade/volumes/data',
      target: join(root, 'data/db'),
      readonly: false,
    };

    const err = await applyAction(host.ctx, { type: 'mount.add', jail: 'web-0', mount }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({ code: 'UNSAFE_PATH', data: { why: 'symlink' } });
    expect(host.calls.some((c) => c.startsWith('mount -t'))).toBe(false);
  });

  it('unmounts only what is mounted', async () => {
    const host = fakeHost({
      'mount -p': [{ stdout: '/v\t/j/data\tnullfs\trw\t0 0\n' }, { stdout: '' }],
    });

    await applyAction(host.ctx, { type: 'mount.remove', jail: 'web-0', target: '/j/data' });
    await applyAction(host.ctx, { type: 'mount.remove', jail: 'web-0', target: '/j/data' });

    expect(host.calls).toEqual(['mount -p', 'umount /j/data', 'mount -p']);
  });
});

describe('file.write', () => {
  const DS = 'tank/stockade/jails/web-0';
  const GET_RECORD = `zfs get -H -p -o name,property,value,source stockade:jid,stockade:jail,${[1, 2, 3, 4, 5, 6, 7].map((i) => `stockade:jail.${i}`).join(',')} ${DS}`;

  it('writes into the root and records the file list without contents', async () => {
    const { root } = jailRoot();
    const old = { name: 'web-0', files: [{ path: '/etc/old', content: '', mode: 420, hash: 'o' }] };
    const host = fakeHost({
      [GET_RECORD]: { stdout: `${DS}\tstockade:jail\t1|${JSON.stringify(old)}\tlocal\n` },
    });

    await applyAction(host.ctx, {
      type: 'file.write',
      jail: 'web-0',
      root,
      files: [file('/etc/motd', 'hi\n')],
    });

    expect(readFileSync(join(root, 'etc/motd'), 'utf8')).toBe('hi\n');
    expect(host.calls).toEqual([
      GET_RECORD,
      `zfs set stockade:jail=1|{"name":"web-0","files":[{"path":"/etc/motd","content":"","mode":420,"hash":"h"}],"running":false} ${DS}`,
    ]);
  });
});
