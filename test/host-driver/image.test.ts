// SPDX-License-Identifier: BSD-2-Clause
// Image builds: release extracted once and snapshotted @base (B25), clone, build jail,
// @ready; a failed build leaves no half image.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { applyAction } from '../../src/host/actions.js';
import type { ImageBuild } from '../../src/topology/types.js';
import { fakeHost, noDataset, noJail, zfsGet, type Replies } from './fake-host.js';

const REL = 'tank/stockade/releases/14.2-RELEASE';
const IMG = 'tank/stockade/images/web-1a2b3c4d';
const IMAGE: ImageBuild = {
  name: 'web',
  hash: '1a2b3c4d',
  dataset: IMG,
  releaseSnapshot: `${REL}@base`,
  release: '14.2-RELEASE',
  packages: ['nginx'],
  files: [
    {
      path: '/usr/local/etc/nginx/nginx.conf',
      content: Buffer.from('events {}\n').toString('base64'),
      mode: 0o644,
      hash: 'f1',
    },
  ],
  commands: [['sysrc', 'nginx_enable=YES']],
};
const EXISTS = (name: string) => `zfs list -H -o name ${name}`;
const MP = (name: string) => `zfs get -H -p -o name,property,value,source mountpoint ${name}`;

function emptyHost(mountpoint: string): Replies {
  return {
    [EXISTS(`${IMG}@ready`)]: noDataset(`${IMG}@ready`),
    [EXISTS(`${REL}@base`)]: noDataset(`${REL}@base`),
    [EXISTS(REL)]: noDataset(REL),
    [EXISTS(IMG)]: [noDataset(IMG), { stdout: `${IMG}\n` }],
    [MP(REL)]: {
      stdout: zfsGet([
        [REL, 'mountpoint', '/stockade/releases/14.2-RELEASE', 'inherited from tank/stockade'],
      ]),
    },
    [MP(IMG)]: {
      stdout: zfsGet([[IMG, 'mountpoint', mountpoint, 'inherited from tank/stockade']]),
    },
    'jls -j stockade-build-1a2b3c4d jid': noJail('stockade-build-1a2b3c4d'),
  };
}

describe('image.build', () => {
  it('extracts the release, snapshots @base, clones, runs commands in a build jail, snapshots @ready', async () => {
    const mountpoint = mkdtempSync(join(tmpdir(), 'stockade-image-'));
    const host = fakeHost(emptyHost(mountpoint));

    await applyAction(host.ctx, { type: 'image.build', image: IMAGE });
    const first = [...host.calls];
    host.reset({});
    await applyAction(host.ctx, { type: 'image.build', image: IMAGE });

    const env =
      'PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin ASSUME_ALWAYS_YES=yes';
    expect(first.filter((c) => !c.startsWith('zfs set stockade:build'))).toEqual([
      EXISTS(`${IMG}@ready`),
      EXISTS(`${REL}@base`),
      EXISTS(REL),
      `zfs create -p -o stockade:managed=true -o stockade:role=release ${REL}`,
      MP(REL),
      'tar -xf /usr/freebsd-dist/base.txz -C /stockade/releases/14.2-RELEASE',
      `zfs snapshot ${REL}@base`,
      EXISTS(IMG),
      `zfs clone -p -o stockade:managed=true -o stockade:role=image -o stockade:image=web ${REL}@base ${IMG}`,
      MP(IMG),
      `jail -q -c name=stockade-build-1a2b3c4d path=${mountpoint} host.hostname=stockade-build-1a2b3c4d ip4=inherit ip6=inherit mount.devfs persist`,
      `jexec stockade-build-1a2b3c4d /usr/bin/env -i ${env} pkg install -y nginx`,
      `jexec stockade-build-1a2b3c4d /usr/bin/env -i ${env} sysrc nginx_enable=YES`,
      'jail -q -r stockade-build-1a2b3c4d',
      'mount -p',
      `zfs snapshot ${IMG}@ready`,
    ]);
    expect(first.filter((c) => c.startsWith('zfs set stockade:build'))).toHaveLength(1);
    expect(host.calls).toEqual([EXISTS(`${IMG}@ready`)]);
  });

  it('extracts into a release dataset that exists without @base instead of destroying it', async () => {
    const mountpoint = mkdtempSync(join(tmpdir(), 'stockade-image-'));
    const replies = emptyHost(mountpoint);
    replies[EXISTS(REL)] = { stdout: `${REL}\n` };
    const host = fakeHost(replies);

    await applyAction(host.ctx, { type: 'image.build', image: IMAGE });

    expect(host.calls.slice(0, 6)).toEqual([
      EXISTS(`${IMG}@ready`),
      EXISTS(`${REL}@base`),
      EXISTS(REL),
      MP(REL),
      'tar -xf /usr/freebsd-dist/base.txz -C /stockade/releases/14.2-RELEASE',
      `zfs snapshot ${REL}@base`,
    ]);
    expect(host.calls.filter((c) => c.startsWith('zfs destroy'))).toEqual([]);
  });

  it('destroys the clone when a build command fails, and says at which stage', async () => {
    const mountpoint = mkdtempSync(join(tmpdir(), 'stockade-image-'));
    const replies = emptyHost(mountpoint);
    replies[EXISTS(`${REL}@base`)] = { stdout: `${REL}@base\n` };
    replies[
      'jexec stockade-build-1a2b3c4d /usr/bin/env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin ASSUME_ALWAYS_YES=yes pkg install -y nginx'
    ] = {
      stderr: 'pkg: No packages available to install matching nginx\n',
      exitCode: 1,
    };
    const host = fakeHost(replies);

    const err = await applyAction(host.ctx, { type: 'image.build', image: IMAGE }).catch(
      (e: unknown) => e,
    );

    expect(err).toMatchObject({
      code: 'IMAGE_BUILD_FAILED',
      data: { image: 'web', dataset: IMG, stage: 'commands' },
    });
    expect(host.calls.slice(-5)).toEqual([
      'jail -q -r stockade-build-1a2b3c4d',
      'mount -p',
      'jls -j stockade-build-1a2b3c4d jid',
      EXISTS(IMG),
      `zfs destroy -r ${IMG}`,
    ]);
    expect(host.calls).not.toContain(`zfs snapshot ${IMG}@ready`);
  });

  it('fails at the release stage when no archive is configured', async () => {
    const host = fakeHost(emptyHost('/nonexistent'));

    const err = await applyAction(host.ctx, {
      type: 'image.build',
      image: { ...IMAGE, release: '13.9-RELEASE' },
    }).catch((e: unknown) => e);

    expect(err).toMatchObject({ code: 'IMAGE_BUILD_FAILED', data: { stage: 'release' } });
    expect(host.calls.some((c) => c.startsWith('tar') || c.startsWith('zfs clone'))).toBe(false);
  });
});
