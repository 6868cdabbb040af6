// SPDX-License-Identifier: BSD-2-Clause
// Files Stockade writes into jail roots and images: manifest files resolved against the
// repository, and the generated /etc/hosts that makes service names resolvable. Pure.

import type { FileSpec } from '../manifest/types.js';
import { TopologyError } from '../errors/topology-error.js';
import { hashHex } from './hash.js';
import type { HostEntry, JailFile } from './types.js';

/** Path of the generated name table inside every jail. */
export const HOSTS_PATH = '/etc/hosts';

/** Resolves a manifest file entry to its bytes (base64), mode and hash. */
export function resolveFile(
  spec: FileSpec,
  repositoryFiles: Record<string, Uint8Array>,
  owner: string,
): JailFile {
  let bytes: Uint8Array;
  if (spec.content !== undefined) {
    bytes = Buffer.from(spec.content, 'utf8');
  } else {
    const found = spec.source === undefined ? undefined : repositoryFiles[spec.source];
    if (found === undefined) {
      throw new TopologyError(
        'UNKNOWN_REFERENCE',
        `file '${spec.source ?? ''}' of '${owner}' ` + 'is not in the repository',
        { owner, source: spec.source ?? null, path: spec.path },
      );
    }
    bytes = found;
  }

  return makeFile(spec.path, Buffer.from(bytes).toString('base64'), parseMode(spec.mode));
}

/** A JailFile with its hash over path, mode and content. */
export function makeFile(path: string, content: string, mode: number): JailFile {
  return { path, content, mode, hash: hashHex(`${path}\u0000${mode}\u0000${content}`, 12) };
}

/**
 * The /etc/hosts every jail of the node gets: localhost, each jail's hostname at its first
 * address, then each service name at its endpoints. One file shared by all jails, so it is
 * rendered and hashed once per compile however many jails there are.
 */
export function renderHostsFile(
  jails: { hostname: string; address: string | undefined }[],
  services: HostEntry[],
): JailFile {
  const lines = ['# Written by Stockade on every apply; local changes are replaced.'];
  lines.push('127.0.0.1\tlocalhost', '::1\tlocalhost');
  for (const jail of jails) {
    if (jail.address !== undefined) lines.push(`${jail.address}\t${jail.hostname}`);
  }
  for (const entry of services) {
    for (const address of entry.addresses) lines.push(`${address}\t${entry.name}`);
  }
  return makeFile(HOSTS_PATH, Buffer.from(`${lines.join('\n')}\n`).toString('base64'), 0o644);
}

function parseMode(mode: string | undefined): number {
  return mode === undefined ? 0o644 : parseInt(mode, 8);
}
