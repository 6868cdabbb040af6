// SPDX-License-Identifier: BSD-2-Clause
// Node placement: label selectors alone, or rendezvous hashing over declared Node documents so
// that every node computes the same assignment.

import { describe, expect, it } from 'vitest';

import { compileTopology } from '../../src/topology/compile.js';
import { image, jail, manifestSet, node, nodeConfig } from '../plan/builders.js';

describe('placement', () => {
  it('runs a jail here when its nodeSelector matches the node labels', () => {
    const set = manifestSet([
      image('base'),
      jail('web', { nodeSelector: { zone: 'a' } }),
      jail('db', { nodeSelector: { zone: 'b' } }),
    ]);

    const topology = compileTopology(set, nodeConfig({ labels: { zone: 'a' } }));

    expect(Object.keys(topology.jails)).toEqual(['web-0']);
  });

  it('places each replica on exactly one declared node, the same from every node', () => {
    const docs = [image('base'), jail('web', { replicas: 12 }), node('n1'), node('n2'), node('n3')];
    const names = ['n1', 'n2', 'n3'];

    const perNode = names.map((name) =>
      Object.keys(compileTopology(manifestSet(docs), nodeConfig({ name })).jails),
    );

    const all = perNode.flat().sort();
    expect(all).toEqual(Array.from({ length: 12 }, (_, i) => `web-${i}`).sort());
    expect(new Set(all).size).toBe(12);
    expect(perNode.map((list) => list.length).every((n) => n > 0)).toBe(true);
    expect(
      Object.keys(compileTopology(manifestSet(docs), nodeConfig({ name: 'n1' })).jails),
    ).toEqual(perNode[0]);
  });

  it('moves only the replicas of a node that leaves', () => {
    const docs = [image('base'), jail('web', { replicas: 12 })];
    const three = [...docs, node('n1'), node('n2'), node('n3')];
    const two = [...docs, node('n1'), node('n2')];

    const before = Object.keys(
      compileTopology(manifestSet(three), nodeConfig({ name: 'n1' })).jails,
    );
    const after = Object.keys(compileTopology(manifestSet(two), nodeConfig({ name: 'n1' })).jails);

    expect(after).toEqual(expect.arrayContaining(before));
  });

  it('respects node labels and capacity', () => {
    const docs = [
      image('base'),
      jail('web', { replicas: 3, nodeSelector: { disk: 'ssd' } }),
      node('n1', { disk: 'ssd' }, 1),
      node('n2', { disk: 'ssd' }),
      node('n3'),
    ];

    const counts = ['n1', 'n2', 'n3'].map(
      (name) => Object.keys(compileTopology(manifestSet(docs), nodeConfig({ name })).jails).length,
    );

    expect(counts[0]).toBeLessThanOrEqual(1);
    expect(counts[2]).toBe(0);
    expect((counts[0] ?? 0) + (counts[1] ?? 0)).toBe(3);
  });

  it('runs nothing on a node that the Node documents do not declare', () => {
    const topology = compileTopology(
      manifestSet([image('base'), jail('web'), node('n1')]),
      nodeConfig({ name: 'elsewhere' }),
    );

    expect(topology.jails).toEqual({});
  });
});
