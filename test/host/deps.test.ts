// SPDX-License-Identifier: BSD-2-Clause
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isStaticElf, probeSystemTools, SYSTEM_PACKAGES } from './deps.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stockade-deps-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('probeSystemTools', () => {
  it('names every package when nothing is found', async () => {
    const probe = await probeSystemTools([path.join(dir, 'empty')]);

    expect(probe.missing).toEqual([...SYSTEM_PACKAGES]);
    expect(probe.tools).toEqual({});
  });

  it('wants busybox-static when the busybox found is dynamically linked', async () => {
    const bin = path.join(dir, 'dynamic');
    await fakeTools(bin);
    // ls from coreutils is dynamically linked on Debian, like the plain busybox package.
    await copyFile('/bin/ls', path.join(bin, 'busybox'));

    const probe = await probeSystemTools([bin]);

    expect(probe.missing).toEqual(['busybox-static']);
    expect(probe.tools.zpool).toBe(path.join(bin, 'zpool'));
    expect(probe.tools.busybox).toBeUndefined();
  });

  it('finds every tool, skipping a non-executable file earlier in the path', async () => {
    const first = path.join(dir, 'first');
    const bin = path.join(dir, 'static');
    await fakeTools(bin);
    await copyFile('/bin/busybox', path.join(bin, 'busybox'));
    await fakeTools(first);
    await chmod(path.join(first, 'git'), 0o644);

    const probe = await probeSystemTools([first, bin]);

    expect(probe.missing).toEqual([]);
    expect(probe.tools.git).toBe(path.join(bin, 'git'));
    expect(probe.tools.tar).toBe(path.join(first, 'tar'));
    expect(probe.tools.busybox).toBe(path.join(bin, 'busybox'));
  });
});

describe('isStaticElf', () => {
  it('tells a static busybox from a dynamic program and from a script', async () => {
    const script = path.join(dir, 'script.sh');
    await writeFile(script, '#!/bin/sh\n');

    expect(await isStaticElf('/bin/busybox')).toBe(true);
    expect(await isStaticElf('/bin/ls')).toBe(false);
    expect(await isStaticElf(script)).toBe(false);
  });
});

async function fakeTools(bin: string): Promise<void> {
  await mkdir(bin, { recursive: true });
  for (const tool of ['zfs-fuse', 'zfs', 'zpool', 'git', 'xz', 'tar']) {
    await writeFile(path.join(bin, tool), '#!/bin/sh\nexit 0\n');
    await chmod(path.join(bin, tool), 0o755);
  }
}
