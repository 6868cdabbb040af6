// SPDX-License-Identifier: BSD-2-Clause
// Every plan step action on the Linux test host, each applied twice: the first time its effect
// is checked with the host's tools, the second time nothing may change and only reads may run.

import { describe, expect, it } from 'vitest';

import { processesUnder } from '../host/leftovers.js';
import { useTestHost } from '../setup/test-host.js';
import {
  ALL_STEP_TYPES,
  isReadCommand,
  scenarioEveryActionTwice,
  testHostScenario,
} from './scenarios.js';

describe('every step action, twice, on the test host', () => {
  const getHost = useTestHost();

  it('applies each action, checks it with the tools, and finds the second run read-only', async () => {
    const host = testHostScenario(getHost(), (dir) => processesUnder(dir));
    const applied = await scenarioEveryActionTwice(host);
    expect([...applied].sort()).toEqual([...ALL_STEP_TYPES].sort());
  }, 600_000);
});

describe('isReadCommand', () => {
  it('counts listings as reads and every change as a write', () => {
    const reads = [
      { tool: 'zfs', args: ['get', '-Hp', 'all', 'tank'] },
      { tool: 'ifconfig', args: ['bridge0'] },
      { tool: 'mount', args: ['-p'] },
      { tool: 'pfctl', args: ['-a', 'stockade/x', '-t', 't', '-T', 'show'] },
      { tool: 'pfctl', args: ['-n', '-a', 'stockade/x', '-f', '-'] },
      { tool: 'rctl', args: ['jail:web-0'] },
      { tool: 'cpuset', args: ['-g', '-j', '3'] },
      { tool: 'jexec', args: ['web-0', '/sbin/ifconfig', 'e0b'] },
      {
        tool: 'jexec',
        args: ['web-0', '/bin/sh', '-c', 'p=$(cat /p 2>/dev/null) && kill -0 "$p" 2>/dev/null'],
      },
    ] as const;
    const writes = [
      { tool: 'zfs', args: ['set', 'quota=1M', 'tank/a'] },
      { tool: 'ifconfig', args: ['bridge0', 'up'] },
      { tool: 'mount', args: ['-t', 'nullfs', '/a', '/b'] },
      { tool: 'pfctl', args: ['-a', 'stockade/x', '-t', 't', '-T', 'replace', '10.0.0.1'] },
      { tool: 'pfctl', args: ['-a', 'stockade/x', '-F', 'all'] },
      { tool: 'rctl', args: ['-a', 'jail:web-0:maxproc:deny=3'] },
      { tool: 'cpuset', args: ['-l', '0', '-j', '3'] },
      { tool: 'jail', args: ['-q', '-r', 'web-0'] },
      {
        tool: 'jexec',
        args: ['web-0', '/bin/sh', '-c', 'kill -TERM "$(cat /p)" 2>/dev/null; rm -f /p'],
      },
      { tool: 'umount', args: ['/b'] },
      { tool: 'tar', args: ['-xf', 'base.txz', '-C', '/x'] },
    ] as const;
    expect(reads.map((c) => isReadCommand({ tool: c.tool, args: [...c.args] }))).toEqual(
      reads.map(() => true),
    );
    expect(writes.map((c) => isReadCommand({ tool: c.tool, args: [...c.args] }))).toEqual(
      writes.map(() => false),
    );
  });
});
