// SPDX-License-Identifier: BSD-2-Clause
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { execa } from 'execa';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { parseNodeConfig } from '../../src/config/load.js';
import { formatExports, runTestHostCli } from './cli.js';
import type { TestHostRecord } from './testhost.js';
import { listPools } from './zfs-pool.js';
import { requireRoot } from '../setup/test-host.js';

describe('testhost command', () => {
  it('quotes every exported value for sh', () => {
    const record = {
      binDir: "/tmp/it's/bin",
      env: { PATH: "/tmp/it's/bin:/usr/local/bin", STOCKADE_SIM_STATE: '/tmp/s' },
      poolRecord: { name: 'sttest00000000', file: '/tmp/p.img', mountpoint: '/tmp/mnt' },
      root: 'sttest00000000/stockade',
      releaseArchive: '/tmp/base.txz',
    } as unknown as TestHostRecord;

    const text = formatExports(record, '/repo/.testhost/stockade.yaml');

    expect(text.split('\n')).toEqual([
      "export PATH='/tmp/it'\\''s/bin':\"$PATH\"",
      "export STOCKADE_SIM_STATE='/tmp/s'",
      "export STOCKADE_TESTHOST_POOL='sttest00000000'",
      "export STOCKADE_TESTHOST_ROOT='sttest00000000/stockade'",
      "export STOCKADE_TESTHOST_MOUNT='/tmp/mnt'",
      "export STOCKADE_TESTHOST_RELEASE='/tmp/base.txz'",
      "export STOCKADE_TESTHOST_CONFIG='/repo/.testhost/stockade.yaml'",
      '',
    ]);
  });

  it('exits 69 for env and 0 for down when no host is up, 64 for an unknown command', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'stockade-cli-test-'));
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);

    const codes = [
      await runTestHostCli(['env'], stateDir),
      await runTestHostCli(['down'], stateDir),
      await runTestHostCli(['sideways'], stateDir),
    ];

    stderr.mockRestore();
    await rm(stateDir, { recursive: true, force: true });
    expect(codes).toEqual([69, 0, 64]);
  });
});

describe('testhost up and down', () => {
  if (!requireRoot()) return;

  const stateDir = mkdtemp(path.join(os.tmpdir(), 'stockade-cli-test-'));
  afterAll(async () => {
    // Only after a failed test is a host still recorded.
    if (existsSync(path.join(await stateDir, 'host.json')))
      await runTestHostCli(['down'], await stateDir);
    await rm(await stateDir, { recursive: true, force: true });
  });

  it('keeps a host up between commands, prints its exports, and tears it down', async () => {
    const dir = await stateDir;
    // A record left by a host whose pool is gone (bug B12): `up` must not trust it.
    const staleTemp = path.join(dir, 'stale-host');
    await mkdir(staleTemp);
    const stale = {
      tempDir: staleTemp,
      poolRecord: {
        name: 'sttestdeadbeef',
        file: path.join(staleTemp, 'sttestdeadbeef.img'),
        mountpoint: path.join(staleTemp, 'mnt'),
      },
    };
    await writeFile(path.join(dir, 'host.json'), JSON.stringify(stale));
    const out: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockReturnValue(true);

    const up = await runTestHostCli(['up'], dir);
    const upText = out.splice(0).join('');
    const env = await runTestHostCli(['env'], dir);
    const envText = out.splice(0).join('');
    const record = JSON.parse(
      await readFile(path.join(dir, 'host.json'), 'utf8'),
    ) as TestHostRecord;
    const config = parseNodeConfig(await readFile(path.join(dir, 'stockade.yaml'), 'utf8'), 'x');
    const poolsWhileUp = await listPools(record.systemTools);
    const evaluated = await execa('sh', [
      '-c',
      `${envText}zfs list -H -o name "$STOCKADE_TESTHOST_POOL"`,
    ]);
    const down = await runTestHostCli(['down'], dir);

    stdout.mockRestore();
    stderr.mockRestore();
    expect([up, env, down]).toEqual([0, 0, 0]);
    expect(existsSync(staleTemp)).toBe(false);
    expect(record.poolRecord.name).not.toBe('sttestdeadbeef');
    expect(envText).toBe(upText);
    expect(upText).toContain(`export STOCKADE_TESTHOST_POOL='${record.poolRecord.name}'\n`);
    expect(config.zfs.root).toBe(`${record.poolRecord.name}/stockade`);
    expect(poolsWhileUp).toContain(record.poolRecord.name);
    expect(evaluated.stdout).toBe(record.poolRecord.name);
    expect(await listPools(record.systemTools)).not.toContain(record.poolRecord.name);
    expect(existsSync(record.tempDir)).toBe(false);
    expect(existsSync(path.join(dir, 'host.json'))).toBe(false);
  });
});
