// SPDX-License-Identifier: BSD-2-Clause
// The host driver's error classes: stable codes, data, kind and JSON form.

import { describe, expect, it } from 'vitest';

import { HostCommandError } from '../../src/errors/host-command-error.js';
import { HostRefusedError } from '../../src/errors/host-refused-error.js';
import { ImageBuildError } from '../../src/errors/image-build-error.js';
import { PfRulesInvalidError } from '../../src/errors/pf-rules-invalid-error.js';
import { StockadeError } from '../../src/errors/stockade-error.js';

describe('host driver errors', () => {
  it('HostCommandError carries HOST_COMMAND_FAILED and the failure', () => {
    const err = new HostCommandError({
      argv: ['/sbin/zfs', 'destroy', 'tank/x'],
      command: '/sbin/zfs destroy tank/x',
      exitCode: 1,
      signal: undefined,
      durationMs: 12,
      stderrTail: "cannot destroy 'tank/x': dataset is busy",
      timedOut: false,
    });

    expect(err).toBeInstanceOf(StockadeError);
    expect(err.code).toBe('HOST_COMMAND_FAILED');
    expect(err.exitCode).toBe(1);
    expect(err.stderrTail).toBe("cannot destroy 'tank/x': dataset is busy");
    expect(JSON.parse(JSON.stringify(err))).toMatchObject({
      name: 'HostCommandError',
      code: 'HOST_COMMAND_FAILED',
      kind: 'terminal',
      data: { argv: ['/sbin/zfs', 'destroy', 'tank/x'], exitCode: 1, durationMs: 12 },
    });
  });

  it('PfRulesInvalidError carries PF_RULES_INVALID, the anchor, line and rule', () => {
    const cause = new Error('pfctl failed');
    const err = new PfRulesInvalidError(
      { anchor: 'stockade/web', line: 3, rule: 'pass in port x', stderr: 'stdin:3: syntax error' },
      { cause },
    );

    expect(err.code).toBe('PF_RULES_INVALID');
    expect(err.kind).toBe('terminal');
    expect(err.data).toEqual({
      anchor: 'stockade/web',
      line: 3,
      rule: 'pass in port x',
      stderr: 'stdin:3: syntax error',
    });
    expect(err.cause).toBe(cause);
    expect(err.message).toBe(
      "failed to load pf anchor 'stockade/web' line 3: stdin:3: syntax error",
    );
  });

  it('HostRefusedError uses the refusal reason as its code; only unexpected state is transient', () => {
    const busy = new HostRefusedError('DATASET_IN_USE', 'refused', {
      dataset: 'tank/x',
      mounts: ['/j/x/data'],
    });
    const state = new HostRefusedError('HOST_STATE_UNEXPECTED', 'dying', { jail: 'web' });

    expect([busy.code, busy.kind, busy.data]).toEqual([
      'DATASET_IN_USE',
      'terminal',
      { dataset: 'tank/x', mounts: ['/j/x/data'] },
    ]);
    expect([state.code, state.kind]).toEqual(['HOST_STATE_UNEXPECTED', 'transient']);
  });

  it('ImageBuildError carries IMAGE_BUILD_FAILED, the stage and the cause', () => {
    const cause = new Error('pkg failed');
    const err = new ImageBuildError(
      { image: 'web', dataset: 'tank/stockade/images/web-1', stage: 'commands' },
      cause,
    );

    expect(err.code).toBe('IMAGE_BUILD_FAILED');
    expect(err.data).toEqual({
      image: 'web',
      dataset: 'tank/stockade/images/web-1',
      stage: 'commands',
    });
    expect(err.toJSON()['cause']).toBe('Error: pkg failed');
  });
});
