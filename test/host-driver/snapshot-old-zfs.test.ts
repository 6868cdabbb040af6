// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import type { NodeConfig } from '../../src/config/types.js';
import { createHostDriver } from '../../src/host/driver.js';
import { fakeHost, noDataset } from './fake-host.js';

/** zfs-fuse 0.7.0's answer to a snapshot command naming more than one FS@SNAP. */
const TOO_MANY = {
  stderr:
    'too many arguments\nusage:\n\tsnapshot [-r] [-o property=value] ... ' +
    '<filesystem@snapname|volume@snapname>\n',
  exitCode: 2,
};

const MISSING = {
  'zfs list -H -o name tank/stockade/jails@c-1': noDataset('tank/stockade/jails@c-1'),
  'zfs list -H -o name tank/stockade/volumes@c-1': noDataset('tank/stockade/volumes@c-1'),
};

function config(stateDir: string): NodeConfig {
  const fields = {
    zfs: { root: 'tank/stockade', rollbackPoints: { keep: 5, maxAgeSeconds: 86400 } },
    pf: { externalInterface: 'em0', anchor: 'stockade' },
    releases: {},
    stateDir,
    tools: {},
  };
  // The driver reads only these fields.
  return fields as unknown as NodeConfig;
}

describe('snapshotRecursive on old ZFS', () => {
  it('takes each tree with its own recursive snapshot when zfs takes one name per command', async () => {
    const host = fakeHost({
      ...MISSING,
      'zfs snapshot -r tank/stockade/jails@c-1 tank/stockade/volumes@c-1': TOO_MANY,
    });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    await driver.snapshotRecursive(['tank/stockade/jails', 'tank/stockade/volumes'], 'c-1');

    expect(host.calls.filter((c) => c.startsWith('zfs snapshot'))).toEqual([
      'zfs snapshot -r tank/stockade/jails@c-1 tank/stockade/volumes@c-1',
      'zfs snapshot -r tank/stockade/jails@c-1',
      'zfs snapshot -r tank/stockade/volumes@c-1',
    ]);
  });

  it('does not retry any other snapshot failure', async () => {
    const host = fakeHost({
      ...MISSING,
      'zfs snapshot -r tank/stockade/jails@c-1 tank/stockade/volumes@c-1': {
        stderr: "cannot create snapshot 'tank/stockade/jails@c-1': out of space\n",
        exitCode: 1,
      },
    });
    const driver = createHostDriver(config(host.ctx.stateDir), { runner: host.ctx.runner });

    await expect(
      driver.snapshotRecursive(['tank/stockade/jails', 'tank/stockade/volumes'], 'c-1'),
    ).rejects.toMatchObject({ code: 'HOST_COMMAND_FAILED' });
    expect(host.calls.filter((c) => c.startsWith('zfs snapshot'))).toHaveLength(1);
  });
});
