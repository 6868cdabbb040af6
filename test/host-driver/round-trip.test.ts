// SPDX-License-Identifier: BSD-2-Clause
// After the driver applies a jail, observing the host gives back every field the diff compares:
// the values the driver wrote with zfs are fed back as the host would print them, and the
// diff of desired against observed is empty.

import { describe, expect, it } from 'vitest';

import { diffTopology } from '../../src/diff/diff.js';
import { applyAction } from '../../src/host/actions.js';
import { markProperties, NATIVE_PROPERTIES } from '../../src/host/marks.js';
import { observeHost } from '../../src/host/observe.js';
import type { DatasetNode, JailNode, Topology } from '../../src/topology/types.js';
import { fakeHost, jlsJson, noDataset, noJail } from './fake-host.js';

const ROOT = 'tank/stockade';
const DS = `${ROOT}/jails/web-0`;
const PATH = '/stockade/jails/web-0';
const JAIL: JailNode = {
  name: 'web-0',
  manifest: 'web',
  replica: 0,
  dataset: DS,
  path: PATH,
  image: `${ROOT}/images/web-1a2b@ready`,
  hostname: 'web-0',
  vnet: true,
  params: { 'allow.raw_sockets': 'false' },
  command: ['/usr/local/bin/app', '--greeting', 'hello "world" $USER'],
  env: { MODE: 'prod', NOTE: 'naïve café' },
  interfaces: [
    {
      network: 'frontend',
      mode: 'vnet',
      epair: 'se000000001a',
      netif: 'sb1a2b3c4d',
      address: '10.77.0.2/24',
      gateway: '10.77.0.1',
      description: 'stockade:jail:web-0:frontend',
    },
  ],
  mounts: [
    { volume: 'data', source: '/stockade/volumes/data', target: `${PATH}/data`, readonly: true },
  ],
  files: [
    {
      path: '/etc/motd',
      content: Buffer.from('hi\n').toString('base64'),
      mode: 0o644,
      hash: '9a8b',
    },
  ],
  rctl: [{ resource: 'memoryuse', action: 'deny', amount: '536870912' }],
  cpuset: '0-1',
  dependsOn: [],
  specHash: 'c0ffee00',
  running: true,
  selfHeal: true,
  labels: { tier: 'web' },
};
const DATASET: DatasetNode = {
  name: DS,
  role: 'jail',
  origin: JAIL.image,
  properties: {},
  marks: {
    'stockade:managed': 'true',
    'stockade:image': JAIL.image,
    'stockade:spec': JAIL.specHash,
  },
  snapshots: [],
};

/** The local user properties the driver set on DS, from its `zfs clone -o` and `zfs set` calls. */
function writtenProperties(calls: string[]): Map<string, string> {
  const props = new Map<string, string>();
  for (const call of calls) {
    if (call.startsWith('zfs clone ')) {
      for (const match of call.matchAll(/-o ([^=\s]+)=(\S+)/g))
        props.set(match[1] ?? '', match[2] ?? '');
    }
    if (call.startsWith('zfs set ') && call.endsWith(` ${DS}`)) {
      const assignment = call.slice('zfs set '.length, -(DS.length + 1));
      const eq = assignment.indexOf('=');
      props.set(assignment.slice(0, eq), assignment.slice(eq + 1));
    }
  }
  return props;
}

describe('apply then observe', () => {
  it('observes what was applied, so the diff is empty', async () => {
    const find = 'jls --libxo json -d -j web-0 -n jid name path host.hostname vnet dying';
    const running = {
      stdout: jlsJson([{ jid: 7, name: 'web-0', path: PATH, hostname: 'web-0', vnet: true }]),
    };
    const apply = fakeHost({
      [`zfs get -H -p -o name,property,value,source stockade:managed,stockade:image,stockade:spec,stockade:role ${DS}`]:
        noDataset(DS),
      [find]: [noJail('web-0'), running],
    });

    await applyAction(apply.ctx, { type: 'dataset.clone', dataset: DATASET });
    await applyAction(apply.ctx, { type: 'jail.create', jail: JAIL });
    const props = writtenProperties(apply.calls);
    const get = [...props].map(([k, v]) => `${DS}\t${k}\t${v}\tlocal\n`).join('');
    const observe = fakeHost({
      'jls --libxo json -d -n jid name path host.hostname vnet dying': running,
      [`zfs list -H -o name,origin,mountpoint -t filesystem,snapshot -r ${ROOT}`]: {
        stdout: `${DS}\t${JAIL.image}\t${PATH}\n`,
      },
      [`zfs get -H -p -o name,property,value,source -r ${[...markProperties(), ...NATIVE_PROPERTIES].join(',')} ${ROOT}`]:
        {
          stdout: get,
        },
      ifconfig: {
        stdout:
          'se000000001a: flags=8963<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tdescription: stockade:jail:web-0:frontend\n',
      },
      rctl: { stdout: 'jail:web-0:memoryuse:deny=536870912\n' },
      'mount -p': { stdout: `/stockade/volumes/data\t${PATH}/data\tnullfs\tro\t0 0\n` },
    });
    const desired: Topology = {
      root: ROOT,
      datasets: { [DS]: DATASET },
      images: {},
      netifs: {},
      jails: { 'web-0': JAIL },
      anchors: {},
      tables: {},
      hosts: [],
    };

    const observed = await observeHost(observe.ctx);

    expect(diffTopology(desired, observed.topology)).toEqual([]);
    expect(observed.topology.jails['web-0']).toMatchObject({
      jid: 7,
      running: true,
      env: JAIL.env,
    });
    expect(observed.topology.datasets[DS]?.marks).toEqual(DATASET.marks);
  });
});
