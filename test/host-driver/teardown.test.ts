// SPDX-License-Identifier: BSD-2-Clause
// Jail teardown order (REFERENCE.md 5.3 and 12.1, B6, B9): stop, return and destroy interfaces,
// remove, confirm gone, unmount, then the dataset; resumed after a failure halfway.

import { describe, expect, it } from 'vitest';

import { encodeRecord, RECORD_JAIL } from '../../src/host/marks.js';
import { teardownJail } from '../../src/host/teardown.js';
import type { JailNode } from '../../src/topology/types.js';
import {
  fakeHost,
  jlsJson,
  noDataset,
  noInterface,
  noJail,
  zfsGet,
  type Replies,
} from './fake-host.js';

const DS = 'tank/stockade/jails/web-0';
const PATH = '/stockade/jails/web-0';
const SPEC: Partial<JailNode> = {
  name: 'web-0',
  path: PATH,
  interfaces: [
    {
      network: 'frontend',
      mode: 'vnet',
      epair: 'se000000001a',
      netif: 'sb1a2b3c4d',
      address: '10.77.0.2/24',
      description: 'stockade:jail:web-0:frontend',
    },
  ],
};
const FIND = 'jls --libxo json -d -j web-0 -n jid name path host.hostname vnet dying';
const GET_RECORD = `zfs get -H -p -o name,property,value,source stockade:jid,stockade:jail,${[1, 2, 3, 4, 5, 6, 7].map((i) => `stockade:jail.${i}`).join(',')} ${DS}`;
const PROBE = `jexec web-0 /bin/sh -c p=$(cat /var/run/stockade.pid 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null`;
const STOP =
  'jexec web-0 /bin/sh -c kill -TERM "$(cat /var/run/stockade.pid)" 2>/dev/null; rm -f /var/run/stockade.pid';
const GET_TREE = `zfs get -H -p -o name,property,value,source -r stockade:managed,mountpoint ${DS}`;
const RUNNING = { stdout: jlsJson([{ jid: 7, name: 'web-0', path: PATH, vnet: true }]) };
const RECORD = {
  stdout: zfsGet([
    ...Object.entries(encodeRecord(RECORD_JAIL, SPEC)).map(
      ([k, v]): [string, string, string, string] => [DS, k, v, 'local'],
    ),
    [DS, 'stockade:jid', '7', 'local'],
  ]),
};
const EPAIR = {
  stdout:
    'se000000001a: flags=8963<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tdescription: stockade:jail:web-0:frontend\n',
};
const TREE = {
  stdout: zfsGet([
    [DS, 'stockade:managed', 'true', 'local'],
    [DS, 'mountpoint', PATH, 'inherited from tank/stockade'],
  ]),
};

const MOUNTED = {
  stdout: `${DS}\t${PATH}\tzfs\trw\t0 0\n/stockade/volumes/data\t${PATH}/data\tnullfs\tro\t0 0\n`,
};

function runningHost(): Replies {
  return {
    [FIND]: [RUNNING, RUNNING, noJail('web-0')],
    [GET_RECORD]: RECORD,
    [PROBE]: { exitCode: 0 },
    'ifconfig se000000001a': EPAIR,
    'ifconfig se000000001b': noInterface('se000000001b'),
    'jls -j web-0 jid': { stdout: '7\n' },
    'mount -p': [MOUNTED, MOUNTED, MOUNTED, { stdout: `${DS}\t${PATH}\tzfs\trw\t0 0\n` }],
    [GET_TREE]: TREE,
    'zfs list -H -o name,origin -t filesystem -r tank': {
      stdout: `${DS}\ttank/stockade/images/web@ready\n`,
    },
  };
}

describe('teardownJail', () => {
  it('stops, returns and destroys the epair, removes, confirms, unmounts, then destroys', async () => {
    const host = fakeHost(runningHost());

    await teardownJail(host.ctx, 'web-0');

    expect(host.calls).toEqual([
      GET_RECORD,
      FIND,
      PROBE,
      STOP,
      'ifconfig se000000001a',
      'ifconfig se000000001b',
      'jls -j web-0 jid',
      'ifconfig se000000001b -vnet web-0',
      'ifconfig se000000001a destroy',
      FIND,
      GET_RECORD,
      'jail -q -r web-0',
      FIND,
      'ifconfig',
      'mount -p',
      'mount -p',
      'mount -p',
      `umount ${PATH}/data`,
      GET_TREE,
      'mount -p',
      'zfs list -H -o name,origin -t filesystem -r tank',
      `zfs destroy ${DS}`,
    ]);
  });

  it('drops the rctl rules of a jail that had them after it is gone, as they outlive it', async () => {
    const limited = { ...SPEC, rctl: [{ resource: 'maxproc', action: 'deny', amount: '32' }] };
    const replies = runningHost();
    const record = {
      stdout: zfsGet([
        ...Object.entries(encodeRecord(RECORD_JAIL, limited)).map(
          ([k, v]): [string, string, string, string] => [DS, k, v, 'local'],
        ),
        [DS, 'stockade:jid', '7', 'local'],
      ]),
    };
    replies[GET_RECORD] = record;
    replies['rctl jail:web-0'] = { stdout: 'jail:web-0:maxproc:deny=32\n' };
    const host = fakeHost(replies);

    await teardownJail(host.ctx, 'web-0');

    const removed = host.calls.indexOf('jail -q -r web-0');
    expect(removed).toBeGreaterThan(0);
    expect(host.calls.slice(removed + 1, removed + 6)).toEqual([
      FIND,
      'ifconfig',
      'mount -p',
      'rctl jail:web-0',
      'rctl -r jail:web-0',
    ]);
    expect(host.calls.at(-1)).toBe(`zfs destroy ${DS}`);
  });

  it('resumes after a failed unmount without repeating what was done', async () => {
    const replies = runningHost();
    replies[`umount ${PATH}/data`] = {
      stderr: `umount: unmount of ${PATH}/data failed: Device busy\n`,
      exitCode: 1,
    };
    const host = fakeHost(replies);

    const err = await teardownJail(host.ctx, 'web-0').catch((e: unknown) => e);
    host.reset({
      [FIND]: noJail('web-0'),
      [GET_RECORD]: RECORD,
      'ifconfig se000000001a': noInterface('se000000001a'),
      'mount -p': [MOUNTED, MOUNTED, MOUNTED, { stdout: '' }],
      [GET_TREE]: TREE,
      'zfs list -H -o name,origin -t filesystem -r tank': { stdout: '' },
    });
    await teardownJail(host.ctx, 'web-0');

    expect(err).toMatchObject({ code: 'HOST_COMMAND_FAILED' });
    expect(host.calls).toEqual([
      GET_RECORD,
      FIND,
      'ifconfig se000000001a',
      FIND,
      GET_RECORD,
      FIND,
      'ifconfig',
      'mount -p',
      'mount -p',
      'mount -p',
      `umount ${PATH}/data`,
      GET_TREE,
      'mount -p',
      'zfs list -H -o name,origin -t filesystem -r tank',
      `zfs destroy ${DS}`,
    ]);
  });

  it('does nothing but read on a jail that is fully gone', async () => {
    const host = fakeHost({
      [FIND]: noJail('web-0'),
      [GET_RECORD]: noDataset(DS),
      [GET_TREE]: noDataset(DS),
    });

    await teardownJail(host.ctx, 'web-0');

    expect(host.calls).toEqual([GET_RECORD, FIND, FIND, GET_RECORD, FIND, 'ifconfig', GET_TREE]);
  });
});
