// SPDX-License-Identifier: BSD-2-Clause
// The observe benchmark's replayed host: its output parses into exactly the generated jails, and
// its rows judge every size against the smallest host's command count.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import {
  generateHostOutput,
  observeRows,
  replayContext,
  replyKey,
  runObserveBenchmark,
} from '../../bench/observe.js';
import { observeHost } from '../../src/host/observe.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('replyKey', () => {
  it('keys zfs by subcommand, pfctl by what it shows, other tools by name', () => {
    expect(replyKey('zfs', ['get', '-H'])).toBe('zfs get');
    expect(replyKey('pfctl', ['-a', 'stockade', '-v', '-s', 'Anchors'])).toBe('pfctl Anchors');
    expect(replyKey('pfctl', ['-a', 'stockade/x', '-t', 'x', '-T', 'show'])).toBe('pfctl show');
    expect(replyKey('pfctl', ['-a', 'stockade/x', '-F', 'all'])).toBeUndefined();
    expect(replyKey('jls', ['--libxo', 'json'])).toBe('jls');
  });
});

describe('generateHostOutput', () => {
  it('observes back exactly the generated jails, running, with their interface', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'stockade-bench-test-'));
    const observed = await observeHost(replayContext(generateHostOutput(3), dir));

    expect(Object.keys(observed.topology.jails).sort()).toEqual(['app-0', 'app-1', 'app-2']);
    expect(observed.topology.jails['app-2']?.running).toBe(true);
    expect(observed.topology.jails['app-2']?.jid).toBe(3);
    expect(observed.topology.jails['app-2']?.interfaces.map((i) => i.epair)).toEqual([
      'se000000002a',
    ]);
    expect(observed.foreign.jails).toEqual([]);
  });
});

describe('runObserveBenchmark', () => {
  it('counts the same commands for every size and finds every jail', async () => {
    const counts = await runObserveBenchmark({ sizes: [1, 20] });

    expect(counts.map((c) => [c.jails, c.found, c.commands])).toEqual([
      [1, 1, 12],
      [20, 20, 12],
    ]);
  });
});

describe('observeRows', () => {
  it('marks a size whose count differs from the first as missed', () => {
    const rows = observeRows([
      { jails: 1, commands: 12, found: 1, ms: 1 },
      { jails: 50, commands: 13, found: 50, ms: 1 },
    ]);

    expect(rows.map((r) => [r.value, r.target, r.met])).toEqual([
      ['12', 'same for all (12)', true],
      ['13', 'same for all (12)', false],
    ]);
  });
});
