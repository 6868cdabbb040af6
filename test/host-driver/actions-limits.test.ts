// SPDX-License-Identifier: BSD-2-Clause
// rctl reconciled as a set (B23), rctl -r only when rules exist (ESRCH), and cpuset resolved to
// a JID first because cpuset -j reads a number.

import { describe, expect, it } from 'vitest';

import { applyAction } from '../../src/host/actions.js';
import { fakeHost, noDataset, noJail } from './fake-host.js';

describe('rctl.set', () => {
  it('removes exactly the stale rules and adds the missing ones (B23)', async () => {
    const host = fakeHost({
      'rctl jail:web-0': {
        stdout: 'jail:web-0:nthr:deny=4\njail:web-0:nthr:log=4\njail:web-0:maxproc:deny=200\n',
      },
    });

    await applyAction(host.ctx, {
      type: 'rctl.set',
      jail: 'web-0',
      rules: [
        { resource: 'nthr', action: 'deny', amount: '8' },
        { resource: 'nthr', action: 'log', amount: '8' },
        { resource: 'maxproc', action: 'deny', amount: '200' },
      ],
    });

    expect(host.calls).toEqual([
      'rctl jail:web-0',
      'rctl -r jail:web-0:nthr:deny=4 jail:web-0:nthr:log=4',
      'rctl -a jail:web-0:nthr:deny=8 jail:web-0:nthr:log=8',
    ]);
  });

  it('only reads when the rules already match', async () => {
    const host = fakeHost({
      'rctl jail:web-0': { stdout: 'jail:web-0:memoryuse:deny=536870912\n' },
    });

    await applyAction(host.ctx, {
      type: 'rctl.set',
      jail: 'web-0',
      rules: [{ resource: 'memoryuse', action: 'deny', amount: '536870912' }],
    });

    expect(host.calls).toEqual(['rctl jail:web-0']);
  });
});

describe('rctl.clear', () => {
  it("removes the jail's rules only when there are any (rctl -r fails with ESRCH otherwise)", async () => {
    const host = fakeHost({
      'rctl jail:web-0': [{ stdout: 'jail:web-0:maxproc:deny=200\n' }, { stdout: '' }],
    });

    await applyAction(host.ctx, { type: 'rctl.clear', jail: 'web-0' });
    await applyAction(host.ctx, { type: 'rctl.clear', jail: 'web-0' });

    expect(host.calls).toEqual(['rctl jail:web-0', 'rctl -r jail:web-0', 'rctl jail:web-0']);
  });
});

describe('cpuset.set', () => {
  const GET_RECORD = `zfs get -H -p -o name,property,value,source stockade:jid,stockade:jail,${[1, 2, 3, 4, 5, 6, 7].map((i) => `stockade:jail.${i}`).join(',')} tank/stockade/jails/web-0`;

  it('resolves the JID, then sets the list by JID; then only reads', async () => {
    const host = fakeHost({
      'jls -j web-0 jid': { stdout: '7\n' },
      'cpuset -g -j 7': {
        stdout: 'jail 7 mask: 0, 1, 2, 3\njail 7 domain policy: first-touch mask: 0\n',
      },
      [GET_RECORD]: noDataset('tank/stockade/jails/web-0'),
    });

    await applyAction(host.ctx, { type: 'cpuset.set', jail: 'web-0', cpus: '0-1' });
    const first = [...host.calls];
    host.reset({
      'jls -j web-0 jid': { stdout: '7\n' },
      'cpuset -g -j 7': {
        stdout: 'jail 7 mask: 0, 1\njail 7 domain policy: first-touch mask: 0\n',
      },
      [GET_RECORD]: noDataset('tank/stockade/jails/web-0'),
    });
    await applyAction(host.ctx, { type: 'cpuset.set', jail: 'web-0', cpus: '0-1' });

    expect(first).toEqual(['jls -j web-0 jid', 'cpuset -g -j 7', 'cpuset -l 0-1 -j 7', GET_RECORD]);
    expect(host.calls).toEqual(['jls -j web-0 jid', 'cpuset -g -j 7', GET_RECORD]);
  });

  it('never passes a jail name to cpuset -j', async () => {
    const host = fakeHost({ 'jls -j web-0 jid': noJail('web-0') });

    const err = await applyAction(host.ctx, {
      type: 'cpuset.set',
      jail: 'web-0',
      cpus: '0-1',
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'HOST_STATE_UNEXPECTED', data: { jail: 'web-0' } });
    expect(host.calls).toEqual(['jls -j web-0 jid']);
  });
});

describe('cpuset.set all', () => {
  const DS = 'tank/stockade/jails/web-0';
  const GET_RECORD = `zfs get -H -p -o name,property,value,source stockade:jid,stockade:jail,${[1, 2, 3, 4, 5, 6, 7].map((i) => `stockade:jail.${i}`).join(',')} ${DS}`;
  const record = (cpuset: string | undefined): string =>
    `${DS}\tstockade:jail\t1|${JSON.stringify({ name: 'web-0', files: [], ...(cpuset === undefined ? {} : { cpuset }) })}\tlocal\n`;

  it('unpins a jail the record shows pinned, and drops the pin from the record', async () => {
    const host = fakeHost({
      'jls -j web-0 jid': { stdout: '7\n' },
      [GET_RECORD]: { stdout: record('0-1') },
    });

    await applyAction(host.ctx, { type: 'cpuset.set', jail: 'web-0', cpus: 'all' });

    expect(host.calls).toEqual([
      'jls -j web-0 jid',
      GET_RECORD,
      'cpuset -l all -j 7',
      GET_RECORD,
      `zfs set stockade:jail=1|{"name":"web-0","files":[],"running":false} ${DS}`,
    ]);
  });

  it('only reads when the jail was never pinned', async () => {
    const host = fakeHost({
      'jls -j web-0 jid': { stdout: '7\n' },
      [GET_RECORD]: { stdout: record(undefined) },
    });

    await applyAction(host.ctx, { type: 'cpuset.set', jail: 'web-0', cpus: 'all' });

    expect(host.calls).toEqual(['jls -j web-0 jid', GET_RECORD]);
  });
});
