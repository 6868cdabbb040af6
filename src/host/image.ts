// SPDX-License-Identifier: BSD-2-Clause
// Image builds: the release archive extracted once into <root>/releases/<release> and
// snapshotted @base, cloned into the image dataset, files written, build commands run in a
// temporary jail, then snapshotted @ready. A failed build destroys its clone, so no half-built
// image is ever left to be cloned from.

import { ImageBuildError } from '../errors/image-build-error.js';
import type { ImageBuild } from '../topology/types.js';
import { JAIL_PATH, unmountJailFilesystems } from './actions-jail.js';
import type { HostContext } from './context.js';
import { writeJailFiles } from './files.js';
import { createJail, getJid, jexec, removeJail } from './jail.js';
import { encodeRecord, MARK_MANAGED, MARK_ROLE, RECORD_IMAGE } from './marks.js';
import { extractArchive } from './tar.js';
import * as zfs from './zfs.js';

/** Builds the image unless its @ready snapshot exists. */
export async function buildImage(ctx: HostContext, image: ImageBuild): Promise<void> {
  if (await zfs.exists(ctx, `${image.dataset}@ready`)) {
    return;
  }
  await ensureRelease(ctx, image);

  // A dataset without @ready is what an interrupted build left: start over from the release.
  if (await zfs.exists(ctx, image.dataset)) {
    await zfs.destroy(ctx, image.dataset, { recursive: true });
  }
  const stages = { stage: 'clone' };
  try {
    await zfs.clone(ctx, image.releaseSnapshot, image.dataset, {
      [MARK_MANAGED]: 'true',
      [MARK_ROLE]: 'image',
      'stockade:image': image.name,
    });
    const mountpoint = await mountpointOf(ctx, image.dataset);
    stages.stage = 'files';
    await writeJailFiles(mountpoint, image.files);
    stages.stage = 'commands';
    await runBuildCommands(ctx, image, mountpoint);
    stages.stage = 'snapshot';
    await zfs.setProperties(
      ctx,
      image.dataset,
      encodeRecord(RECORD_IMAGE, {
        ...image,
        files: image.files.map((f) => ({ ...f, content: '' })),
      }),
    );
    await zfs.snapshot(ctx, [`${image.dataset}@ready`]);
  } catch (err) {
    await discardBuild(ctx, image);
    throw new ImageBuildError(
      { image: image.name, dataset: image.dataset, stage: stages.stage },
      err,
    );
  }
  ctx.logger.info({ dataset: image.dataset, action: 'image.build' }, 'image built');
}

/** The name of the temporary jail an image's commands run in. */
export function buildJailName(image: ImageBuild): string {
  return `stockade-build-${image.hash}`;
}

async function ensureRelease(ctx: HostContext, image: ImageBuild): Promise<void> {
  if (await zfs.exists(ctx, image.releaseSnapshot)) {
    return;
  }
  const archive = ctx.releases[image.release];
  const dataset = image.releaseSnapshot.split('@')[0] ?? '';
  try {
    if (archive === undefined) {
      throw new Error(`no archive configured for release '${image.release}'`);
    }
    // The planner may have created the dataset already, and an extraction that stopped
    // halfway leaves one without @base: extracting the same archive again over it gives the
    // same tree, so the dataset is reused rather than destroyed and made anew.
    if (!(await zfs.exists(ctx, dataset))) {
      await zfs.create(ctx, dataset, { [MARK_MANAGED]: 'true', [MARK_ROLE]: 'release' });
    }
    await extractArchive(ctx, archive, await mountpointOf(ctx, dataset));
    await zfs.snapshot(ctx, [image.releaseSnapshot]);
  } catch (err) {
    throw new ImageBuildError({ image: image.name, dataset, stage: 'release' }, err);
  }
}

async function runBuildCommands(
  ctx: HostContext,
  image: ImageBuild,
  mountpoint: string,
): Promise<void> {
  const commands = [
    ...(image.packages.length > 0 ? [['pkg', 'install', '-y', ...image.packages]] : []),
    ...image.commands,
  ];
  if (commands.length === 0) {
    return;
  }
  const name = buildJailName(image);
  // The build jail shares the host's network stack so package downloads work.
  await createJail(ctx, [
    `name=${name}`,
    `path=${mountpoint}`,
    `host.hostname=${name}`,
    'ip4=inherit',
    'ip6=inherit',
    'mount.devfs',
    'persist',
  ]);
  try {
    for (const argv of commands) {
      await jexec(ctx, name, [
        '/usr/bin/env',
        '-i',
        `PATH=${JAIL_PATH}`,
        'ASSUME_ALWAYS_YES=yes',
        ...argv,
      ]);
    }
  } finally {
    await removeJail(ctx, name);
    await unmountJailFilesystems(ctx, mountpoint);
  }
}

async function discardBuild(ctx: HostContext, image: ImageBuild): Promise<void> {
  try {
    if ((await getJid(ctx, buildJailName(image))) !== undefined) {
      await removeJail(ctx, buildJailName(image));
    }
    if (await zfs.exists(ctx, image.dataset)) {
      await zfs.destroy(ctx, image.dataset, { recursive: true });
    }
  } catch (err) {
    // The build error matters more; the leftover clone is retried by the next build.
    ctx.logger.warn({ dataset: image.dataset, err }, 'image cleanup failed');
  }
}

async function mountpointOf(ctx: HostContext, dataset: string): Promise<string> {
  const rows = await zfs.getProperties(ctx, dataset, ['mountpoint']);
  const mountpoint = rows[0]?.value ?? '';
  if (!mountpoint.startsWith('/')) {
    throw new Error(`dataset '${dataset}' has no mountpoint`);
  }
  return mountpoint;
}
