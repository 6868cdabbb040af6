// SPDX-License-Identifier: BSD-2-Clause
// Jail lifecycle steps: jail -c parameters as argv (never a jail.conf), confirmation and the
// JID record, network setup inside the jail, the detached start command, and the JID fence on
// teardown (B7).

import { describe, expect, it } from 'vitest';

import { applyAction } from '../../src/host/actions.js';
import { jailParams } from '../../src/host/actions-jail.js';
import { encodeRecord, RECORD_JAIL } from '../../src/host/marks.js';
import type { JailNode } from '../../src/topology/types.js';
import { fakeHost, jlsJson, noDataset, noJail, zfsGet } from './fake-host.js';

const DS = 'tank/stockade/jails/web-0';
const JAIL: JailNode = {
  name: 'web-0',
  manifest: 'web',
  replica: 0,
  dataset: DS,
  path: '/stockade/jails/web-0',
  image: 'tank/stockade/images/web-1a2b@ready',
  hostname: 'web-0.example.org',
  vnet: true,
  params: { 'allow.raw_sockets': 'false', 'exec.start': '/bin/sh /etc/rc', securelevel: '2' },
  command: ['/usr/local/bin/app', '--name', "it's $HOME; rm -rf /"],
  env: { MODE: 'prod' },
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
  mounts: [],
  files: [],
  rctl: [],
  dependsOn: [],
  specHash: 'ffff',
  running: false,
  selfHeal: true,
  labels: {},
};
const FIND = 'jls --libxo json -d -j web-0 -n jid name path host.hostname vnet dying';
const RECORD_PROPS = [
  'stockade:jid',
  'stockade:jail',
  ...[1, 2, 3, 4, 5, 6, 7].map((i) => `stockade:jail.${i}`),
];
const GET_RECORD = `zfs get -H -p -o name,property,value,source ${RECORD_PROPS.join(',')} ${DS}`;
const RUNNING = {
  stdout: jlsJson([{ jid: 7, name: 'web-0', path: '/stockade/jails/web-0', vnet: true }]),
};

function recordRows(jail: JailNode, jid: number): string {
  const rows: [string, string, string, string][] = Object.entries(
    encodeRecord(RECORD_JAIL, { ...jail, running: false }),
  ).map(([k, v]) => [DS, k, v, 'local']);
  rows.push([DS, 'stockade:jid', String(jid), 'local']);
  return zfsGet(rows);
}

describe('jail.create', () => {
  it('passes every parameter as its own argv entry, skipping exec.* and reserved names', () => {
    expect(jailParams(JAIL)).toEqual([
      'name=web-0',
      'path=/stockade/jails/web-0',
      'host.hostname=web-0.example.org',
      'persist',
      'mount.devfs',
      'vnet',
      'vnet.interface=se000000001b',
      'allow.raw_sockets=false',
      'securelevel=2',
    ]);
  });

  it('creates, confirms with jls and records the JID; the second run only reads', async () => {
    const host = fakeHost({ [FIND]: [noJail('web-0'), RUNNING] });

    await applyAction(host.ctx, { type: 'jail.create', jail: JAIL });
    const first = [...host.calls];
    host.reset({ [FIND]: RUNNING, [GET_RECORD]: { stdout: recordRows(JAIL, 7) } });
    await applyAction(host.ctx, { type: 'jail.create', jail: JAIL });

    expect(first.slice(0, 3)).toEqual([FIND, `jail -q -c ${jailParams(JAIL).join(' ')}`, FIND]);
    expect(first.slice(3).every((c) => c.startsWith('zfs set stockade:'))).toBe(true);
    expect(first.at(-1)).toBe(`zfs set stockade:jid=7 ${DS}`);
    expect(host.calls).toEqual([FIND, GET_RECORD]);
  });

  it("adds a shared-mode address on Stockade's own loopback and passes ip4.addr", async () => {
    const shared: JailNode = {
      ...JAIL,
      vnet: false,
      interfaces: [
        {
          network: 'back',
          mode: 'shared',
          netif: 'sl0000aaaa',
          address: '127.0.77.5/24',
          description: 'stockade:jail:web-0:back',
        },
      ],
    };
    const host = fakeHost({
      [FIND]: [noJail('web-0'), RUNNING],
      'ifconfig sl0000aaaa': {
        stdout:
          'sl0000aaaa: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n\tdescription: stockade:net:back\n',
      },
    });

    await applyAction(host.ctx, { type: 'jail.create', jail: shared });

    expect(host.calls.slice(0, 4)).toEqual([
      FIND,
      'ifconfig sl0000aaaa',
      'ifconfig sl0000aaaa inet 127.0.77.5/32 alias',
      'jail -q -c name=web-0 path=/stockade/jails/web-0 host.hostname=web-0.example.org persist mount.devfs ip4.addr=127.0.77.5 allow.raw_sockets=false securelevel=2',
    ]);
  });

  it("refuses an address on an interface that is not Stockade's (B3)", async () => {
    const shared: JailNode = {
      ...JAIL,
      vnet: false,
      interfaces: [
        {
          network: 'x',
          mode: 'shared',
          netif: 'em0',
          address: '192.0.2.10/24',
          description: 'stockade:jail:web-0:x',
        },
      ],
    };
    const host = fakeHost({
      [FIND]: noJail('web-0'),
      'ifconfig em0': {
        stdout:
          'em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tinet 192.0.2.10 netmask 0xffffff00 broadcast 192.0.2.255\n',
      },
    });

    const err = await applyAction(host.ctx, { type: 'jail.create', jail: shared }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({ code: 'FOREIGN_OBJECT', data: { iface: 'em0' } });
    expect(host.calls.some((c) => c.startsWith('jail '))).toBe(false);
  });

  it('refuses when a jail of that name runs from another path (a foreign jail)', async () => {
    const host = fakeHost({
      [FIND]: {
        stdout: jlsJson([{ jid: 3, name: 'web-0', path: '/usr/local/bastille/jails/web-0/root' }]),
      },
    });

    const err = await applyAction(host.ctx, { type: 'jail.create', jail: JAIL }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'FOREIGN_OBJECT',
      data: { jail: 'web-0', path: '/usr/local/bastille/jails/web-0/root' },
    });
  });

  it('waits for a dying jail of the same name instead of creating (transient)', async () => {
    const host = fakeHost({
      [FIND]: { stdout: jlsJson([{ jid: 7, name: 'web-0', path: JAIL.path, dying: true }]) },
    });

    const err = await applyAction(host.ctx, { type: 'jail.create', jail: JAIL }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({ code: 'HOST_STATE_UNEXPECTED', kind: 'transient' });
  });
});

describe('jail.configureNetwork', () => {
  const iface = JAIL.interfaces[0]!;
  const SHOW = 'jexec web-0 /sbin/ifconfig se000000001b';
  const ROUTE = 'jexec web-0 /sbin/route -n get default';

  it('sets the address and default route inside the jail, then only reads', async () => {
    const host = fakeHost({
      [FIND]: RUNNING,
      [SHOW]: {
        stdout: 'se000000001b: flags=8842<BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n',
      },
      [ROUTE]: { stderr: 'route: route has not been found\n', exitCode: 1 },
    });

    await applyAction(host.ctx, { type: 'jail.configureNetwork', jail: 'web-0', iface });
    const first = [...host.calls];
    host.reset({
      [FIND]: RUNNING,
      [SHOW]: {
        stdout:
          'se000000001b: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tinet 10.77.0.2 netmask 0xffffff00 broadcast 10.77.0.255\n',
      },
      [ROUTE]: {
        stdout:
          '   route to: default\ndestination: default\n       mask: default\n    gateway: 10.77.0.1\n',
      },
    });
    await applyAction(host.ctx, { type: 'jail.configureNetwork', jail: 'web-0', iface });

    expect(first).toEqual([
      FIND,
      SHOW,
      'jexec web-0 /sbin/ifconfig se000000001b inet 10.77.0.2/24 up',
      ROUTE,
      'jexec web-0 /sbin/route add default 10.77.0.1',
    ]);
    expect(host.calls).toEqual([FIND, SHOW, ROUTE]);
  });
});

describe('jail.startCommand', () => {
  const PROBE = `jexec web-0 /bin/sh -c p=$(cat /var/run/stockade.pid 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null`;

  it('runs argv as positional parameters of a fixed script, with a clean env', async () => {
    const host = fakeHost({
      [FIND]: RUNNING,
      [PROBE]: { exitCode: 1 },
      [GET_RECORD]: noDataset(DS),
    });

    await applyAction(host.ctx, {
      type: 'jail.startCommand',
      jail: 'web-0',
      command: JAIL.command,
      env: { MODE: 'prod' },
    });

    expect(host.calls).toEqual([
      FIND,
      PROBE,
      [
        'jexec web-0 /usr/bin/env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin MODE=prod',
        '/bin/sh -c "$@" </dev/null >>/var/log/stockade.out 2>&1 & echo $! >/var/run/stockade.pid',
        "stockade /usr/local/bin/app --name it's $HOME; rm -rf /",
      ].join(' '),
      GET_RECORD,
    ]);
  });

  it('does not start a second copy while the first is alive', async () => {
    const host = fakeHost({
      [FIND]: RUNNING,
      [PROBE]: { exitCode: 0 },
      [GET_RECORD]: { stdout: recordRows(JAIL, 7) },
    });

    await applyAction(host.ctx, {
      type: 'jail.startCommand',
      jail: 'web-0',
      command: JAIL.command,
      env: { MODE: 'prod' },
    });

    expect(host.calls).toEqual([FIND, PROBE, GET_RECORD]);
  });
});

describe('jail.stop and jail.remove', () => {
  it('stops the command of the instance it started, and does nothing once stopped', async () => {
    const PROBE = `jexec web-0 /bin/sh -c p=$(cat /var/run/stockade.pid 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null`;
    const host = fakeHost({ [FIND]: RUNNING, [PROBE]: { exitCode: 0 } });

    await applyAction(host.ctx, { type: 'jail.stop', jail: 'web-0', jid: 7 });
    const first = [...host.calls];
    host.reset({ [FIND]: RUNNING, [PROBE]: { exitCode: 1 } });
    await applyAction(host.ctx, { type: 'jail.stop', jail: 'web-0', jid: 7 });

    expect(first).toEqual([
      FIND,
      PROBE,
      'jexec web-0 /bin/sh -c kill -TERM "$(cat /var/run/stockade.pid)" 2>/dev/null; rm -f /var/run/stockade.pid',
    ]);
    expect(host.calls).toEqual([FIND, PROBE]);
  });

  it('removes only after the JID check, then confirms it is gone (and waits out dying)', async () => {
    const host = fakeHost({
      [FIND]: [
        RUNNING,
        { stdout: jlsJson([{ jid: 7, name: 'web-0', path: JAIL.path, dying: true }]) },
        noJail('web-0'),
      ],
      [GET_RECORD]: { stdout: recordRows(JAIL, 7) },
      // jail -r of a jail made from command-line parameters leaves its devfs mounted.
      'mount -p': {
        stdout: `${DS}\t${JAIL.path}\tzfs\trw\t0 0\ndevfs\t${JAIL.path}/dev\tdevfs\trw\t0 0\n`,
      },
    });

    await applyAction(host.ctx, { type: 'jail.remove', jail: 'web-0', jid: 7 });
    const first = [...host.calls];
    host.reset({ [FIND]: noJail('web-0'), [GET_RECORD]: { stdout: recordRows(JAIL, 7) } });
    await applyAction(host.ctx, { type: 'jail.remove', jail: 'web-0', jid: 7 });

    expect(first).toEqual([
      FIND,
      GET_RECORD,
      'jail -q -r web-0',
      FIND,
      FIND,
      'ifconfig',
      'mount -p',
      'umount /stockade/jails/web-0/dev',
    ]);
    expect(host.calls).toEqual([FIND, GET_RECORD, FIND, 'ifconfig', 'mount -p']);
  });

  it('destroys epairs of the jail left on the host, both ends at once (B11)', async () => {
    const listing = [
      'se000000009a: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500',
      '\tdescription: stockade:jail:web-0:frontend',
      'se000000009b: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500',
      '\tdescription: stockade:jail:web-0:frontend',
      'se000000008a: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500',
      '\tdescription: stockade:jail:web-00:frontend',
      '',
    ].join('\n');
    const host = fakeHost({
      [FIND]: noJail('web-0'),
      [GET_RECORD]: { stdout: recordRows(JAIL, 7) },
      ifconfig: { stdout: listing },
    });

    await applyAction(host.ctx, { type: 'jail.remove', jail: 'web-0', jid: 7 });

    expect(host.calls).toEqual([
      FIND,
      GET_RECORD,
      FIND,
      'ifconfig',
      'ifconfig se000000009a destroy',
      'mount -p',
    ]);
  });

  it('never tears down a newer instance of the same name (B7)', async () => {
    const newer = { stdout: jlsJson([{ jid: 12, name: 'web-0', path: JAIL.path }]) };
    const host = fakeHost({ [FIND]: newer, [GET_RECORD]: { stdout: recordRows(JAIL, 12) } });

    const remove = await applyAction(host.ctx, {
      type: 'jail.remove',
      jail: 'web-0',
      jid: 7,
    }).catch((e: unknown) => e);
    const stop = await applyAction(host.ctx, { type: 'jail.stop', jail: 'web-0', jid: 7 }).catch(
      (e: unknown) => e,
    );

    expect(remove).toMatchObject({
      code: 'JAIL_INSTANCE_CHANGED',
      data: { jail: 'web-0', expectedJid: 7, runningJid: 12 },
    });
    expect(stop).toMatchObject({ code: 'JAIL_INSTANCE_CHANGED' });
    expect(host.calls.some((c) => c.startsWith('jail -q -r') || c.includes('kill -TERM'))).toBe(
      false,
    );
  });

  it('fences with the recorded JID when the step carries none', async () => {
    const host = fakeHost({
      [FIND]: { stdout: jlsJson([{ jid: 12, name: 'web-0', path: JAIL.path }]) },
      [GET_RECORD]: { stdout: recordRows(JAIL, 7) },
    });

    const err = await applyAction(host.ctx, { type: 'jail.remove', jail: 'web-0' }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'JAIL_INSTANCE_CHANGED',
      data: { expectedJid: 7, runningJid: 12 },
    });
  });

  it('refuses to remove a jail that has no Stockade record', async () => {
    const host = fakeHost({ [FIND]: RUNNING, [GET_RECORD]: noDataset(DS) });

    const err = await applyAction(host.ctx, { type: 'jail.remove', jail: 'web-0', jid: 7 }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({ code: 'FOREIGN_OBJECT' });
  });

  it('reports a jail that stays dying as transient', async () => {
    const dying = { stdout: jlsJson([{ jid: 7, name: 'web-0', path: JAIL.path, dying: true }]) };
    const host = fakeHost({ [FIND]: dying, [GET_RECORD]: { stdout: recordRows(JAIL, 7) } });

    const err = await applyAction(host.ctx, { type: 'jail.remove', jail: 'web-0', jid: 7 }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'HOST_STATE_UNEXPECTED',
      kind: 'transient',
      data: { detail: 'jail is still dying' },
    });
    expect(host.calls.filter((c) => c === FIND)).toHaveLength(11);
  });
});
