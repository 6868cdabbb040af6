// SPDX-License-Identifier: BSD-2-Clause
// The daemon-memory benchmark's replayed host and its verdict from the RSS samples.

import { describe, expect, it } from 'vitest';

import {
  daemonMemoryRows,
  replaySpawn,
  type DaemonMemoryResult,
} from '../../bench/daemon-memory.js';

describe('replaySpawn', () => {
  const spawn = replaySpawn([
    {
      argv: ['/bin/jls', '-n'],
      durationMs: 1,
      time: 1,
      exitCode: 0,
      stdout: 'jid=1\n',
      stderr: '',
    },
    { argv: ['/sbin/zfs', 'list', 'x'], durationMs: 1, time: 2, exitCode: 1, stderr: 'no such\n' },
  ]);

  it('answers a recorded argv with its output and exit code', async () => {
    expect(await spawn('/bin/jls', ['-n'], { timeoutMs: 1 })).toEqual({
      stdout: 'jid=1\n',
      stderr: '',
      exitCode: 0,
      signal: undefined,
      timedOut: false,
    });
    expect((await spawn('/sbin/zfs', ['list', 'x'], { timeoutMs: 1 })).exitCode).toBe(1);
  });

  it('fails a command that is not in the recording, naming it', async () => {
    const result = await spawn('/sbin/zfs', ['destroy', 'x'], { timeoutMs: 1 });

    expect([result.exitCode, result.stderr]).toEqual([1, 'not in the recording: zfs destroy x']);
  });
});

describe('daemonMemoryRows', () => {
  const result = (rss: number[], unexpected = 0): DaemonMemoryResult => ({
    polls: rss.length * 100,
    intervalMs: 10,
    samples: rss.map((rssMb, i) => ({ poll: (i + 1) * 100, rssMb, heapUsedMb: 20 })),
    gc: true,
    unexpected,
    requestsPerPoll: 2,
    app: 'demo',
  });

  it('calls flat RSS not growing and reports first, last and slope', () => {
    const rows = daemonMemoryRows(result([100, 101, 100, 100.5]));

    expect(rows.map((r) => r.value)).toEqual([
      'demo',
      '100 MB (heap 20 MB)',
      '100.5 MB (heap 20 MB)',
      '51 KB per 100 polls',
    ]);
    expect(rows[3]?.met).toBe(true);
  });

  it('calls a steady climb of 1 MB per 100 polls growth', () => {
    expect(daemonMemoryRows(result([100, 101, 102, 103, 104])).at(-1)?.met).toBe(false);
  });

  it('fails the verdict when a poll did not end NoChange', () => {
    expect(daemonMemoryRows(result([100, 100], 1)).at(-1)?.met).toBe(false);
  });
});
