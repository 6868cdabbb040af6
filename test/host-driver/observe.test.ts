// SPDX-License-Identifier: BSD-2-Clause
// observeHost: the command count does not grow with jails, Stockade's objects are recognised by
// their marks and rebuilt from their records, and everything else is reported as foreign.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  encodeRecord,
  markProperties,
  NATIVE_PROPERTIES,
  RECORD_JAIL,
} from '../../src/host/marks.js';
import { observeHost } from '../../src/host/observe.js';
import type { JailNode } from '../../src/topology/types.js';
import { fakeHost, jlsJson, type Replies } from './fake-host.js';

const ROOT = 'tank/stockade';
const JLS = 'jls --libxo json -d -n jid name path host.hostname vnet dying';
const LIST = `zfs list -H -o name,origin,mountpoint -t filesystem,snapshot -r ${ROOT}`;
const GET = `zfs get -H -p -o name,property,value,source -r ${[...markProperties(), ...NATIVE_PROPERTIES].join(',')} ${ROOT}`;

function jailSpec(i: number): JailNode {
  const name = `web-${i}`;
  return {
    name,
    manifest: 'web',
    replica: i,
    dataset: `${ROOT}/jails/${name}`,
    path: `/stockade/jails/${name}`,
    image: `${ROOT}/images/web-1a2b3c4d@ready`,
    hostname: name,
    vnet: true,
    params: { 'allow.raw_sockets': 'false' },
    command: ['/usr/local/bin/app', '--port', '8080'],
    env: { MODE: 'prod' },
    interfaces: [
      {
        network: 'frontend',
        mode: 'vnet',
        epair: `se${String(i).padStart(9, '0')}a`,
        netif: 'sb1a2b3c4d',
        address: `10.77.${Math.floor(i / 250)}.${(i % 250) + 2}/16`,
        gateway: '10.77.0.1',
        description: `stockade:jail:${name}:frontend`,
      },
    ],
    mounts: [
      {
        volume: 'data',
        source: '/stockade/volumes/data',
        target: `/stockade/jails/${name}/data`,
        readonly: true,
      },
    ],
    files: [{ path: '/etc/motd', content: '', mode: 0o644, hash: 'abcd' }],
    rctl: [],
    cpuset: '0-1',
    dependsOn: [],
    specHash: 'ffff0000',
    running: false,
    selfHeal: true,
    labels: {},
  };
}

/** Tool output of a host running `n` Stockade jails, one foreign jail, dataset and interface. */
function hostWith(n: number): Replies {
  const specs = Array.from({ length: n }, (_, i) => jailSpec(i));
  const list = [
    `${ROOT}\t-\t/stockade`,
    `${ROOT}/jails\t-\t/stockade/jails`,
    `${ROOT}/images/web-1a2b3c4d\t${ROOT}/releases/14.2-RELEASE@base\t/stockade/images/web-1a2b3c4d`,
    `${ROOT}/images/web-1a2b3c4d@ready\t-\t-`,
    `${ROOT}/handmade\t-\t/stockade/handmade`,
    ...specs.flatMap((s) => [`${s.dataset}\t${s.image}\t${s.path}`, `${s.dataset}@c-0001\t-\t-`]),
  ];
  const get = [
    `${ROOT}\tstockade:managed\ttrue\tlocal`,
    `${ROOT}\tstockade:role\troot\tlocal`,
    `${ROOT}/jails\tstockade:managed\ttrue\tlocal`,
    `${ROOT}/jails\tstockade:role\troot\tlocal`,
    `${ROOT}/images/web-1a2b3c4d\tstockade:managed\ttrue\tlocal`,
    `${ROOT}/images/web-1a2b3c4d\tstockade:role\timage\tlocal`,
    // Inherited from the root: a hand-made dataset below it is still foreign.
    `${ROOT}/handmade\tstockade:managed\ttrue\tinherited from ${ROOT}`,
    ...specs.flatMap((s) => [
      `${s.dataset}\tstockade:managed\ttrue\tlocal`,
      `${s.dataset}\tstockade:role\tjail\tlocal`,
      `${s.dataset}\tstockade:image\tweb\tlocal`,
      `${s.dataset}\tstockade:jid\t${s.replica + 1}\tlocal`,
      `${s.dataset}\tquota\t1073741824\tlocal`,
      `${s.dataset}\tcompression\tlz4\tinherited from tank`,
      ...Object.entries(encodeRecord(RECORD_JAIL, s)).map(
        ([k, v]) => `${s.dataset}\t${k}\t${v}\tlocal`,
      ),
    ]),
  ];
  const jails = [
    ...specs.map((s) => ({ jid: s.replica + 1, name: s.name, path: s.path, vnet: true })),
    { jid: 9000, name: 'bastille-db', path: '/usr/local/bastille/jails/db/root' },
  ];
  const ifconfig = [
    'em0: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
    '\tinet 192.0.2.10 netmask 0xffffff00 broadcast 192.0.2.255',
    'sb1a2b3c4d: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500',
    '\tdescription: stockade:net:frontend',
    '\tinet 10.77.0.1 netmask 0xffff0000 broadcast 10.77.255.255',
    ...specs.flatMap((s) => [
      `${s.interfaces[0]?.epair}: flags=8963<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500`,
      `\tdescription: ${s.interfaces[0]?.description}`,
    ]),
  ];
  return {
    [JLS]: { stdout: jlsJson(jails) },
    [LIST]: { stdout: `${list.join('\n')}\n` },
    [GET]: { stdout: `${get.join('\n')}\n` },
    ifconfig: { stdout: `${ifconfig.join('\n')}\n` },
    rctl: {
      stdout: specs
        .map((s) => `jail:${s.name}:memoryuse:deny=536870912\n`)
        .concat('jail:bastille-db:maxproc:deny=10\n')
        .join(''),
    },
    'mount -p': {
      stdout: specs
        .map(
          (s) =>
            `${s.dataset}\t${s.path}\tzfs\trw\t0 0\n/stockade/volumes/data\t${s.path}/data\tnullfs\tro\t0 0\n`,
        )
        .join(''),
    },
    'pfctl -a stockade -v -s Anchors': { stdout: '  stockade/net-frontend\n  stockade/svc-web\n' },
    'pfctl -a stockade/net-frontend -s nat': {
      stdout: 'nat on em0 inet from 10.77.0.0/16 to any -> (em0) round-robin\n',
    },
    'pfctl -a stockade/svc-web -s rules': {
      stdout:
        'pass in quick on em0 inet proto tcp from any to <web> port = http flags S/SA keep state\n',
    },
    'pfctl -a stockade/svc-web -t web -T show': { stdout: '   10.77.0.3\n   10.77.0.2\n' },
  };
}

function recordPf(stateDir: string): void {
  const records = {
    anchors: {
      'stockade/net-frontend': {
        rules: ['nat on em0 inet from 10.77.0.0/16 to any -> (em0)'],
        printed: ['nat on em0 inet from 10.77.0.0/16 to any -> (em0) round-robin'],
      },
    },
    tables: { 'stockade/svc-web:web': { anchor: 'stockade/svc-web', table: 'web' } },
  };
  writeFileSync(join(stateDir, 'pf-anchors.json'), JSON.stringify(records));
}

describe('observeHost', () => {
  it('issues the same number of commands for 1 jail and for 200', async () => {
    const one = fakeHost(hostWith(1));
    const many = fakeHost(hostWith(200));
    recordPf(one.ctx.stateDir);
    recordPf(many.ctx.stateDir);

    const a = await observeHost(one.ctx);
    const b = await observeHost(many.ctx);

    expect(Object.keys(a.topology.jails)).toHaveLength(1);
    expect(Object.keys(b.topology.jails)).toHaveLength(200);
    expect(a.commands).toBe(b.commands);
    // 6 reads, the anchor list, two reads per anchor (2 anchors) and one per recorded table.
    expect(b.commands).toBe(12);
    expect(many.calls).toEqual(one.calls);
  });

  it('rebuilds a jail from its record and live facts', async () => {
    const host = fakeHost(hostWith(2));

    const observed = await observeHost(host.ctx);

    const jail = observed.topology.jails['web-1'];
    expect(jail).toEqual({
      ...jailSpec(1),
      jid: 2,
      running: true,
      rctl: [{ resource: 'memoryuse', action: 'deny', amount: '536870912' }],
    });
  });

  it('reports datasets with their local properties and marks, snapshots and origin', async () => {
    const host = fakeHost(hostWith(1));

    const { topology } = await observeHost(host.ctx);

    expect(topology.datasets[`${ROOT}/jails/web-0`]).toEqual({
      name: `${ROOT}/jails/web-0`,
      role: 'jail',
      origin: `${ROOT}/images/web-1a2b3c4d@ready`,
      properties: { quota: '1073741824' },
      marks: { 'stockade:managed': 'true', 'stockade:image': 'web' },
      snapshots: ['c-0001'],
    });
    expect(topology.datasets[`${ROOT}/images/web-1a2b3c4d`]?.snapshots).toEqual(['ready']);
  });

  it('reports foreign jails, datasets, interfaces and the host addresses, and never their rules', async () => {
    const host = fakeHost(hostWith(1));

    const observed = await observeHost(host.ctx);

    expect(observed.foreign).toEqual({
      jails: ['bastille-db'],
      datasets: [`${ROOT}/handmade`],
      interfaces: ['em0'],
      hostAddresses: ['192.0.2.10/24'],
    });
    expect(observed.topology.jails['bastille-db']).toBeUndefined();
    expect(observed.topology.netifs).toEqual({
      sb1a2b3c4d: {
        name: 'sb1a2b3c4d',
        kind: 'bridge',
        network: 'frontend',
        description: 'stockade:net:frontend',
        address: '10.77.0.1/16',
      },
    });
  });

  it('reports the loaded rules while pf still prints what it printed after loading', async () => {
    const host = fakeHost(hostWith(1));
    recordPf(host.ctx.stateDir);

    const { topology } = await observeHost(host.ctx);

    expect(topology.anchors).toEqual({
      'stockade/net-frontend': {
        path: 'stockade/net-frontend',
        rules: ['nat on em0 inet from 10.77.0.0/16 to any -> (em0)'],
      },
      'stockade/svc-web': {
        path: 'stockade/svc-web',
        rules: [
          'pass in quick on em0 inet proto tcp from any to <web> port = http flags S/SA keep state',
        ],
      },
    });
    expect(topology.tables).toEqual({
      'stockade/svc-web:web': {
        anchor: 'stockade/svc-web',
        name: 'web',
        addresses: ['10.77.0.2', '10.77.0.3'],
      },
    });
  });

  it('reports a stopped jail, its missing epair and an unmounted volume as they are', async () => {
    const replies = hostWith(1);
    replies[JLS] = { stdout: jlsJson([]) };
    replies['ifconfig'] = { stdout: '' };
    replies['mount -p'] = { stdout: '' };
    const host = fakeHost(replies);

    const { topology } = await observeHost(host.ctx);

    const jail = topology.jails['web-0'];
    expect(jail?.running).toBe(false);
    expect(jail?.jid).toBeUndefined();
    expect(jail?.interfaces).toEqual([]);
    expect(jail?.mounts).toEqual([]);
  });

  it('treats a missing root dataset as an empty host', async () => {
    const host = fakeHost({
      [JLS]: { stdout: jlsJson([]) },
      [LIST]: { stderr: `cannot open '${ROOT}': dataset does not exist\n`, exitCode: 1 },
      [GET]: { stderr: `cannot open '${ROOT}': dataset does not exist\n`, exitCode: 1 },
      'pfctl -a stockade -v -s Anchors': { stderr: "Anchor 'stockade' not found.\n", exitCode: 1 },
    });

    const observed = await observeHost(host.ctx);

    expect(observed.topology.datasets).toEqual({});
    expect(observed.topology.anchors).toEqual({});
    expect(observed.commands).toBe(7);
  });

  it('reads a host without RACCT or pf as having no rules or anchors', async () => {
    const replies = hostWith(1);
    replies['rctl'] = {
      stderr: 'rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n',
      exitCode: 1,
    };
    replies['pfctl -a stockade -v -s Anchors'] = {
      stderr: 'pfctl: /dev/pf: No such file or directory\n',
      exitCode: 1,
    };
    const host = fakeHost(replies);

    const { topology } = await observeHost(host.ctx);

    expect(topology.jails['web-0']?.rctl).toEqual([]);
    expect(topology.anchors).toEqual({});
  });

  it('fails on any other rctl error', async () => {
    const replies = hostWith(1);
    replies['rctl'] = { stderr: 'rctl: something else\n', exitCode: 1 };
    const host = fakeHost(replies);

    const err = await observeHost(host.ctx).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'HOST_COMMAND_FAILED',
      data: { stderrTail: 'rctl: something else' },
    });
  });
});
