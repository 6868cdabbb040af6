// SPDX-License-Identifier: BSD-2-Clause
// A run that dies at any phase, by an abort (SIGTERM) or an unexpected throw, leaves the host
// either untouched or rolled back, and the next run converges and reports what it found.
import { describe, expect, it } from 'vitest';

import { createEngine } from '../../src/run/engine.js';
import type { EngineDeps } from '../../src/run/deps.js';
import type { Phase } from '../../src/status/reasons.js';
import { fakeCompile, fakeDeps, fakeLoad, manifestFile, testConfig } from './fakes.js';
import { stable, tempDir } from './helpers.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

type Mode = 'abort' | 'throw';

/** What the crashing run reports (result, reason, phase it ended in), per phase and mode. */
const FIRST: Record<Phase, Record<Mode, [string, string, Phase?]>> = {
  // Any fetch failure means the repository cannot be reached.
  fetch: { abort: ['Failed', 'Aborted'], throw: ['Failed', 'SourceUnavailable'] },
  load: { abort: ['Failed', 'Aborted'], throw: ['Failed', 'InternalError'] },
  compile: { abort: ['Failed', 'Aborted'], throw: ['Failed', 'InternalError'] },
  observe: { abort: ['Failed', 'Aborted'], throw: ['Failed', 'InternalError'] },
  plan: { abort: ['Failed', 'Aborted'], throw: ['Failed', 'InternalError'] },
  'rollback-point': { abort: ['Failed', 'Aborted'], throw: ['RolledBack', 'InternalError'] },
  apply: { abort: ['Failed', 'Aborted'], throw: ['RolledBack', 'StepFailed'] },
  // A probe that throws is a failed probe; the gate probes again and the jail passes.
  health: { abort: ['Failed', 'Aborted'], throw: ['Applied', 'Applied', 'record'] },
  // Record is the last step: an abort during it lets it finish.
  record: { abort: ['Applied', 'Applied'], throw: ['Failed', 'InternalError'] },
};

/** Phases after which an aborted or crashed run leaves its journal for the next run. */
const LEAVES_JOURNAL: Record<Mode, Phase[]> = {
  abort: ['rollback-point', 'apply', 'health'],
  throw: ['record'],
};

async function crashAt(phase: Phase, mode: Mode) {
  const dir = await tempDir();
  const { deps, git, host, clock } = fakeDeps(dir);
  git.push(A, { 'app.json': manifestFile([{ name: 'web' }, { name: 'db' }]) });
  await createEngine(deps).run();
  git.push(B, {
    'app.json': manifestFile([
      { name: 'web', version: '2', health: { tcp: { port: 80 } } },
      { name: 'api' },
    ]),
  });

  const controller = new AbortController();
  let armed = true;
  const fire = (at: Phase) => {
    if (!armed || at !== phase) return;
    armed = false;
    if (mode === 'abort') controller.abort();
    else throw new TypeError(`boom in ${at}`);
  };
  const faulty: EngineDeps = {
    ...deps,
    source: {
      fetch: () => (fire('fetch'), git.fetch()),
      readTree: (oid) => (fire('load'), git.readTree(oid)),
      isAncestor: (a, d) => git.isAncestor(a, d),
      writeStatus: (f, m) => git.writeStatus(f, m),
    },
    compile: (m, c) => (fire('compile'), fakeCompile(m, c)),
    plan: (d, o, p) => (fire('plan'), deps.plan(d, o, p)),
    probe: async (jail, check) => (fire('health'), deps.probe(jail, check)),
  };
  host.beforeCall = (method) => {
    if (method === 'observe') fire('observe');
    if (method === 'snapshotRecursive') fire('rollback-point');
    if (method === 'listSnapshots' && host.calls.some((c) => c.method === 'snapshotRecursive'))
      fire('record');
  };
  host.beforeStep = (step) => {
    if (step.id === 'jail.create:api-0') fire('apply');
  };
  const previous = structuredClone(host.topology);

  const first = await createEngine(faulty).run({ signal: controller.signal });
  const journal = await createEngine(deps).store.readJournal();
  const afterFirst = structuredClone(host.topology);
  clock.ms += 60_000;
  const engine = createEngine(deps);
  const second = await engine.run();
  const journalAfter = await engine.store.readJournal();

  const loaded = fakeLoad(git.commits.get(B)!.files);
  if (!loaded.ok) throw new Error('fixture does not load');
  const want = fakeCompile(loaded.manifests, testConfig(dir));
  return { first, journal, afterFirst, previous, second, want, armed, host, journalAfter };
}

describe.each(['abort', 'throw'] as const)('a run interrupted by %s', (mode) => {
  it.each(Object.keys(FIRST) as Phase[])('in %s is repaired by the next run', async (phase) => {
    const { first, journal, afterFirst, previous, second, want, armed, host, journalAfter } =
      await crashAt(phase, mode);

    expect(armed).toBe(false);
    const [result, reason, ended = phase] = FIRST[phase][mode];
    expect([first.result, first.reason, first.phase]).toEqual([result, reason, ended]);
    if (LEAVES_JOURNAL[mode].includes(phase)) {
      expect(journal).toMatchObject({ commit: B, phase });
      expect(second.recovered).toMatchObject({ commit: B, phase });
    } else {
      expect(journal).toBeUndefined();
      expect(second.recovered).toBeUndefined();
    }
    // Before the rollback point, or after an undo, the host is exactly as commit A left it.
    const untouched = ['fetch', 'observe', 'load', 'compile', 'plan', 'rollback-point'].includes(
      phase,
    );
    if (first.result === 'RolledBack' || untouched) {
      expect(stable(afterFirst)).toEqual(stable(previous));
    }
    expect(second.result).toBe(
      first.result === 'Applied' || phase === 'record' ? 'NoChange' : 'Applied',
    );
    expect(second.applied).toBe(B);
    expect(stable(host.topology)).toEqual(want);
    expect(journalAfter).toBeUndefined();
  });
});
