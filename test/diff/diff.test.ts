// SPDX-License-Identifier: BSD-2-Clause
// diffTopology: what changes and why (new, changed with field, removed, drift), replace
// against in-place update.

import { describe, expect, it } from 'vitest';

import { diffTopology } from '../../src/diff/diff.js';
import { image, jail, network, service } from '../plan/builders.js';
import { compile } from '../plan/fixtures.js';

const R = 'tank/stockade';
const docs = (web: object = {}) => [
  network('frontend', { cidr: '10.77.1.0/24' }),
  image('base'),
  jail('web', { networks: [{ name: 'frontend' }], ...web }),
];

describe('diffTopology', () => {
  it('lists nothing for identical topologies', () => {
    const topology = compile(docs());

    expect(diffTopology(topology, structuredClone(topology))).toEqual([]);
  });

  it('names every new object with the reason new, grouped by kind', () => {
    const desired = compile(docs());
    const empty = {
      ...desired,
      datasets: {},
      images: {},
      netifs: {},
      jails: {},
      anchors: {},
      tables: {},
    };

    const changes = diffTopology(desired, empty);

    expect(changes.map((c) => [c.object, c.op])).toEqual([
      ['dataset', 'create'],
      ['dataset', 'create'],
      ['image', 'create'],
      ['netif', 'create'],
      ['jail', 'create'],
    ]);
    expect(changes.map((c) => c.name)).toEqual([
      R,
      `${R}/releases/14.2-RELEASE`,
      expect.stringMatching(/^tank\/stockade\/images\/base-/),
      expect.stringMatching(/^sb/),
      'web-0',
    ]);
    expect(changes.every((c) => c.reasons[0]?.kind === 'new')).toBe(true);
  });

  it('replaces a jail on an immutable field and names the field, from and to', () => {
    const observed = compile(docs());
    const desired = compile(docs({ command: ['/bin/other'] }), observed);

    const changes = diffTopology(desired, observed);

    expect(changes).toEqual([
      {
        object: 'jail',
        name: 'web-0',
        op: 'replace',
        reasons: [
          { kind: 'changed', field: 'command', from: ['/usr/local/bin/serve'], to: ['/bin/other'] },
        ],
        desired: desired.jails['web-0'],
        observed: observed.jails['web-0'],
      },
    ]);
  });

  it('updates a jail in place on limits and says which updates it needs', () => {
    const observed = compile(docs());
    const desired = compile(docs({ resources: { maxproc: 10 } }), observed);

    const [change] = diffTopology(desired, observed);

    expect(change?.op).toBe('update');
    expect(change?.object === 'jail' && change.update).toEqual({
      files: false,
      hosts: false,
      rctl: true,
      cpuset: false,
      start: false,
    });
  });

  it('reports objects only on the host as removed, and table members as a table update', () => {
    const svc = service('web', { selector: { app: 'web' }, ports: [{ port: 80, hostPort: 80 }] });
    const observed = compile([...docs({ replicas: 2 }), svc]);
    const desired = compile([...docs(), svc], observed);

    const changes = diffTopology(desired, observed);

    const table = changes.find((c) => c.object === 'table');
    expect(
      changes.filter((c) => c.object === 'jail').map((c) => [c.name, c.op, c.reasons]),
    ).toEqual([
      ['web-0', 'update', [expect.objectContaining({ kind: 'changed', field: 'hosts' })]],
      ['web-1', 'destroy', [{ kind: 'removed' }]],
    ]);
    expect(table?.op).toBe('update');
    expect(table?.reasons).toEqual([
      {
        kind: 'changed',
        field: 'addresses',
        from: observed.tables['stockade/svc-web:svc_web']?.addresses,
        to: desired.tables['stockade/svc-web:svc_web']?.addresses,
      },
    ]);
    expect(changes.some((c) => c.object === 'anchor')).toBe(false);
  });

  it('calls an object missing from the host drift when it was applied', () => {
    const applied = compile(docs());
    const observed = structuredClone(applied);
    delete observed.jails['web-0'];

    const changes = diffTopology(applied, observed, { applied });

    expect(changes.map((c) => [c.name, c.op, c.reasons])).toEqual([
      ['web-0', 'create', [{ kind: 'drift', detail: 'missing on the host' }]],
    ]);
  });

  it('never destroys the root dataset', () => {
    const observed = compile(docs());
    const desired = { ...observed, root: 'other/stockade', datasets: {} };

    const changes = diffTopology(desired, observed);

    expect(changes.filter((c) => c.object === 'dataset')).toEqual([
      expect.objectContaining({ name: `${R}/releases/14.2-RELEASE`, op: 'destroy' }),
    ]);
  });
});
