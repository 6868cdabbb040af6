// SPDX-License-Identifier: BSD-2-Clause
// A run report and a topology with a network, a volume and a service, for the status tests.

import type { RunReport } from '../../src/run/report.js';
import type { JailNode, Topology } from '../../src/topology/types.js';

const OID = '1a2b3c4d5e6f1a2b3c4d5e6f1a2b3c4d5e6f1a2b';

function jail(name: string, address: string, mounts: JailNode['mounts']): JailNode {
  return {
    name,
    manifest: name.replace(/-\d+$/, ''),
    replica: 0,
    dataset: `tank/stockade/jails/${name}`,
    path: `/tank/stockade/jails/${name}`,
    image: 'tank/stockade/images/base@ready',
    hostname: name,
    vnet: true,
    params: {},
    command: ['/bin/run'],
    env: {},
    interfaces: [
      {
        network: 'front|end',
        mode: 'vnet',
        epair: 'sk1a',
        netif: 'skbr1',
        address: `${address}/24`,
        description: `stockade:jail:${name}:front|end`,
      },
    ],
    mounts,
    files: [],
    rctl: [],
    dependsOn: [],
    specHash: 'h',
    running: true,
    selfHeal: true,
    labels: {},
  };
}

/** The topology of the node in the snapshots. */
export function topology(): Topology {
  return {
    root: 'tank/stockade',
    datasets: {
      'tank/stockade/volumes/pg"data': {
        name: 'tank/stockade/volumes/pg"data',
        role: 'volume',
        properties: {},
        marks: {},
        snapshots: [],
      },
    },
    images: {},
    netifs: {
      skbr1: {
        name: 'skbr1',
        kind: 'bridge',
        network: 'front|end',
        description: 'stockade:net:front|end',
      },
    },
    jails: {
      'web-0': jail('web-0', '10.77.1.10', []),
      'db-0': jail('db-0', '10.77.1.11', [
        {
          volume: 'pg"data',
          source: '/v',
          target: '/tank/stockade/jails/db-0/var/db',
          readonly: false,
        },
      ]),
    },
    anchors: {},
    tables: {},
    hosts: [
      { name: 'web', addresses: ['10.77.1.10'] },
      { name: 'web-0', addresses: ['10.77.1.10'] },
    ],
  };
}

/** A run that applied OID. */
export function appliedReport(over: Partial<RunReport> = {}): RunReport {
  return {
    result: 'Applied',
    reason: 'Applied',
    message: 'commit 1a2b3c4 applied in 9 step(s)',
    commit: { oid: OID, message: 'Add db\n\nbody', author: 'dev', timestamp: 1 },
    applied: OID,
    pinned: false,
    phase: 'record',
    plan: { create: 2, change: 0, destroy: 0, replace: 0, steps: 9, warnings: [] },
    errors: [],
    warnings: [],
    jails: [
      { name: 'db-0', manifest: 'db', state: 'running', jid: 4, health: 'none' },
      {
        name: 'web-0',
        manifest: 'web',
        state: 'running',
        jid: 5,
        health: 'healthy',
        addresses: ['10.77.1.10/24'],
      },
    ],
    rollbackPoint: 'c-1a2b3c4d5e6f-20261204T120000Z',
    rollbackPoints: ['c-1a2b3c4d5e6f-20261204T120000Z'],
    startedAt: '2026-12-04T12:00:00.000Z',
    finishedAt: '2026-12-04T12:00:05.000Z',
    durationMs: 5000,
    ...over,
  };
}

export const APPLIED = { commit: { oid: OID, message: 'Add db\n\nbody' }, topology: topology() };
