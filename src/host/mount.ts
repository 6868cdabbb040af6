// SPDX-License-Identifier: BSD-2-Clause
// Adapter for mount(8)/umount(8): nullfs mounts into jail roots and the `mount -p` listing that
// observe and the destroy guard read.

import type { HostContext } from './context.js';

/** One line of `mount -p` (fstab(5) format). */
export interface MountEntry {
  source: string;
  target: string;
  fstype: string;
  options: string[];
}

/** Parses `mount -p`: whitespace-separated fstab fields, spaces in paths written as \040. */
export function parseMountP(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 3 || fields[0] === '') {
      continue;
    }
    entries.push({
      source: decodeFstab(fields[0] ?? ''),
      target: decodeFstab(fields[1] ?? ''),
      fstype: fields[2] ?? '',
      options: (fields[3] ?? '').split(',').filter((o) => o !== ''),
    });
  }
  return entries;
}

/** Decodes strvis(3) octal escapes (`\040` for a space) of fstab fields. */
export function decodeFstab(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(Number.parseInt(octal, 8)),
  );
}

/** Every mounted file system. */
export async function listMounts(ctx: HostContext): Promise<MountEntry[]> {
  const { stdout } = await ctx.runner.run('mount', ['-p']);
  return parseMountP(stdout);
}

/** `mount -t nullfs [-o ro] SOURCE TARGET`. */
export async function mountNullfs(
  ctx: HostContext,
  source: string,
  target: string,
  readonly: boolean,
): Promise<void> {
  await ctx.runner.run('mount', [
    '-t',
    'nullfs',
    ...(readonly ? ['-o', 'ro'] : []),
    source,
    target,
  ]);
}

/** `umount TARGET`. */
export async function unmount(ctx: HostContext, target: string): Promise<void> {
  await ctx.runner.run('umount', [target]);
}

/** Mounts at or below `dir`, deepest first (the order they must be unmounted in). */
export function mountsBelow(mounts: MountEntry[], dir: string): MountEntry[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return mounts
    .filter((m) => m.target === dir || m.target.startsWith(prefix))
    .sort((a, b) => b.target.length - a.target.length);
}
