// SPDX-License-Identifier: BSD-2-Clause
// A run asked to skip when nothing is new ends after the fetch without reading the host, and
// only when the fetched commit is the applied one and the last run on it ended well.
import { describe, expect, it } from 'vitest';

import { createEngine } from '../../src/run/engine.js';
import { fakeDeps, manifestFile } from './fakes.js';
import { tempDir } from './helpers.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

async function applied() {
  const dir = await tempDir();
  const fakes = fakeDeps(dir);
  fakes.git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
  const engine = createEngine(fakes.deps);
  const first = await engine.run();
  expect(first.result).toBe('Applied');
  return { ...fakes, engine, first, calls: () => fakes.host.calls.map((c) => c.method) };
}

describe('a run with skipIfApplied', () => {
  it('on the applied commit ends at the fetch, reads nothing and repeats the last report', async () => {
    const { engine, host, first } = await applied();
    const before = host.calls.length;

    const report = await engine.run({ skipIfApplied: true });

    expect(host.calls.slice(before)).toEqual([]);
    expect(report).toMatchObject({
      result: 'NoChange',
      reason: 'UpToDate',
      message: 'commit aaaaaaa is applied and nothing new was fetched; the host was not read',
      phase: 'fetch',
      applied: A,
      commit: { oid: A },
      errors: [],
    });
    expect(report.plan).toBeUndefined();
    expect(report.jails).toEqual(first.jails);
    expect(report.rollbackPoints).toEqual(first.rollbackPoints);
    // A second skip reads the skipped report and skips again.
    expect((await engine.run({ skipIfApplied: true })).phase).toBe('fetch');
    expect(host.calls.slice(before)).toEqual([]);
  });

  it('applies a new commit in full', async () => {
    const { engine, git, host } = await applied();
    git.push(B, { 'app.json': manifestFile([{ name: 'web' }, { name: 'api' }]) });

    const report = await engine.run({ skipIfApplied: true });

    expect(report).toMatchObject({ result: 'Applied', applied: B, phase: 'record' });
    expect(Object.keys(host.topology.jails).sort()).toEqual(['api-0', 'web-0']);
  });

  it('reads the host when the last run did not end well, at boot, or when asked to unpin', async () => {
    const { engine, git, calls } = await applied();

    git.unreachable = true;
    expect((await engine.run({ skipIfApplied: true })).reason).toBe('SourceUnavailable');
    git.unreachable = false;
    const afterFailure = calls().length;
    const recovered = await engine.run({ skipIfApplied: true });
    expect(recovered).toMatchObject({ result: 'NoChange', reason: 'UpToDate', phase: 'plan' });
    expect(calls().slice(afterFailure)).toEqual(['observe', 'listSnapshots']);

    const beforeBoot = calls().length;
    expect((await engine.run({ skipIfApplied: true, boot: true })).phase).toBe('plan');
    expect((await engine.run({ skipIfApplied: true, unpin: true })).phase).toBe('plan');
    expect(calls().slice(beforeBoot)).toEqual([
      'observe',
      'listSnapshots',
      'observe',
      'listSnapshots',
    ]);
    // After a full run that found nothing, a skipped one says the same, for the same status.
    expect(await engine.run({ skipIfApplied: true })).toMatchObject({
      phase: 'fetch',
      message: 'host matches the commit',
    });
  });

  it('leaves drift to the next full run, which corrects it', async () => {
    const { engine, host } = await applied();
    host.topology.jails['web-0']!.running = false;
    delete host.topology.jails['web-0']!.jid;

    const skipped = await engine.run({ skipIfApplied: true });
    expect(skipped.phase).toBe('fetch');
    expect(host.topology.jails['web-0']!.running).toBe(false);

    const full = await engine.run();
    expect(full).toMatchObject({ result: 'Applied', reason: 'DriftCorrected', applied: A });
    expect(host.topology.jails['web-0']!.running).toBe(true);
  });

  it('does not skip a commit whose drift was reported and left in place', async () => {
    const dir = await tempDir();
    const fakes = fakeDeps(dir);
    fakes.deps.config = { ...fakes.deps.config, selfHeal: false };
    fakes.git.push(A, { 'app.json': manifestFile([{ name: 'web' }]) });
    const engine = createEngine(fakes.deps);
    await engine.run();
    fakes.host.topology.jails['web-0']!.running = false;
    expect((await engine.run()).reason).toBe('DriftDetected');

    const again = await engine.run({ skipIfApplied: true });

    expect(again).toMatchObject({ result: 'NoChange', reason: 'DriftDetected', phase: 'plan' });
  });
});
