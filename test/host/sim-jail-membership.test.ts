// SPDX-License-Identifier: BSD-2-Clause
// Jail membership of simulated processes that clear their environment: a command started with
// `env -i`, as the driver starts every jail's command, still belongs to its jail, so jail -r
// kills it and a jail without persist lives as long as it does.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { waitFor } from './sim/proc-kit.js';
import {
  createBusyboxRoot,
  createSimHost,
  ensureSimulatorsBuilt,
  type SimHost,
} from './sim/testkit.js';

let host: SimHost;
let root: string;

beforeAll(() => ensureSimulatorsBuilt());
beforeEach(() => {
  host = createSimHost();
  root = createBusyboxRoot();
});
afterEach(() => {
  for (const pid of chrootedTo(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n').reverse()) {
    const target = line.split(' ')[1] ?? '';
    if (target.startsWith(root)) spawnSync('/bin/umount', ['-l', target]);
  }
  host.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('processes that clear their environment', () => {
  it('are killed by jail -r', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'persist', 'stop.timeout=5']);
    const started = host.run('jexec', [
      'web',
      '/bin/env',
      '-i',
      'PATH=/bin',
      '/bin/sh',
      '-c',
      'sleep 300 </dev/null >/dev/null 2>&1 &',
    ]);
    expect(started.code).toBe(0);
    expect(waitFor(() => chrootedTo(root).length === 1)).toBe(true);
    const [pid] = chrootedTo(root);
    expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain('STOCKADE_SIM_JID=');

    expect(host.run('jail', ['-r', 'web'])).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(chrootedTo(root)).toEqual([]);
  });

  it('keep a jail without persist alive until they exit', () => {
    host.run('jail', ['-c', 'name=web', `path=${root}`, 'exec.start=/bin/env -i /bin/sleep 300 &']);
    expect(waitFor(() => chrootedTo(root).length === 1)).toBe(true);
    expect(host.run('jls', ['-j', 'web', 'name']).stdout).toBe('web\n');

    for (const pid of chrootedTo(root)) process.kill(pid, 'SIGKILL');
    expect(waitFor(() => host.run('jls', ['-j', 'web']).code === 1)).toBe(true);
  });
});

/** Live processes whose root is `dir`, whatever their environment says. */
function chrootedTo(dir: string): number[] {
  const want = realpathSync(dir);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (readlinkSync(`/proc/${entry}/root`) === want && state !== 'Z') pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}
