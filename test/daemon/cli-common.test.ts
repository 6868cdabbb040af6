// SPDX-License-Identifier: BSD-2-Clause
// Exit codes and human output of the run commands, and the status, history and rollback
// commands against a state directory written by the engine.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { run as history } from '../../src/cli/history.js';
import { run as rollback } from '../../src/cli/rollback.js';
import { run as runCommand } from '../../src/cli/run.js';
import { run as status } from '../../src/cli/status.js';
import { exitCodeOf, formatReport } from '../../src/daemon/cli-common.js';
import { createEngine } from '../../src/run/engine.js';
import type { RunReport } from '../../src/run/report.js';
import { fakeDeps, manifestFile } from '../run/fakes.js';
import { tempDir } from '../run/helpers.js';
import { appliedReport } from '../status/fixtures.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `command`, capturing what it writes to stdout and stderr. */
async function capture(command: () => Promise<number>) {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  const code = await command();
  vi.restoreAllMocks();
  return { code, out, err };
}

async function nodeWithHistory() {
  const dir = await tempDir();
  const stateDir = join(dir, 'state');
  const config = join(dir, 'stockade.yaml');
  await writeFile(
    config,
    [
      'name: node1',
      'repository:',
      '  url: http://127.0.0.1:9/x.git',
      'zfs:',
      '  root: tank/stockade',
      'pf:',
      '  externalInterface: em0',
      `stateDir: ${stateDir}`,
      '',
    ].join('\n'),
  );
  const fakes = fakeDeps(stateDir);
  const engine = createEngine(fakes.deps);
  fakes.git.push('a'.repeat(40), { 'app.json': manifestFile([{ name: 'web' }]) });
  await engine.run();
  fakes.git.push(`aaaab${'b'.repeat(35)}`, {
    'app.json': manifestFile([{ name: 'web', version: '2' }]),
  });
  await engine.run();
  return { config, stateDir };
}

describe('exitCodeOf', () => {
  it('maps each result to its sysexits code', () => {
    const codes = (
      [
        ['Applied', 'Applied'],
        ['NoChange', 'UpToDate'],
        ['ValidationFailed', 'ManifestInvalid'],
        ['Refused', 'PruneGuard'],
        ['RolledBack', 'StepFailed'],
        ['Failed', 'SourceUnavailable'],
        ['Failed', 'Aborted'],
        ['Failed', 'RollbackFailed'],
      ] as const
    ).map(([result, reason]) => exitCodeOf({ ...appliedReport(), result, reason } as RunReport));

    expect(codes).toEqual([0, 0, 65, 65, 1, 69, 75, 1]);
  });
});

describe('formatReport', () => {
  it('prints one labelled line per fact', () => {
    const report = appliedReport({
      result: 'RolledBack',
      reason: 'StepFailed',
      message: 'jail.create:web-0 failed; rolled back',
      failedStep: 'jail.create:web-0',
      pinned: true,
      errors: [
        {
          code: 'HOST_COMMAND_FAILED',
          message: 'exit 1',
          step: 'jail.create:web-0',
          command: 'jail -c name=web-0',
        },
      ],
      warnings: ['volume logs retained'],
    });

    expect(formatReport(report)).toBe(
      [
        'result     RolledBack (StepFailed): jail.create:web-0 failed; rolled back',
        'commit     1a2b3c4 Add db',
        'applied    1a2b3c4 (pinned: stockade apply --unpin follows the branch again)',
        'plan       +2 ~0 -0 ±0 in 9 step(s)',
        'failed     jail.create:web-0',
        'snapshot   c-1a2b3c4d5e6f-20261204T120000Z',
        'jail       db-0 running none jid 4',
        'jail       web-0 running healthy jid 5 10.77.1.10/24',
        'error      exit 1 [HOST_COMMAND_FAILED] (jail -c name=web-0)',
        'warning    volume logs retained',
        'duration   5.0 s',
        '',
      ].join('\n'),
    );
  });
});

describe('the commands', () => {
  it('status prints the last run, as JSON too', async () => {
    const { config } = await nodeWithHistory();

    const human = await capture(() => status(['-c', config]));
    const json = await capture(() => status(['-c', config, '--json']));

    expect(human.code).toBe(0);
    expect(human.out.split('\n').slice(0, 3)).toEqual([
      'node       node1',
      'result     Applied (Applied): commit aaaabbb applied in 4 step(s)',
      'commit     aaaabbb commit aaaa',
    ]);
    expect(JSON.parse(json.out)).toMatchObject({
      result: 'Applied',
      applied: `aaaab${'b'.repeat(35)}`,
    });
  });

  it('history lists applied commits newest first', async () => {
    const { config } = await nodeWithHistory();

    const { code, out } = await capture(() => history(['-c', config, '--json']));

    expect(code).toBe(0);
    expect(
      JSON.parse(out).map((h: { commit: string; rollbackPoint?: string }) => [
        h.commit.slice(0, 5),
        h.rollbackPoint ?? null,
      ]),
    ).toEqual([
      ['aaaab', 'c-aaaabbbbbbbb-20261204T120000Z'],
      ['aaaaa', null],
    ]);
  });

  it('rollback refuses an ambiguous or unknown revision before touching anything', async () => {
    const { config } = await nodeWithHistory();

    const ambiguous = await capture(() => rollback(['-c', config, 'aaaa']));
    const unknown = await capture(() => rollback(['-c', config, 'cccc']));
    const usage = await capture(() => rollback(['-c', config, 'HEAD~1']));

    expect([ambiguous.code, unknown.code, usage.code]).toEqual([65, 65, 64]);
    expect(ambiguous.err).toBe(
      "stockade rollback: more than one applied commit starts with 'aaaa'; see stockade history\n",
    );
    expect(unknown.err).toBe(
      "stockade rollback: no applied commit starts with 'cccc'; see stockade history\n",
    );
    expect(usage.err.startsWith('stockade rollback: REV must be 4 to 40 hex digits\n')).toBe(true);
  });

  it('run --check-config validates the config and names problems with their position', async () => {
    const { config } = await nodeWithHistory();
    const bad = join(config, '..', 'bad.yaml');
    await writeFile(bad, 'name: node1\npollInterval: 1\n');

    const ok = await capture(() => runCommand(['-c', config, '--check-config']));
    const failed = await capture(() => runCommand(['-c', bad, '--check-config']));

    expect(ok).toMatchObject({ code: 0, out: `${config}: valid config for node node1\n` });
    expect(failed.code).toBe(78);
    expect(failed.err.split('\n')).toEqual([
      `stockade run: ${bad}:1:1: repository: is required`,
      `stockade run: ${bad}:1:1: zfs: is required`,
      `stockade run: ${bad}:1:1: pf: is required`,
      `stockade run: ${bad}:2:15: pollInterval: must be >= 5`,
      '',
    ]);
  });
});
