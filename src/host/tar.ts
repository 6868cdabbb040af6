// SPDX-License-Identifier: BSD-2-Clause
// Adapter for tar(1): extracts a FreeBSD release archive (base.txz) into a dataset's mountpoint.

import type { HostContext } from './context.js';

/** `tar -xf ARCHIVE -C DIR`; preserves the archive's modes and owners when run as root. */
export async function extractArchive(
  ctx: HostContext,
  archive: string,
  dir: string,
): Promise<void> {
  await ctx.runner.run('tar', ['-xf', archive, '-C', dir]);
}
