// SPDX-License-Identifier: BSD-2-Clause
import { defaultNodeConfig, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  defaultNodeConfig,
  loadNodeConfig,
  parseNodeConfig,
  readSecret,
} from '../../src/config/load.js';
import { ConfigError } from '../../src/errors/config-error.js';

const MINIMAL = [
  'name: web1',
  'repository:',
  '  url: https://git.example.org/ops/fleet.git',
  'zfs:',
  '  root: zroot/stockade',
  'pf:',
  '  externalInterface: em0',
  '',
].join('\n');

function problemsOf(text: string): unknown {
  try {
    parseNodeConfig(text, '/etc/s.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('parseNodeConfig', () => {
  it('applies every default to a minimal file', () => {
    const config = parseNodeConfig(MINIMAL, '/etc/s.yaml');

    expect(config).toEqual({
      name: 'web1',
      labels: {},
      repository: {
        url: 'https://git.example.org/ops/fleet.git',
        branch: 'main',
        path: '.',
        statusBranch: 'stockade-status',
        allowForcePush: false,
        transport: 'auto',
      },
      pollInterval: 60,
      resyncInterval: 300,
      zfs: { root: 'zroot/stockade', rollbackPoints: { keep: 10, maxAgeSeconds: 2592000 } },
      pf: { externalInterface: 'em0', anchor: 'stockade' },
      releases: {},
      policy: {
        allowedParameters: ['allow.raw_sockets', 'allow.sysvipc', 'sysvmsg', 'sysvsem', 'sysvshm'],
        allowedHostPaths: [],
        maxReplicas: 64,
        maxPruneRatio: 0.5,
        allowPruneAll: false,
      },
      selfHeal: true,
      stateDir: '/var/db/stockade',
      tools: {},
    });
  });

  it('names file, line, column and field of a wrong type', () => {
    const text = MINIMAL.replace('pf:\n', 'pollInterval: often\npf:\n');

    expect(problemsOf(text)).toEqual([
      {
        file: '/etc/s.yaml',
        line: 6,
        column: 15,
        field: 'pollInterval',
        message: 'must be integer',
      },
    ]);
  });

  it('takes the system git client as transport, and refuses an unknown one at its line', () => {
    const withCli = MINIMAL.replace(
      '  url: https://git.example.org/ops/fleet.git\n',
      '  url: https://git.example.org/ops/fleet.git\n  transport: cli\n',
    );
    const withSsh = withCli.replace('transport: cli', 'transport: ssh');

    expect(parseNodeConfig(withCli, '/etc/s.yaml').repository.transport).toBe('cli');
    expect(problemsOf(withSsh)).toMatchObject([
      { file: '/etc/s.yaml', line: 4, field: 'repository.transport' },
    ]);
  });

  it('gives a complete default config for commands that run without a file', () => {
    const config = defaultNodeConfig({ name: 'plan' });

    expect(config).toEqual({
      ...parseNodeConfig(MINIMAL.replace('web1', 'plan').replace('em0', 'vtnet0'), '/x'),
      repository: { ...parseNodeConfig(MINIMAL, '/x').repository, url: '' },
    });
  });

  it('names an unknown nested field at its key', () => {
    const text = MINIMAL.replace('  root: zroot/stockade\n', '  root: zroot/stockade\n  pool: x\n');

    expect(problemsOf(text)).toEqual([
      {
        file: '/etc/s.yaml',
        line: 6,
        column: 3,
        field: 'zfs.pool',
        message: 'is not a known field',
      },
    ]);
  });

  it('reports every problem of the file at once, missing fields included', () => {
    const text =
      'name: Web_1\nrepository: {}\nzfs:\n  root: zroot/stockade\npf:\n  externalInterface: em0\n';

    expect(problemsOf(text)).toEqual([
      {
        file: '/etc/s.yaml',
        line: 1,
        column: 7,
        field: 'name',
        message: 'must match pattern "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"',
      },
      { file: '/etc/s.yaml', line: 2, column: 13, field: 'repository.url', message: 'is required' },
    ]);
  });

  it('refuses a webhook without a secret and a secret given twice', () => {
    const text = `${MINIMAL}webhook:\n  listen: 127.0.0.1:8470\n`;
    const twice = `${MINIMAL}webhook:\n  listen: 127.0.0.1:8470\n  secretFile: /a\n  secretEnv: B\n`;

    expect(problemsOf(text)).toEqual([
      {
        file: '/etc/s.yaml',
        line: 8,
        column: 1,
        field: 'webhook.secretFile',
        message: 'a webhook needs a secret: set secretFile or secretEnv',
      },
    ]);
    expect(problemsOf(twice)).toEqual([
      {
        file: '/etc/s.yaml',
        line: 11,
        column: 3,
        field: 'webhook.secretEnv',
        message: 'give secretFile or secretEnv, not both',
      },
    ]);
  });

  it('reports a YAML syntax error with its position', () => {
    expect(problemsOf('name: [web1\n')).toMatchObject([
      { file: '/etc/s.yaml', line: 2, field: '' },
    ]);
  });
});

describe('loadNodeConfig and readSecret', () => {
  it('reads a file, and names a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stockade-config-'));
    await writeFile(join(dir, 'ok.yaml'), MINIMAL);
    await writeFile(join(dir, 'secret'), 's3cret\n');

    expect((await loadNodeConfig(join(dir, 'ok.yaml'))).name).toBe('web1');
    await expect(loadNodeConfig(join(dir, 'none.yaml'))).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      data: { problems: [{ field: '', line: 0, message: 'cannot read the file: ENOENT' }] },
    });
    expect(await readSecret({ file: join(dir, 'secret') })).toBe('s3cret');
    expect(await readSecret({ env: 'HOOK' }, { HOOK: 'abc' })).toBe('abc');
    expect(await readSecret({})).toBeUndefined();
  });
});
