// SPDX-License-Identifier: BSD-2-Clause
// Network steps: kernel-allocated epairs renamed to planned names (B15), no leaked epair on a
// failed setup (B11), the jail end reclaimed before destroy (B6, B10), interface names within
// 15 bytes (B16) and refusal to touch interfaces without Stockade's description.

import { describe, expect, it } from 'vitest';

import { applyAction } from '../../src/host/actions.js';
import type { JailInterface, NetifNode } from '../../src/topology/types.js';
import { fakeHost, noInterface, noJail } from './fake-host.js';

const IFACE: JailInterface = {
  network: 'frontend',
  mode: 'vnet',
  epair: 'se000000001a',
  netif: 'sb1a2b3c4d',
  address: '10.77.0.2/24',
  gateway: '10.77.0.1',
  description: 'stockade:jail:web-0:frontend',
};
const BRIDGE_UP =
  'sb1a2b3c4d: flags=1008843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST,LOWER_UP> metric 0 mtu 1500\n\tdescription: stockade:net:frontend\n\tinet 10.77.0.1 netmask 0xffffff00 broadcast 10.77.0.255\n';
const MEMBER =
  '\tmember: se000000001a flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n\t        ifmaxaddr 0 port 5 priority 128 path cost 2000\n';

describe('epair.create', () => {
  it('lets the kernel allocate, renames both ends, marks them and joins the bridge', async () => {
    const host = fakeHost({
      'ifconfig se000000001a': noInterface('se000000001a'),
      'ifconfig epair create': { stdout: 'epair3a\n' },
      'ifconfig sb1a2b3c4d': { stdout: BRIDGE_UP },
    });

    await applyAction(host.ctx, { type: 'epair.create', jail: 'web-0', iface: IFACE });
    const first = [...host.calls];
    host.reset({
      'ifconfig se000000001a': {
        stdout:
          'se000000001a: flags=8963<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tdescription: stockade:jail:web-0:frontend\n',
      },
      'ifconfig sb1a2b3c4d': { stdout: BRIDGE_UP + MEMBER },
    });
    await applyAction(host.ctx, { type: 'epair.create', jail: 'web-0', iface: IFACE });

    expect(first).toEqual([
      'ifconfig se000000001a',
      'ifconfig epair create',
      'ifconfig epair3a name se000000001a',
      'ifconfig epair3b name se000000001b',
      'ifconfig se000000001a description stockade:jail:web-0:frontend',
      'ifconfig se000000001b description stockade:jail:web-0:frontend',
      'ifconfig sb1a2b3c4d',
      'ifconfig sb1a2b3c4d addm se000000001a up',
      'ifconfig se000000001a up',
    ]);
    expect(host.calls).toEqual(['ifconfig se000000001a', 'ifconfig sb1a2b3c4d']);
  });

  it('destroys the new epair when a rename fails, so none is leaked (B11)', async () => {
    const host = fakeHost({
      'ifconfig se000000001a': noInterface('se000000001a'),
      'ifconfig epair create': { stdout: 'epair3a\n' },
      'ifconfig epair3a name se000000001a': {
        stderr: 'ifconfig: ioctl SIOCSIFNAME (set name): File exists\n',
        exitCode: 1,
      },
    });

    const err = await applyAction(host.ctx, {
      type: 'epair.create',
      jail: 'web-0',
      iface: IFACE,
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'HOST_COMMAND_FAILED' });
    expect(host.calls.slice(-1)).toEqual(['ifconfig epair3a destroy']);
  });

  it('refuses an interface name longer than 15 bytes before creating anything (B16)', async () => {
    const host = fakeHost({});

    const err = await applyAction(host.ctx, {
      type: 'epair.create',
      jail: 'reportingdb10x1',
      iface: { ...IFACE, epair: 'e0a_reportingdb10x1' },
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'INVALID_HOST_NAME',
      data: { iface: 'e0a_reportingdb10x1' },
    });
    expect(host.calls).toEqual([]);
  });

  it("refuses an existing interface of that name that is not the attachment's", async () => {
    const host = fakeHost({
      'ifconfig se000000001a': {
        stdout:
          'se000000001a: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n',
      },
    });

    const err = await applyAction(host.ctx, {
      type: 'epair.create',
      jail: 'web-0',
      iface: IFACE,
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({
      code: 'FOREIGN_OBJECT',
      data: { iface: 'se000000001a', description: null },
    });
  });
});

describe('epair.destroy', () => {
  const HOST_END = {
    stdout:
      'se000000001a: flags=8963<UP,BROADCAST,RUNNING,PROMISC,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tdescription: stockade:jail:web-0:frontend\n',
  };

  it('reclaims the jail end from the running jail before destroying (B6, B10)', async () => {
    const host = fakeHost({
      'ifconfig se000000001a': HOST_END,
      'ifconfig se000000001b': noInterface('se000000001b'),
      'jls -j web-0 jid': { stdout: '7\n' },
    });

    await applyAction(host.ctx, { type: 'epair.destroy', jail: 'web-0', epair: 'se000000001a' });
    const first = [...host.calls];
    host.reset({ 'ifconfig se000000001a': noInterface('se000000001a') });
    await applyAction(host.ctx, { type: 'epair.destroy', jail: 'web-0', epair: 'se000000001a' });

    expect(first).toEqual([
      'ifconfig se000000001a',
      'ifconfig se000000001b',
      'jls -j web-0 jid',
      'ifconfig se000000001b -vnet web-0',
      'ifconfig se000000001a destroy',
    ]);
    expect(host.calls).toEqual(['ifconfig se000000001a']);
  });

  it('destroys an epair left behind by a jail that is gone (B11)', async () => {
    const host = fakeHost({
      'ifconfig se000000001a': HOST_END,
      'ifconfig se000000001b': noInterface('se000000001b'),
      'jls -j web-0 jid': noJail('web-0'),
    });

    await applyAction(host.ctx, { type: 'epair.destroy', jail: 'web-0', epair: 'se000000001a' });

    expect(host.calls.at(-1)).toBe('ifconfig se000000001a destroy');
    expect(host.calls.some((c) => c.includes('-vnet'))).toBe(false);
  });
});

describe('netif steps', () => {
  const NETIF: NetifNode = {
    name: 'sb1a2b3c4d',
    kind: 'bridge',
    network: 'frontend',
    description: 'stockade:net:frontend',
    address: '10.77.0.1/24',
  };

  it('creates a bridge, renames it, marks it, addresses it; then only reads', async () => {
    const host = fakeHost({
      'ifconfig sb1a2b3c4d': noInterface('sb1a2b3c4d'),
      'ifconfig bridge create': { stdout: 'bridge0\n' },
    });

    await applyAction(host.ctx, { type: 'netif.create', netif: NETIF });
    const first = [...host.calls];
    host.reset({ 'ifconfig sb1a2b3c4d': { stdout: BRIDGE_UP } });
    await applyAction(host.ctx, { type: 'netif.create', netif: NETIF });

    expect(first).toEqual([
      'ifconfig sb1a2b3c4d',
      'ifconfig bridge create',
      'ifconfig bridge0 name sb1a2b3c4d',
      'ifconfig sb1a2b3c4d description stockade:net:frontend',
      'ifconfig sb1a2b3c4d inet 10.77.0.1/24 alias',
      'ifconfig sb1a2b3c4d up',
    ]);
    expect(host.calls).toEqual(['ifconfig sb1a2b3c4d']);
  });

  it('moves the gateway address when the network changed', async () => {
    const host = fakeHost({ 'ifconfig sb1a2b3c4d': { stdout: BRIDGE_UP } });

    await applyAction(host.ctx, {
      type: 'netif.update',
      netif: { ...NETIF, address: '10.78.0.1/24' },
    });

    expect(host.calls).toEqual([
      'ifconfig sb1a2b3c4d',
      'ifconfig sb1a2b3c4d inet 10.77.0.1 -alias',
      'ifconfig sb1a2b3c4d inet 10.78.0.1/24 alias',
    ]);
  });

  it('destroys only its own interface and refuses a foreign one', async () => {
    const host = fakeHost({
      'ifconfig sb1a2b3c4d': { stdout: BRIDGE_UP },
      'ifconfig em0': {
        stdout: 'em0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n',
      },
    });

    await applyAction(host.ctx, { type: 'netif.destroy', name: 'sb1a2b3c4d' });
    const err = await applyAction(host.ctx, { type: 'netif.destroy', name: 'em0' }).catch(
      (e: unknown) => e,
    );

    expect(host.calls).toEqual([
      'ifconfig sb1a2b3c4d',
      'ifconfig sb1a2b3c4d destroy',
      'ifconfig em0',
    ]);
    expect(err).toMatchObject({ code: 'FOREIGN_OBJECT', data: { iface: 'em0' } });
  });

  it('creates a loopback for a shared network', async () => {
    const host = fakeHost({
      'ifconfig sl0000aaaa': noInterface('sl0000aaaa'),
      'ifconfig lo create': { stdout: 'lo1\n' },
    });

    await applyAction(host.ctx, {
      type: 'netif.create',
      netif: {
        name: 'sl0000aaaa',
        kind: 'loopback',
        network: 'back',
        description: 'stockade:net:back',
      },
    });

    expect(host.calls).toEqual([
      'ifconfig sl0000aaaa',
      'ifconfig lo create',
      'ifconfig lo1 name sl0000aaaa',
      'ifconfig sl0000aaaa description stockade:net:back',
      'ifconfig sl0000aaaa up',
    ]);
  });
});
