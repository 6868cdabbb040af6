// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { existingTrees } from '../../src/run/rollback-point.js';
import { emptyTopology } from '../../src/run/undo.js';
import type { DatasetNode, ObservedHost } from '../../src/topology/types.js';

function observed(owned: string[], foreign: string[]): ObservedHost {
  const topology = emptyTopology('tank/stockade');
  for (const name of owned) {
    const node: DatasetNode = { name, role: 'volume', properties: {}, marks: {}, snapshots: [] };
    topology.datasets[name] = node;
  }
  return {
    topology,
    foreign: { jails: [], datasets: foreign, interfaces: [], hostAddresses: [] },
    commands: 0,
  };
}

describe('existingTrees', () => {
  it('finds the trees zfs create -p made as unmarked parents, as a real host observes them', () => {
    const host = observed(
      ['tank/stockade/jails/web-0', 'tank/stockade/volumes/logs'],
      ['tank/stockade', 'tank/stockade/jails', 'tank/stockade/volumes'],
    );
    expect(existingTrees(host, 'tank/stockade')).toEqual([
      'tank/stockade/jails',
      'tank/stockade/volumes',
    ]);
  });

  it('finds a tree that is owned, or only implied by an owned child', () => {
    expect(existingTrees(observed(['tank/stockade/jails'], []), 'tank/stockade')).toEqual([
      'tank/stockade/jails',
    ]);
    expect(existingTrees(observed(['tank/stockade/volumes/data'], []), 'tank/stockade')).toEqual([
      'tank/stockade/volumes',
    ]);
  });

  it('finds nothing on a fresh host, nor in a dataset whose name only starts like a tree', () => {
    expect(existingTrees(observed([], ['tank/stockade']), 'tank/stockade')).toEqual([]);
    expect(
      existingTrees(observed(['tank/stockade/jails-old/x'], ['tank/stockade']), 'tank/stockade'),
    ).toEqual([]);
  });
});
