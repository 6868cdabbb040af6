// SPDX-License-Identifier: BSD-2-Clause
// The sync engine on the test host when the daemon dies: SIGKILL at the rollback point, in the
// middle of the apply and during the health gate, each followed by a restart that must converge
// on the commit with nothing leaked and a volume's data intact; and a boot where one jail's root
// is broken, which must not keep the other jail from starting.

import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Phase } from '../../src/status/reasons.js';
import { findRepoRoot } from '../host/paths.js';
import { startStack, waitFor, type Stack } from '../host/stack.js';
import { requireRoot } from '../setup/test-host.js';
import {
  type HostSnapshot,
  readJournal,
  snapshotHost,
  waitForStatus,
  withoutJids,
} from './leaks.js';

const DEMO = path.join(findRepoRoot(), 'demo-repo');
const KEEP = 'written-before-the-crash.txt';

describe('engine on the test host: crashes and boot', () => {
  const isRoot = requireRoot();
  let stack: Stack;
  let manifest: string;
  let baseline: HostSnapshot;
  let volumeDir: string;

  beforeAll(async () => {
    if (!isRoot) return;
    manifest = await readFile(path.join(DEMO, 'stockade.yaml'), 'utf8');
    stack = await startStack({ manifests: DEMO, pollInterval: 5 });
    const first = (await stack.git_(['rev-parse', 'HEAD'])).trim();
    await stack.startDaemon();
    await waitForStatus(stack, first, (s) => s.result === 'Applied', 150_000);
    baseline = await snapshotHost(stack);
    volumeDir = path.join(stack.host.mountRoot, 'stockade', 'volumes', 'web-logs');
    await writeFile(path.join(volumeDir, KEEP), 'kept\n');
  }, 200_000);

  afterAll(async () => {
    await stack?.stop();
  }, 120_000);

  /** Polls the journal until the run of `commit` reaches `phase`, then kills the daemon. */
  async function killAt(commit: string, phase: Phase): Promise<void> {
    await waitFor(
      `the journal of ${commit.slice(0, 7)} to reach ${phase}`,
      async () => {
        const journal = await readJournal(stack);
        return journal?.commit === commit && journal.phase === phase ? journal : undefined;
      },
      120_000,
      5,
    );
    await stack.stopDaemon('SIGKILL');
  }

  /** What the host must hold when it runs the demo with `memory` bytes per jail. */
  function wanted(memory: number) {
    const rctl = baseline.rctl
      .map((rule) => rule.replace(/memoryuse:deny=\d+$/, `memoryuse:deny=${memory}`))
      .sort();
    return withoutJids({ ...baseline, rctl });
  }

  const cases: { phase: Phase; memory: string; bytes: number }[] = [
    { phase: 'rollback-point', memory: '80M', bytes: 80 * 1024 * 1024 },
    { phase: 'apply', memory: '96M', bytes: 96 * 1024 * 1024 },
    { phase: 'health', memory: '112M', bytes: 112 * 1024 * 1024 },
  ];

  for (const { phase, memory, bytes } of cases) {
    it(`converges after SIGKILL in the ${phase} phase`, async () => {
      const commit = await stack.commit(`Give the web jails ${memory}`, {
        'stockade.yaml': manifest.replace('memory: 64M', `memory: ${memory}`),
      });
      await killAt(commit, phase);
      await stack.startDaemon();

      const status = await waitForStatus(stack, commit, (s) => s.result === 'Applied');
      expect(status.applied?.commit).toBe(commit);
      expect(status.jails.map((j) => [j.name, j.state, j.health])).toEqual([
        ['web-0', 'running', 'healthy'],
        ['web-1', 'running', 'healthy'],
      ]);
      expect(withoutJids(await snapshotHost(stack))).toEqual(wanted(bytes));
      expect(await readFile(path.join(volumeDir, KEEP), 'utf8')).toBe('kept\n');
      expect(await readJournal(stack)).toBeUndefined();
    }, 240_000);
  }

  it('starts the healthy jail at boot when the other one has a broken root', async () => {
    const head = (await stack.git_(['rev-parse', 'HEAD'])).trim();
    const jailsDir = path.join(stack.host.mountRoot, 'stockade', 'jails');
    await stack.stopDaemon('SIGKILL');
    await rm(path.join(jailsDir, 'web-0', 'bin', 'sh'));
    // A reboot takes every jail down without asking Stockade.
    await stack.hostTool('jail', ['-r', 'web-0']);
    await stack.hostTool('jail', ['-r', 'web-1']);
    expect((await snapshotHost(stack)).jails).toEqual([]);

    const restarted = Date.now();
    await stack.startDaemon();
    const status = await waitForStatus(
      stack,
      head,
      (s) => Date.parse(s.updatedAt) >= restarted - 1_000,
      180_000,
    );
    expect(status.result).toBe('Failed');
    expect(status.reason).toBe('JailsFailed');
    expect(status.failedStep).toMatch(/:web-0$/);
    expect(status.jails.map((j) => [j.name, j.state])).toEqual([
      ['web-0', 'failed'],
      ['web-1', 'running'],
    ]);
    const host = await snapshotHost(stack);
    expect(host.processRoots).toEqual(['web-1']);
    const address = status.jails[1]!.addresses![0]!.split('/')[0]!;
    const page = await waitFor(
      `web-1 to answer on ${address}`,
      async () => {
        const response = await fetch(`http://${address}:8080/index.html`, {
          signal: AbortSignal.timeout(2_000),
        });
        return response.status;
      },
      30_000,
      500,
    );
    expect(page).toBe(200);
  }, 240_000);
});
