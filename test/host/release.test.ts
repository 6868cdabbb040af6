// SPDX-License-Identifier: BSD-2-Clause
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureSystemPackages, type SystemTools } from './deps.js';
import { buildReleaseArchive, RELEASE_APPLETS, RELEASE_DIRS, RELEASE_FILES } from './release.js';
import { requireRoot } from '../setup/test-host.js';

let tools: SystemTools;
let scratch: string;

beforeAll(async () => {
  tools = await ensureSystemPackages({ install: process.env.CI !== undefined });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'stockade-release-test-'));
}, 600_000);

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('buildReleaseArchive', () => {
  it('packs busybox, its applet links and the base folders like a FreeBSD base.txz', async () => {
    const archive = await buildReleaseArchive({ tools, cacheDir: path.join(scratch, 'a') });

    const { stdout } = await execa('tar', ['--list', '--verbose', '--xz', '--file', archive], {
      env: { TZ: 'UTC' },
    });
    const lines = stdout.split('\n');
    const names = lines.map((line) => line.split(/\s+/)[5]);
    expect(path.basename(archive)).toBe('base.txz');
    expect(names).toEqual([...names].sort());
    expect(lines.every((line) => / 0\/0 .* 2024-01-01 00:00 \.\//.test(line))).toBe(true);
    expect(lines).toContainEqual(
      expect.stringMatching(/^-rwxr-xr-x 0\/0 +\d+ .* \.\/bin\/busybox$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^lrwxrwxrwx .* \.\/bin\/sh -> busybox$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^lrwxrwxrwx .* \.\/usr\/bin\/env -> \.\.\/\.\.\/bin\/busybox$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^lrwxrwxrwx .* \.\/usr\/sbin\/httpd -> \.\.\/\.\.\/bin\/busybox$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^drwxrwxrwt .* \.\/tmp\/$/));
    expect(lines).toContainEqual(expect.stringMatching(/^-rw-r--r-- .* \.\/etc\/passwd$/));
    for (const dir of ['./var/log/', './www/', './usr/bin/', './sbin/', './dev/']) {
      expect(names).toContain(dir);
    }
    const expected = [
      './',
      './bin/busybox',
      ...Object.entries(RELEASE_APPLETS).flatMap(([dir, applets]) =>
        applets.map((applet) => `./${dir}/${applet}`),
      ),
      ...Object.keys(RELEASE_FILES).map((file) => `./${file}`),
    ];
    expect(names).toEqual(expect.arrayContaining(expected));
    expect(names.filter((n) => !n?.endsWith('/'))).toHaveLength(expected.length - 1);
    expect(RELEASE_DIRS.every((dir) => names.includes(`./${dir}/`))).toBe(true);
  });

  it('stores the account and hosts files with FreeBSD ids', async () => {
    const archive = await buildReleaseArchive({ tools, cacheDir: path.join(scratch, 'a') });

    const passwd = await execa('tar', ['-xOJf', archive, './etc/passwd']);
    const hosts = await execa('tar', ['-xOJf', archive, './etc/hosts']);

    expect(passwd.stdout.split('\n')[0]).toBe('root:*:0:0:Charlie &:/root:/bin/sh');
    expect(passwd.stdout).toContain('www:*:80:80:');
    expect(hosts.stdout).toBe('::1\t\tlocalhost\n127.0.0.1\tlocalhost');
  });

  it('gives the same bytes when built twice, and reuses the cached archive', async () => {
    const first = await buildReleaseArchive({ tools, cacheDir: path.join(scratch, 'b1') });
    const firstStat = await stat(first);
    const again = await buildReleaseArchive({ tools, cacheDir: path.join(scratch, 'b1') });
    const second = await buildReleaseArchive({ tools, cacheDir: path.join(scratch, 'b2') });

    expect(again).toBe(first);
    expect((await stat(again)).mtimeMs).toBe(firstStat.mtimeMs);
    expect(path.relative(path.join(scratch, 'b2'), second)).toBe(
      path.relative(path.join(scratch, 'b1'), first),
    );
    expect(await sha256(second)).toBe(await sha256(first));
  });

  it('builds a new archive under another key when busybox changes', async () => {
    const changed = path.join(scratch, 'busybox-changed');
    await copyFile(tools.busybox, changed);
    // Bytes after the last ELF segment are never loaded, so it still runs.
    await appendFile(changed, 'x');

    const cacheDir = path.join(scratch, 'c');
    const original = await buildReleaseArchive({ tools, cacheDir });
    const other = await buildReleaseArchive({ tools: { ...tools, busybox: changed }, cacheDir });

    expect(path.dirname(other)).not.toBe(path.dirname(original));
    expect(await sha256(other)).not.toBe(await sha256(original));
  });

  it('rejects with TEST_HOST_RELEASE_FAILED and leaves no partial archive when xz fails', async () => {
    const cacheDir = path.join(scratch, 'd');

    const failing = buildReleaseArchive({ tools: { ...tools, xz: '/bin/false' }, cacheDir });

    await expect(failing).rejects.toMatchObject({ code: 'TEST_HOST_RELEASE_FAILED' });
    const left = await execa('find', [cacheDir, '-type', 'f']);
    expect(left.stdout).toBe('');
  });
});

describe('the extracted release', () => {
  if (!requireRoot()) return;

  it('runs its shell and applets inside a chroot, with nothing but the archive', async () => {
    const archive = await buildReleaseArchive({ tools, cacheDir: path.join(scratch, 'a') });
    const root = path.join(scratch, 'root');
    await mkdir(root);
    await execa('tar', ['-xJf', archive, '-C', root]);

    const result = await execa(
      '/usr/sbin/chroot',
      [root, '/bin/sh', '-c', 'echo hi; env true; ls /'],
      {
        env: { PATH: '/bin:/usr/bin' },
        extendEnv: false,
      },
    );

    expect(result.stdout.split('\n')[0]).toBe('hi');
    expect(result.stdout).toContain('www');
  });
});

async function sha256(file: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
}
