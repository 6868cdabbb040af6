// SPDX-License-Identifier: BSD-2-Clause
// Dataset steps: exact argv, idempotence (the second run only reads), the destroy guard against
// mounts (B1) and clones (B2, B24), the missing origin snapshot (B25) and foreign datasets.

import { describe, expect, it } from 'vitest';

import { applyAction } from '../../src/host/actions.js';
import type { DatasetNode } from '../../src/topology/types.js';
import { fakeHost, noDataset, zfsGet } from './fake-host.js';

const VOLUME: DatasetNode = {
  name: 'tank/stockade/volumes/data',
  role: 'volume',
  properties: { quota: '1073741824', compression: 'lz4' },
  marks: { 'stockade:spec': 'ab12' },
  snapshots: [],
  reclaimPolicy: 'Retain',
};
const PROPS = 'stockade:managed,quota,compression,stockade:spec,stockade:role,stockade:reclaim';
const GET_VOLUME = `zfs get -H -p -o name,property,value,source ${PROPS} tank/stockade/volumes/data`;

function volumeProps(overrides: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    'stockade:managed': 'true',
    quota: '1073741824',
    compression: 'lz4',
    'stockade:spec': 'ab12',
    'stockade:role': 'volume',
    'stockade:reclaim': 'Retain',
    ...overrides,
  };
  return zfsGet(
    Object.entries(values).map(([k, v]) => ['tank/stockade/volumes/data', k, v, 'local']),
  );
}

describe('dataset.create', () => {
  it('creates with -p and every property and mark as -o, then only reads', async () => {
    const host = fakeHost({ [GET_VOLUME]: noDataset(VOLUME.name) });

    await applyAction(host.ctx, { type: 'dataset.create', dataset: VOLUME });
    const first = [...host.calls];
    host.reset({ [GET_VOLUME]: { stdout: volumeProps() } });
    await applyAction(host.ctx, { type: 'dataset.create', dataset: VOLUME });

    expect(first).toEqual([
      GET_VOLUME,
      'zfs create -p -o quota=1073741824 -o compression=lz4 -o stockade:spec=ab12 -o stockade:managed=true -o stockade:role=volume -o stockade:reclaim=Retain tank/stockade/volumes/data',
    ]);
    expect(host.calls).toEqual([GET_VOLUME]);
  });

  it('sets only the properties that differ on an existing dataset, one per call', async () => {
    const host = fakeHost({
      [GET_VOLUME]: { stdout: volumeProps({ quota: '0', compression: 'off' }) },
    });

    await applyAction(host.ctx, { type: 'dataset.create', dataset: VOLUME });

    expect(host.calls).toEqual([
      GET_VOLUME,
      'zfs set quota=1073741824 tank/stockade/volumes/data',
      'zfs set compression=lz4 tank/stockade/volumes/data',
    ]);
  });

  it('refuses to adopt a dataset without the local managed mark', async () => {
    const inherited = zfsGet([
      ['tank/stockade/volumes/data', 'stockade:managed', 'true', 'inherited from tank/stockade'],
    ]);
    const host = fakeHost({ [GET_VOLUME]: { stdout: inherited } });

    const err = await applyAction(host.ctx, { type: 'dataset.create', dataset: VOLUME }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'FOREIGN_OBJECT',
      data: { dataset: 'tank/stockade/volumes/data' },
    });
    expect(host.calls).toEqual([GET_VOLUME]);
  });
});

describe('dataset.clone', () => {
  const JAIL: DatasetNode = {
    name: 'tank/stockade/jails/web-0',
    role: 'jail',
    origin: 'tank/stockade/images/web-1a2b@ready',
    properties: {},
    marks: {},
    snapshots: [],
  };
  const GET =
    'zfs get -H -p -o name,property,value,source stockade:managed,stockade:role tank/stockade/jails/web-0';

  it('clones from the origin snapshot after checking it exists', async () => {
    const host = fakeHost({ [GET]: noDataset(JAIL.name) });

    await applyAction(host.ctx, { type: 'dataset.clone', dataset: JAIL });

    expect(host.calls).toEqual([
      GET,
      'zfs list -H -o name tank/stockade/images/web-1a2b@ready',
      'zfs clone -p -o stockade:managed=true -o stockade:role=jail tank/stockade/images/web-1a2b@ready tank/stockade/jails/web-0',
    ]);
  });

  it('runs the clone again once when a parallel step created the missing parent first', async () => {
    const CLONE =
      'zfs clone -p -o stockade:managed=true -o stockade:role=jail tank/stockade/images/web-1a2b@ready tank/stockade/jails/web-0';
    const host = fakeHost({
      [GET]: noDataset(JAIL.name),
      [CLONE]: [
        { stderr: "cannot create 'tank/stockade/jails': dataset already exists\n", exitCode: 1 },
        { exitCode: 0 },
      ],
    });

    await applyAction(host.ctx, { type: 'dataset.clone', dataset: JAIL });

    expect(host.calls.filter((c) => c === CLONE)).toHaveLength(2);
  });

  it('does not retry when the clone itself already exists', async () => {
    const CLONE =
      'zfs clone -p -o stockade:managed=true -o stockade:role=jail tank/stockade/images/web-1a2b@ready tank/stockade/jails/web-0';
    const host = fakeHost({
      [GET]: noDataset(JAIL.name),
      [CLONE]: {
        stderr: "cannot create 'tank/stockade/jails/web-0': dataset already exists\n",
        exitCode: 1,
      },
    });

    const err = await applyAction(host.ctx, { type: 'dataset.clone', dataset: JAIL }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({ code: 'HOST_COMMAND_FAILED' });
    expect(host.calls.filter((c) => c === CLONE)).toHaveLength(1);
  });

  it('fails with one clear error naming the missing origin snapshot (B25)', async () => {
    const host = fakeHost({
      [GET]: noDataset(JAIL.name),
      'zfs list -H -o name tank/stockade/images/web-1a2b@ready': noDataset(
        'tank/stockade/images/web-1a2b@ready',
      ),
    });

    const err = await applyAction(host.ctx, { type: 'dataset.clone', dataset: JAIL }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'SNAPSHOT_MISSING',
      data: {
        dataset: 'tank/stockade/jails/web-0',
        snapshot: 'tank/stockade/images/web-1a2b@ready',
      },
    });
    expect(host.calls.some((c) => c.startsWith('zfs clone'))).toBe(false);
  });
});

describe('dataset.snapshot', () => {
  it('snapshots once and only checks the second time', async () => {
    const host = fakeHost({
      'zfs list -H -o name tank/stockade/jails/web-0@c-1': noDataset(
        'tank/stockade/jails/web-0@c-1',
      ),
    });

    await applyAction(host.ctx, {
      type: 'dataset.snapshot',
      name: 'tank/stockade/jails/web-0',
      snapshot: 'c-1',
    });
    const first = [...host.calls];
    host.reset({});
    await applyAction(host.ctx, {
      type: 'dataset.snapshot',
      name: 'tank/stockade/jails/web-0',
      snapshot: 'c-1',
    });

    expect(first).toEqual([
      'zfs list -H -o name tank/stockade/jails/web-0@c-1',
      'zfs snapshot tank/stockade/jails/web-0@c-1',
    ]);
    expect(host.calls).toEqual(['zfs list -H -o name tank/stockade/jails/web-0@c-1']);
  });
});

describe('dataset.destroy', () => {
  const NAME = 'tank/stockade/jails/web-0';
  const GET = `zfs get -H -p -o name,property,value,source -r stockade:managed,mountpoint ${NAME}`;
  const POOL = 'zfs list -H -o name,origin -t filesystem -r tank';
  const tree = zfsGet([
    [NAME, 'stockade:managed', 'true', 'local'],
    [NAME, 'mountpoint', '/stockade/jails/web-0', 'inherited from tank/stockade'],
    [`${NAME}@c-1`, 'stockade:managed', 'true', 'inherited from tank/stockade/jails/web-0'],
    [`${NAME}@c-1`, 'mountpoint', '-', '-'],
  ]);

  it('destroys with -r (its own snapshots), never -R, and is a single read once gone', async () => {
    const host = fakeHost({
      [GET]: { stdout: tree },
      'mount -p': { stdout: `${NAME}\t/stockade/jails/web-0\tzfs\trw\t0 0\n` },
      [POOL]: { stdout: `tank\t-\n${NAME}\ttank/stockade/images/web@ready\n` },
    });

    await applyAction(host.ctx, { type: 'dataset.destroy', name: NAME });
    const first = [...host.calls];
    host.reset({ [GET]: noDataset(NAME) });
    await applyAction(host.ctx, { type: 'dataset.destroy', name: NAME });

    expect(first).toEqual([GET, 'mount -p', POOL, `zfs destroy -r ${NAME}`]);
    expect(host.calls).toEqual([GET]);
  });

  it('refuses while a nullfs mount sits inside the dataset (B1)', async () => {
    const host = fakeHost({
      [GET]: { stdout: tree },
      'mount -p': {
        stdout: '/stockade/volumes/data\t/stockade/jails/web-0/data\tnullfs\trw\t0 0\n',
      },
    });

    const err = await applyAction(host.ctx, { type: 'dataset.destroy', name: NAME }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'DATASET_IN_USE',
      data: { dataset: NAME, mounts: ['/stockade/jails/web-0/data'] },
    });
    expect(host.calls.some((c) => c.startsWith('zfs destroy'))).toBe(false);
  });

  it('refuses a volume that is still mounted into a jail (source inside the dataset)', async () => {
    const vol = 'tank/stockade/volumes/data';
    const host = fakeHost({
      [`zfs get -H -p -o name,property,value,source -r stockade:managed,mountpoint ${vol}`]: {
        stdout: zfsGet([
          [vol, 'stockade:managed', 'true', 'local'],
          [vol, 'mountpoint', '/stockade/volumes/data', 'inherited from tank/stockade'],
        ]),
      },
      'mount -p': {
        stdout: '/stockade/volumes/data\t/stockade/jails/web-0/data\tnullfs\tro\t0 0\n',
      },
    });

    const err = await applyAction(host.ctx, { type: 'dataset.destroy', name: vol }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'DATASET_IN_USE',
      data: { mounts: ['/stockade/jails/web-0/data'] },
    });
  });

  it('refuses while a jail elsewhere is a clone of one of its snapshots (B2, B24)', async () => {
    const image = 'tank/stockade/images/web-1a2b';
    const host = fakeHost({
      [`zfs get -H -p -o name,property,value,source -r stockade:managed,mountpoint ${image}`]: {
        stdout: zfsGet([
          [image, 'stockade:managed', 'true', 'local'],
          [image, 'mountpoint', '/stockade/images/web-1a2b', 'inherited from tank/stockade'],
          [`${image}@ready`, 'mountpoint', '-', '-'],
        ]),
      },
      [POOL]: {
        stdout: `tank\t-\n${image}\ttank/stockade/releases/14.2-RELEASE@base\ttank/stockade/jails/a\t${image}@ready\ntank/stockade/jails/a\t${image}@ready\ntank/stockade/jails/b\t${image}@ready\n`,
      },
    });

    const err = await applyAction(host.ctx, { type: 'dataset.destroy', name: image }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'DATASET_HAS_CLONES',
      data: { dataset: image, clones: ['tank/stockade/jails/a', 'tank/stockade/jails/b'] },
    });
    expect(host.calls.some((c) => c.startsWith('zfs destroy'))).toBe(false);
  });

  it("refuses a tree with a child that is not marked as Stockade's", async () => {
    const host = fakeHost({
      [GET]: {
        stdout: zfsGet([
          [NAME, 'stockade:managed', 'true', 'local'],
          [`${NAME}/backup`, 'stockade:managed', 'true', `inherited from ${NAME}`],
        ]),
      },
    });

    const err = await applyAction(host.ctx, { type: 'dataset.destroy', name: NAME }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({ code: 'FOREIGN_OBJECT', data: { foreign: [`${NAME}/backup`] } });
  });
});
