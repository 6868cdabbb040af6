// SPDX-License-Identifier: BSD-2-Clause
// The HostDriver built from a node config: rollback points, snapshot listing and exec inside
// jails, through an injected runner.

import { describe, expect, it } from 'vitest';

import type { NodeConfig } from '../../src/config/types.js';
import { createHostDriver } from '../../src/host/driver.js';
import { fakeHost, noDataset, noJail, zfsGet } from './fake-host.js';

function config(stateDir: string): NodeConfig {
  return {
    name: 'node-1',
    labels: {},
    repository: {
      url: 'http://127.0.0.1:1/repo.git',
      branch: 'main',
      path: '.',
      statusBranch: 'stockade-status',
      allowForcePush: false,
    },
    pollInterval: 30,
    resyncInterval: 300,
    zfs: { root: 'tank/stockade', rollbackPoints: { keep: 5, maxAgeSeconds: 86400 } },
    pf: { externalInterface: 'em0', anchor: 'stockade' },
    releases: {},
    policy: {
      allowedParameters: [],
      allowedHostPaths: [],
      maxReplicas: 10,
      maxPruneRatio: 0.5,
      allowPruneAll: false,
    },
    selfHeal: true,
    stateDir,
    tools: {},
  };
}

describe('createHostDriver', () => {
  it('takes one atomic recursive snapshot of the datasets that lack it', async () => {
    const host = fakeHost({
      'zfs list -H -o name tank/stockade/jails@c-1': noDataset('tank/stockade/jails@c-1'),
      'zfs list -H -o name tank/stockade/volumes@c-1': noDataset('tank/stockade/volumes@c-1'),
    });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    await driver.snapshotRecursive(['tank/stockade/jails', 'tank/stockade/volumes'], 'c-1');

    expect(host.calls.at(-1)).toBe(
      'zfs snapshot -r tank/stockade/jails@c-1 tank/stockade/volumes@c-1',
    );
    expect(host.calls.filter((c) => c.startsWith('zfs snapshot'))).toHaveLength(1);
  });

  it('rolls back each dataset that has the snapshot, with -r and never -R', async () => {
    const host = fakeHost({
      'zfs list -H -o name,origin,mountpoint -t filesystem,snapshot -r tank/stockade/jails': {
        stdout:
          'tank/stockade/jails\t-\t/j\ntank/stockade/jails@c-1\t-\t-\ntank/stockade/jails/a\t-\t/j/a\ntank/stockade/jails/a@c-1\t-\t-\ntank/stockade/jails/b\t-\t/j/b\n',
      },
    });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    await driver.rollbackRecursive('tank/stockade/jails', 'c-1');

    expect(host.calls.slice(1)).toEqual([
      'zfs rollback -r tank/stockade/jails@c-1',
      'zfs rollback -r tank/stockade/jails/a@c-1',
    ]);
  });

  it('destroys a rollback point with destroy -r DATASET@SNAP only when it exists', async () => {
    const list =
      'zfs list -H -o name,origin,mountpoint -t filesystem,snapshot -r tank/stockade/jails';
    const host = fakeHost({
      [list]: [{ stdout: 'tank/stockade/jails@c-1\t-\t-\n' }, { stdout: '' }],
    });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    await driver.destroySnapshotRecursive('tank/stockade/jails', 'c-1');
    await driver.destroySnapshotRecursive('tank/stockade/jails', 'c-1');

    expect(host.calls).toEqual([list, 'zfs destroy -r tank/stockade/jails@c-1', list]);
  });

  it('lists snapshots of the dataset itself with creation seconds, oldest first', async () => {
    const host = fakeHost({
      'zfs get -H -p -o name,property,value,source -r creation tank/stockade/jails': {
        stdout: zfsGet([
          ['tank/stockade/jails', 'creation', '1718000000', '-'],
          ['tank/stockade/jails@c-2', 'creation', '1718040000', '-'],
          ['tank/stockade/jails@c-1', 'creation', '1718030000', '-'],
          ['tank/stockade/jails/a@c-1', 'creation', '1718030000', '-'],
        ]),
      },
    });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    const snapshots = await driver.listSnapshots('tank/stockade/jails');

    expect(snapshots).toEqual([
      { name: 'c-1', created: 1718030000 },
      { name: 'c-2', created: 1718040000 },
    ]);
  });

  it('execs in a running jail and returns a non-zero exit instead of throwing', async () => {
    const host = fakeHost({
      'jls -j web-0 jid': { stdout: '7\n' },
      'jexec web-0 /bin/sh -c exit 3': { stdout: '', stderr: 'x\n', exitCode: 3 },
    });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    const result = await driver.exec('web-0', ['/bin/sh', '-c', 'exit 3']);

    expect(result).toEqual({ exitCode: 3, stdout: '', stderr: 'x\n' });
  });

  it('refuses exec in a jail that is not running (jexec errors share exit code 1)', async () => {
    const host = fakeHost({ 'jls -j web-0 jid': noJail('web-0') });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    const err = await driver.exec('web-0', ['true']).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'HOST_STATE_UNEXPECTED', data: { jail: 'web-0' } });
    expect(host.calls).toEqual(['jls -j web-0 jid']);
  });

  it('applies a plan step through the dispatcher', async () => {
    const host = fakeHost({ 'rctl jail:web-0': { stdout: '' } });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    await driver.applyStep({
      id: 'rctl.set:web-0',
      action: {
        type: 'rctl.set',
        jail: 'web-0',
        rules: [{ resource: 'maxproc', action: 'deny', amount: '100' }],
      },
      target: 'web-0',
      resource: 'limits',
      symbol: '+',
      reason: { kind: 'new' },
      dependsOn: [],
      wave: 0,
      destructive: false,
    });

    expect(host.calls).toEqual(['rctl jail:web-0', 'rctl -a jail:web-0:maxproc:deny=100']);
  });
});

describe('volume.retain', () => {
  it('changes nothing on the host', async () => {
    const host = fakeHost({});
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    await driver.applyStep({
      id: 'volume.retain:data',
      action: { type: 'volume.retain', name: 'data', dataset: 'tank/stockade/volumes/data' },
      target: 'data',
      resource: 'volume',
      symbol: '~',
      reason: { kind: 'removed' },
      dependsOn: [],
      wave: 0,
      destructive: false,
    });

    expect(host.calls).toEqual([]);
  });
});
