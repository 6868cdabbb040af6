// SPDX-License-Identifier: BSD-2-Clause
// The exec wrapper: tool paths from the config, deadlines, stdin, the HostCommandError it raises
// and the command count, with a fake spawn and with real processes through execa.

import { describe, expect, it } from 'vitest';

import { HostCommandError } from '../../src/errors/host-command-error.js';
import {
  createRunner,
  DEFAULT_TIMEOUTS,
  formatCommand,
  type SpawnFn,
} from '../../src/host/exec.js';

function recordingSpawn(reply: Awaited<ReturnType<SpawnFn>>) {
  const seen: { file: string; args: string[]; stdin?: string; timeoutMs: number }[] = [];
  const spawn: SpawnFn = async (file, args, options) => {
    seen.push({ file, args, ...options });
    return reply;
  };
  return { seen, spawn };
}

const OK = { stdout: 'out\n', stderr: '', exitCode: 0, signal: undefined, timedOut: false };

describe('createRunner', () => {
  it('spawns the absolute path from the config with argv, stdin and the tool deadline', async () => {
    const { seen, spawn } = recordingSpawn(OK);
    const runner = createRunner({ tools: { pfctl: '/opt/sim/pfctl' }, spawn });

    const result = await runner.run('pfctl', ['-a', 'stockade/web', '-f', '-'], {
      stdin: 'pass\n',
    });

    expect(seen).toEqual([
      {
        file: '/opt/sim/pfctl',
        args: ['-a', 'stockade/web', '-f', '-'],
        stdin: 'pass\n',
        timeoutMs: DEFAULT_TIMEOUTS.pfctl,
      },
    ]);
    expect(result.stdout).toBe('out\n');
    expect(result.exitCode).toBe(0);
    expect(runner.commands).toBe(1);
  });

  it('falls back to the FreeBSD path and takes a per-call and a per-tool deadline', async () => {
    const { seen, spawn } = recordingSpawn(OK);
    const runner = createRunner({ timeouts: { zfs: 5000 }, spawn });

    await runner.run('zfs', ['list']);
    await runner.run('zfs', ['list'], { timeoutMs: 42 });

    expect(seen.map((s) => [s.file, s.timeoutMs])).toEqual([
      ['/sbin/zfs', 5000],
      ['/sbin/zfs', 42],
    ]);
    expect(runner.commands).toBe(2);
  });

  it('rejects a non-zero exit with HOST_COMMAND_FAILED carrying argv, exit code and stderr tail', async () => {
    const { spawn } = recordingSpawn({
      stdout: '',
      stderr: "cannot open 'tank/nope': dataset does not exist\n",
      exitCode: 1,
      signal: undefined,
      timedOut: false,
    });
    const runner = createRunner({ spawn });

    const err = await runner.run('zfs', ['list', 'tank/my data']).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(HostCommandError);
    const error = err as HostCommandError;
    expect(error.code).toBe('HOST_COMMAND_FAILED');
    expect(error.kind).toBe('terminal');
    expect(error.data).toMatchObject({
      argv: ['/sbin/zfs', 'list', 'tank/my data'],
      command: "/sbin/zfs list 'tank/my data'",
      exitCode: 1,
      signal: undefined,
      stderrTail: "cannot open 'tank/nope': dataset does not exist",
      timedOut: false,
    });
    expect(typeof error.data['durationMs']).toBe('number');
    expect(error.message).toBe(
      "failed to run '/sbin/zfs list 'tank/my data'': cannot open 'tank/nope': dataset does not exist",
    );
    expect(error.toJSON()).toMatchObject({ code: 'HOST_COMMAND_FAILED', kind: 'terminal' });
  });

  it('resolves exit codes the caller lists as expected', async () => {
    const { spawn } = recordingSpawn({ ...OK, exitCode: 1 });
    const runner = createRunner({ spawn });

    const result = await runner.run('jexec', ['web', 'false'], { okExitCodes: [1] });

    expect(result.exitCode).toBe(1);
  });

  it('marks a timeout as transient', async () => {
    const { spawn } = recordingSpawn({
      stdout: '',
      stderr: '',
      exitCode: undefined,
      signal: 'SIGTERM',
      timedOut: true,
    });
    const runner = createRunner({ spawn });

    const err = (await runner
      .run('jail', ['-q', '-r', 'web'], { timeoutMs: 10 })
      .catch((e: unknown) => e)) as HostCommandError;

    expect(err.kind).toBe('transient');
    expect(err.data).toMatchObject({
      timedOut: true,
      signal: 'SIGTERM',
      stderrTail: 'timed out after 10 ms',
    });
  });
});

describe('createRunner with execa', () => {
  it('runs a real process without a shell and passes stdin', async () => {
    const runner = createRunner({ tools: { jls: '/bin/echo', tar: '/bin/cat' } });

    const echo = await runner.run('jls', ['$HOME', '; true']);
    const cat = await runner.run('tar', [], { stdin: 'from stdin\n' });

    expect(echo.stdout).toBe('$HOME ; true\n');
    expect(cat.stdout).toBe('from stdin\n');
  });

  it('reports the exit code of a failing process', async () => {
    const runner = createRunner({ tools: { rctl: '/bin/false' } });

    const err = (await runner.run('rctl', []).catch((e: unknown) => e)) as HostCommandError;

    expect(err.code).toBe('HOST_COMMAND_FAILED');
    expect(err.data['exitCode']).toBe(1);
    expect(err.data['stderrTail']).toBe('exit code 1');
  });

  it('kills a process past its deadline', async () => {
    const runner = createRunner({ tools: { jexec: '/bin/sleep' } });

    const err = (await runner
      .run('jexec', ['5'], { timeoutMs: 100 })
      .catch((e: unknown) => e)) as HostCommandError;

    expect(err.data['timedOut']).toBe(true);
    expect(err.kind).toBe('transient');
  });

  it('reports a tool that cannot be started', async () => {
    const runner = createRunner({ tools: { cpuset: '/nonexistent/cpuset' } });

    const err = (await runner.run('cpuset', ['-g']).catch((e: unknown) => e)) as HostCommandError;

    expect(err.code).toBe('HOST_COMMAND_FAILED');
    expect(err.data['exitCode']).toBeUndefined();
    expect(String(err.data['stderrTail'])).toContain('ENOENT');
  });
});

describe('formatCommand', () => {
  it('quotes only what a shell would split or expand', () => {
    expect(formatCommand(['/usr/sbin/jexec', 'web', '/bin/sh', '-c', `"$@" &`, "it's"])).toBe(
      `/usr/sbin/jexec web /bin/sh -c '"$@" &' 'it'\\''s'`,
    );
  });
});
