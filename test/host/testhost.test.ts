// SPDX-License-Identifier: BSD-2-Clause
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DEFAULT_TOOLS, type ToolName } from '../../src/config/types.js';
import { ensureSystemPackages, type SystemTools } from './deps.js';
import { isProcessAlive, mountsUnder, parseMountInfoLine } from './leftovers.js';
import { startTestHost, type TestHost } from './testhost.js';
import { findTestHostDaemons, isZfsDaemonRunning, listPools } from './zfs-pool.js';
import { requireRoot, rootRequirement, useTestHost } from '../setup/test-host.js';

describe('a running test host', () => {
  const host = useTestHost();

  it('creates, snapshots and clones a dataset with the real zfs', async () => {
    const h = host();
    const run = (args: string[]) => execa('zfs', args, { env: { ...process.env, ...h.env } });
    await run(['create', '-p', `${h.root}/images/base`]);
    await writeFile(path.join(h.mountRoot, 'stockade/images/base/marker'), 'from base\n');

    await run(['snapshot', `${h.root}/images/base@ready`]);
    await run(['clone', `${h.root}/images/base@ready`, `${h.root}/jails`]);
    const listing = await run(['list', '-H', '-o', 'name,origin', '-t', 'all', '-r', h.root]);

    expect(listing.stdout.split('\n')).toEqual([
      `${h.root}\t-`,
      `${h.root}/images\t-`,
      `${h.root}/images/base\t-`,
      `${h.root}/images/base@ready\t-`,
      `${h.root}/jails\t${h.root}/images/base@ready`,
    ]);
    const cloned = await readFile(path.join(h.mountRoot, 'stockade/jails/marker'), 'utf8');
    expect(cloned).toBe('from base\n');
  });

  it('puts one wrapper per tool first on PATH, and the real git and tar in tools', async () => {
    const h = host();
    const env = { ...process.env, ...h.env };
    const wrapped = (Object.keys(DEFAULT_TOOLS) as ToolName[]).filter(
      (tool) => tool !== 'git' && tool !== 'tar',
    );

    for (const tool of wrapped) {
      const found = await execa('sh', ['-c', `command -v ${tool}`], { env });
      const mode = (await stat(h.tools[tool])).mode;
      expect(found.stdout).toBe(path.join(h.binDir, tool));
      expect(h.tools[tool]).toBe(path.join(h.binDir, tool));
      expect(mode & 0o111).toBe(0o111);
      expect((await readFile(h.tools[tool], 'utf8')).split('\n')[0]).toBe('#!/bin/sh');
    }
    expect(h.tools.git).toBe(h.systemTools.git);
    expect(h.tools.tar).toBe(h.systemTools.tar);
    expect((await execa(h.tools.zpool, ['list', '-H', '-o', 'name', h.pool])).stdout).toBe(h.pool);
  });

  it('loads the stockade anchor hooks into the simulated pf', async () => {
    const h = host();
    const env = { ...process.env, ...h.env };

    const nat = await execa(h.tools.pfctl, ['-s', 'nat'], { env });
    const rules = await execa(h.tools.pfctl, ['-s', 'rules'], { env });

    expect(nat.stdout).toMatch(/^nat-anchor "stockade\/\*"/m);
    expect(nat.stdout).toMatch(/^rdr-anchor "stockade\/\*"/m);
    expect(rules.stdout).toMatch(/^anchor "stockade\/\*"/m);
  });

  it('gives a complete node config for this host, with overrides merged', () => {
    const h = host();

    const config = h.nodeConfig({
      repository: { url: 'http://127.0.0.1:1/demo.git' },
      policy: { maxReplicas: 3 },
    });

    expect(config.zfs.root).toBe(`${h.pool}/stockade`);
    expect(config.pf).toEqual({ externalInterface: 'em0', anchor: 'stockade' });
    expect(config.releases).toEqual({ busybox: h.releaseArchive });
    expect(path.dirname(config.stateDir)).toBe(h.tempDir);
    expect(config.tools).toEqual(h.tools);
    expect(config.repository.url).toBe('http://127.0.0.1:1/demo.git');
    expect(config.repository.branch).toBe('main');
    expect(config.policy.maxReplicas).toBe(3);
    expect(config.policy.maxPruneRatio).toBe(0.5);
  });
});

describe('stopping a test host', () => {
  if (!requireRoot()) return;

  const scratch = mkdtemp(path.join(os.tmpdir(), 'stockade-stop-test-'));
  let systemTools: SystemTools;
  beforeAll(async () => {
    systemTools = await ensureSystemPackages({ install: process.env.CI !== undefined });
  }, 600_000);
  afterAll(async () => {
    await rm(await scratch, { recursive: true, force: true });
  });

  it('leaves no pool, mount, process or temp folder, and can be called twice', async () => {
    const h = await startTestHost();
    const hostFolder = path.join(await scratch, 'host-data');
    await mkdir(hostFolder);
    await writeFile(path.join(hostFolder, 'keep'), 'must survive teardown\n');
    const jailRoot = await makeJailRoot(h);
    // What the simulator leaves when a run dies halfway: a nullfs (bind) mount of a host
    // folder into a jail (bug B1: teardown must not delete through it), a process chrooted
    // into the jail, another working inside the pool.
    await mkdir(path.join(jailRoot, 'data'));
    await execa('mount', ['--bind', hostFolder, path.join(jailRoot, 'data')]);
    const jailed = spawn('/usr/sbin/chroot', [jailRoot, '/bin/sleep', '600'], { stdio: 'ignore' });
    const inPool = spawn('sleep', ['600'], { cwd: jailRoot, stdio: 'ignore' });
    // A daemon that detached from its jail and left its root (bug B9): only the simulator's
    // marker in its environment ties it to this host.
    const detached = spawn('sleep', ['600'], {
      cwd: '/',
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, STOCKADE_SIM_HOST: h.stateDir },
    });
    expect(await isProcessAlive(jailed.pid ?? 0)).toBe(true);
    expect(await isProcessAlive(detached.pid ?? 0)).toBe(true);

    await h.stop();
    await h.stop();

    expect(await listPools(h.systemTools)).not.toContain(h.pool);
    expect(await mountsUnder(h.tempDir)).toEqual([]);
    expect(await isProcessAlive(jailed.pid ?? 0)).toBe(false);
    expect(await isProcessAlive(inPool.pid ?? 0)).toBe(false);
    expect(await isProcessAlive(detached.pid ?? 0)).toBe(false);
    expect(existsSync(h.tempDir)).toBe(false);
    expect(await readFile(path.join(hostFolder, 'keep'), 'utf8')).toBe('must survive teardown\n');
  });

  it('cleans up everything when start fails halfway', async () => {
    const failing = startTestHost({ failAfter: 'simulator' });

    const err = await failing.catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'TEST_HOST_START_FAILED', data: { phase: 'simulator' } });
    const { tempDir, pool } = (err as { data: { tempDir: string; pool: string } }).data;
    expect(pool).toMatch(/^sttest[0-9a-f]{8}$/);
    expect(existsSync(tempDir)).toBe(false);
    expect(await mountsUnder(tempDir)).toEqual([]);
    expect(await listPools(systemTools)).not.toContain(pool);
  });

  it('names a simulator that is not built, and cleans up', async () => {
    const missing = path.join(await scratch, 'no-such-simulator.js');

    const err = await startTestHost({ simulators: { jls: missing } }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'TEST_HOST_START_FAILED', data: { phase: 'bin' } });
    expect((err as Error).cause).toMatchObject({
      code: 'TEST_HOST_SIMULATOR_MISSING',
      data: { missing: [{ tool: 'jls', file: missing }] },
    });
    expect(existsSync((err as { data: { tempDir: string } }).data.tempDir)).toBe(false);
  });

  it('stops the zfs-fuse daemon when a test host started it and no pool is left', async () => {
    const wasRunning = await isZfsDaemonRunning(systemTools);
    const h = await startTestHost();
    const marked = await findTestHostDaemons();

    await h.stop();

    // Other suites on this machine may hold pools on the same daemon at any time, so the
    // rule is checked as stated: a daemon runs on after the stop only while a pool needs it
    // or when no test host started it.
    const pools = await listPools(systemTools);
    const running = await isZfsDaemonRunning(systemTools);
    const markedAfter = await findTestHostDaemons();
    expect(pools).not.toContain(h.pool);
    if (!wasRunning) expect(marked).toHaveLength(1);
    expect(pools.length === 0 ? markedAfter : []).toEqual([]);
    if (pools.length === 0 && !wasRunning) expect(running).toBe(false);
    if (pools.length > 0) expect(running).toBe(true);
  });
});

describe('test host helpers', () => {
  it('parses a mountinfo line with an escaped space', () => {
    const line =
      '48 47 254:0 /srv/a\\040b /tmp/x/mnt/a\\040b rw,relatime shared:1 - ext4 /dev/vda rw';

    expect(parseMountInfoLine(line)).toEqual({
      mountPoint: '/tmp/x/mnt/a b',
      fsType: 'ext4',
      source: '/dev/vda',
    });
  });

  it('runs root tests as root, skips them elsewhere, and fails them in CI', () => {
    expect(rootRequirement({ uid: 0, ci: true })).toBe('run');
    expect(rootRequirement({ uid: 1000, ci: false })).toBe('skip');
    expect(rootRequirement({ uid: 1000, ci: true })).toBe('fail');
  });
});

/** Extracts the host's release into a dataset, as Stockade does for a jail root. */
async function makeJailRoot(h: TestHost): Promise<string> {
  await execa(h.tools.zfs, ['create', '-p', `${h.root}/jails/web`]);
  const jailRoot = path.join(h.mountRoot, 'stockade/jails/web');
  await execa(h.tools.tar, ['-xJf', h.releaseArchive, '-C', jailRoot]);
  return jailRoot;
}
