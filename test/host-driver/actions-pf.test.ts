// SPDX-License-Identifier: BSD-2-Clause
// pf steps: dry run before load (B5), the last good rules kept on a refused load, only anchors
// under Stockade's parent (B4), tables replaced in one call, idempotence.

import { describe, expect, it } from 'vitest';

import { applyAction } from '../../src/host/actions.js';
import { readPfRecords } from '../../src/host/pf-records.js';
import { fakeHost } from './fake-host.js';

const ANCHOR = 'stockade/svc-web';
const RULES = ['rdr pass on em0 inet proto tcp from any to any port 80 -> <web> round-robin'];
const PRINTED = 'rdr pass on em0 inet proto tcp from any to any port = http -> <web> round-robin\n';

describe('pf.loadAnchor', () => {
  it('dry-runs, loads from stdin, records; the second run only reads', async () => {
    const host = fakeHost({ [`pfctl -a ${ANCHOR} -s nat`]: [{ stdout: '' }, { stdout: PRINTED }] });

    await applyAction(host.ctx, { type: 'pf.loadAnchor', anchor: ANCHOR, rules: RULES });
    const first = [...host.calls];
    const stdins = [...host.stdins];
    host.reset({ [`pfctl -a ${ANCHOR} -s nat`]: { stdout: PRINTED } });
    await applyAction(host.ctx, { type: 'pf.loadAnchor', anchor: ANCHOR, rules: RULES });

    expect(first).toEqual([
      `pfctl -a ${ANCHOR} -s nat`,
      `pfctl -a ${ANCHOR} -s rules`,
      `pfctl -n -a ${ANCHOR} -f -`,
      `pfctl -a ${ANCHOR} -f -`,
      `pfctl -a ${ANCHOR} -s nat`,
      `pfctl -a ${ANCHOR} -s rules`,
    ]);
    expect(stdins[2]).toBe(`${RULES[0]}\n`);
    expect(stdins[3]).toBe(`${RULES[0]}\n`);
    expect(host.calls).toEqual([`pfctl -a ${ANCHOR} -s nat`, `pfctl -a ${ANCHOR} -s rules`]);
    expect((await readPfRecords(host.ctx.stateDir)).anchors[ANCHOR]).toEqual({
      rules: RULES,
      printed: [PRINTED.trim()],
    });
  });

  it('refuses rules the dry run rejects, naming the line, and loads nothing (B5)', async () => {
    const bad = [
      'pass in on em0 proto tcp to port 80',
      'rdr pass on em0 proto tcp to port 203.0.113.9:3050 -> 10.77.0.2',
    ];
    const host = fakeHost({
      [`pfctl -n -a ${ANCHOR} -f -`]: { stderr: 'stdin:2: syntax error\n', exitCode: 1 },
    });

    const err = await applyAction(host.ctx, {
      type: 'pf.loadAnchor',
      anchor: ANCHOR,
      rules: bad,
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'PF_RULES_INVALID',
      data: { anchor: ANCHOR, line: 2, rule: bad[1], stderr: 'stdin:2: syntax error' },
    });
    expect(host.calls).not.toContain(`pfctl -a ${ANCHOR} -f -`);
    expect((await readPfRecords(host.ctx.stateDir)).anchors[ANCHOR]).toBeUndefined();
  });

  it('never touches the main ruleset or an anchor outside its parent (B4)', async () => {
    const host = fakeHost({});

    const outside = await applyAction(host.ctx, {
      type: 'pf.loadAnchor',
      anchor: 'other/web',
      rules: RULES,
    }).catch((e: unknown) => e);
    const main = await applyAction(host.ctx, {
      type: 'pf.loadAnchor',
      anchor: 'stockade',
      rules: RULES,
    }).catch((e: unknown) => e);
    const wildcard = await applyAction(host.ctx, {
      type: 'pf.flushAnchor',
      anchor: 'stockade/*',
    }).catch((e: unknown) => e);

    expect([outside, main, wildcard]).toMatchObject([
      { code: 'FOREIGN_OBJECT', data: { anchor: 'other/web' } },
      { code: 'FOREIGN_OBJECT', data: { anchor: 'stockade' } },
      { code: 'FOREIGN_OBJECT', data: { anchor: 'stockade/*' } },
    ]);
    expect(host.calls).toEqual([]);
  });
});

describe('pf.replaceTable and pf.killTable', () => {
  const SHOW = `pfctl -a ${ANCHOR} -t web -T show`;

  it('replaces the whole table in one call, then only reads', async () => {
    const host = fakeHost({ [SHOW]: { stdout: '   10.77.0.2\n' } });

    await applyAction(host.ctx, {
      type: 'pf.replaceTable',
      anchor: ANCHOR,
      table: 'web',
      addresses: ['10.77.0.3', '10.77.0.2'],
    });
    const first = [...host.calls];
    host.reset({ [SHOW]: { stdout: '   10.77.0.2\n   10.77.0.3\n' } });
    await applyAction(host.ctx, {
      type: 'pf.replaceTable',
      anchor: ANCHOR,
      table: 'web',
      addresses: ['10.77.0.3', '10.77.0.2'],
    });

    expect(first).toEqual([SHOW, `pfctl -a ${ANCHOR} -t web -T replace 10.77.0.2 10.77.0.3`]);
    expect(host.calls).toEqual([SHOW]);
    expect((await readPfRecords(host.ctx.stateDir)).tables).toEqual({
      [`${ANCHOR}:web`]: { anchor: ANCHOR, table: 'web' },
    });
  });

  it('kills an existing table and forgets it; a missing one needs nothing', async () => {
    const host = fakeHost({
      [SHOW]: [
        { stdout: '   10.77.0.2\n' },
        { stderr: 'pfctl: Table does not exist.\n', exitCode: 1 },
      ],
    });

    await applyAction(host.ctx, { type: 'pf.killTable', anchor: ANCHOR, table: 'web' });
    await applyAction(host.ctx, { type: 'pf.killTable', anchor: ANCHOR, table: 'web' });

    expect(host.calls).toEqual([SHOW, `pfctl -a ${ANCHOR} -t web -T kill`, SHOW]);
  });
});

describe('pf.flushAnchor', () => {
  it('flushes a listed anchor and skips one that is gone', async () => {
    const host = fakeHost({
      'pfctl -a stockade -v -s Anchors': [{ stdout: `  ${ANCHOR}\n` }, { stdout: '' }],
    });

    await applyAction(host.ctx, { type: 'pf.flushAnchor', anchor: ANCHOR });
    await applyAction(host.ctx, { type: 'pf.flushAnchor', anchor: ANCHOR });

    expect(host.calls).toEqual([
      'pfctl -a stockade -v -s Anchors',
      `pfctl -a ${ANCHOR} -F all`,
      'pfctl -a stockade -v -s Anchors',
    ]);
  });
});

describe('pf.loadAnchor on a fresh anchor', () => {
  it('loads when reading the never-loaded anchor fails', async () => {
    const host = fakeHost({
      [`pfctl -a ${ANCHOR} -s nat`]: [
        { stderr: 'pfctl: DIOCGETRULES: Invalid argument\n', exitCode: 1 },
        { stdout: PRINTED },
      ],
    });

    await applyAction(host.ctx, { type: 'pf.loadAnchor', anchor: ANCHOR, rules: RULES });

    expect(host.calls).toEqual([
      `pfctl -a ${ANCHOR} -s nat`,
      `pfctl -n -a ${ANCHOR} -f -`,
      `pfctl -a ${ANCHOR} -f -`,
      `pfctl -a ${ANCHOR} -s nat`,
      `pfctl -a ${ANCHOR} -s rules`,
    ]);
  });
});
