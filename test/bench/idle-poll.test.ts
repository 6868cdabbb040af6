// SPDX-License-Identifier: BSD-2-Clause
// The idle-poll benchmark's pure parts: reading host commands back from the runner's log lines,
// tallying tools, the demo-repo variations and the rows' verdicts.

import { readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  demoManifest,
  hostCommandsOf,
  idlePollRows,
  keepKinds,
  tally,
  type IdlePoll,
} from '../../bench/idle-poll.js';

const DEMO = readFileSync(path.join(import.meta.dirname, '../../demo-repo/stockade.yaml'), 'utf8');

describe('hostCommandsOf', () => {
  it('pairs each finished command with the output line for the same argv', () => {
    const commands = hostCommandsOf([
      { msg: 'run started', time: 1 },
      {
        msg: 'host command finished',
        argv: ['/bin/jls', '-n'],
        exitCode: 0,
        durationMs: 12,
        time: 2,
      },
      { msg: 'host command output', argv: ['/bin/jls', '-n'], stdout: 'jid=1\n', stderr: '' },
      {
        msg: 'host command finished',
        argv: ['/sbin/zfs', 'list'],
        exitCode: 1,
        durationMs: 3,
        time: 3,
      },
      { msg: 'host command output', argv: ['/sbin/other'], stdout: 'not paired', stderr: '' },
    ]);

    expect(commands).toEqual([
      {
        argv: ['/bin/jls', '-n'],
        durationMs: 12,
        time: 2,
        exitCode: 0,
        stdout: 'jid=1\n',
        stderr: '',
      },
      { argv: ['/sbin/zfs', 'list'], durationMs: 3, time: 3, exitCode: 1 },
    ]);
  });
});

describe('tally', () => {
  it('counts names in first-seen order', () => {
    expect(tally(['jls', 'zfs', 'zfs', 'pfctl', 'jls'])).toBe('jls x2, zfs x2, pfctl x1');
  });
});

describe('demoManifest', () => {
  it('sets the replicas and the memory limit of the web jail', () => {
    const text = demoManifest(DEMO, { replicas: 1, memory: '96M' });

    expect(text).toContain('  replicas: 1\n');
    expect(text).toContain('    memory: 96M\n');
    expect(text).not.toContain('memory: 64M');
  });

  it('keeps only the network and the volume without jails', () => {
    const text = demoManifest(DEMO, { withoutJails: true, replicas: 3 });

    expect([...text.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])).toEqual(['Network', 'Volume']);
  });
});

describe('keepKinds', () => {
  it('drops every document of another kind', () => {
    const text = 'kind: A\nx: 1\n---\nkind: B\ny: 2\n---\nkind: AB\nz: 3\n';

    expect(keepKinds(text, ['A'])).toBe('kind: A\nx: 1\n');
  });
});

describe('idlePollRows', () => {
  const poll = (over: Partial<IdlePoll>): IdlePoll => ({
    result: 'NoChange',
    requests: 2,
    authenticatedRequests: 1,
    hostCommands: 8,
    tools: ['jls', 'zfs', 'zfs'],
    cpuMs: 40,
    wallMs: 900,
    ...over,
  });

  it('meets the targets at one authenticated fetch round trip and 8 commands', () => {
    const rows = idlePollRows({
      polls: [poll({}), poll({ cpuMs: 60 }), poll({ cpuMs: 50 })],
      resyncs: [
        poll({ requests: 1, hostCommands: 11, tools: ['jls', 'pfctl'], cpuMs: 120, wallMs: 2000 }),
      ],
      firstResult: 'Applied',
      observe: { commands: 12, jails: 2 },
      app: 'demo',
    });

    expect(rows.map((r) => [r.value, r.met])).toEqual([
      ['demo', undefined],
      ['2 (1 authenticated)', true],
      ['8', true],
      ['50 ms', undefined],
      ['900 ms', undefined],
      ['1', undefined],
      ['11', undefined],
      ['120 ms', undefined],
      ['2000 ms', undefined],
      ['12', undefined],
    ]);
    expect(rows[2]?.metric).toBe('host commands per idle run (jls x1, zfs x2)');
    expect(rows[6]?.metric).toBe('host commands per idle resync run (jls x1, pfctl x1)');
  });

  it('names no tool for an idle run that issued no host command', () => {
    const rows = idlePollRows({
      polls: [poll({ requests: 1, hostCommands: 0, tools: [] })],
      resyncs: [poll({})],
      firstResult: 'Applied',
      observe: { commands: 12, jails: 2 },
      app: 'demo',
    });

    expect([rows[2]?.metric, rows[2]?.value, rows[2]?.met]).toEqual([
      'host commands per idle run (none)',
      '0',
      true,
    ]);
  });

  it('misses the targets with two fetches and 24 commands', () => {
    const rows = idlePollRows({
      polls: [poll({ requests: 4, authenticatedRequests: 2, hostCommands: 24 })],
      resyncs: [],
      firstResult: 'Applied',
      observe: { commands: 12, jails: 0 },
      app: 'x',
    });

    expect([rows[1]?.met, rows[2]?.met]).toEqual([false, false]);
  });
});
