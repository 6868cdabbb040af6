// SPDX-License-Identifier: BSD-2-Clause
// Reads many blobs of the local clone in one `git cat-file --batch` process. isomorphic-git
// inflates each packed object in JavaScript, one call per blob, which makes a first read of a
// tree with thousands of manifests several times slower than the git client; this is the
// faster path for that case, taken when a git binary is there to run.

import { execa } from 'execa';

import { GitOperationError } from '../errors/git-operation-error.js';

/** Reads blobs by id from `gitdir`; resolves with each id's content. */
export type BlobReader = (gitdir: string, oids: readonly string[]) => Promise<Map<string, Buffer>>;

/** A BlobReader that runs `<gitPath> -C <gitdir> cat-file --batch` once per call. */
export function createCatFileReader(options: { gitPath: string; timeoutMs: number }): BlobReader {
  return async (gitdir, oids) => {
    if (oids.length === 0) return new Map();
    const argv = ['-C', gitdir, 'cat-file', '--batch'];
    const result = await execa(options.gitPath, argv, {
      input: `${oids.join('\n')}\n`,
      encoding: 'buffer',
      stripFinalNewline: false,
      timeout: options.timeoutMs,
      reject: false,
      // No configuration of the user or the system changes how objects are read.
      env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' },
      extendEnv: false,
    });
    if (result.exitCode !== 0 || result.timedOut) {
      throw new GitOperationError(`git cat-file failed in ${gitdir}`, {
        operation: 'read',
        argv: [options.gitPath, ...argv],
        exitCode: result.exitCode ?? null,
        stderrTail: Buffer.from(result.stderr).toString('utf8').slice(-512),
      });
    }
    return parseBatch(Buffer.from(result.stdout), oids, gitdir);
  };
}

/**
 * Parses `git cat-file --batch` output: per object a header `<oid> <type> <size>`, the content
 * and a newline; `<oid> missing` for an id the repository lacks. Every asked-for id must come
 * back as a blob, in order.
 */
export function parseBatch(
  out: Buffer,
  oids: readonly string[],
  gitdir: string,
): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let at = 0;
  for (const oid of oids) {
    const end = out.indexOf(0x0a, at);
    if (end < 0) throw corrupt(gitdir, `output ends before the header of ${oid}`);
    const header = out.subarray(at, end).toString('latin1');
    const [got, type, size] = header.split(' ');
    if (got !== oid) throw corrupt(gitdir, `expected ${oid}, read '${header}'`);
    if (type !== 'blob' || size === undefined || !/^\d+$/.test(size)) {
      throw corrupt(gitdir, `object ${oid} is '${header.slice(41)}', not a blob`);
    }
    const start = end + 1;
    const stop = start + Number(size);
    if (stop >= out.length || out[stop] !== 0x0a) {
      throw corrupt(gitdir, `output ends inside object ${oid}`);
    }
    blobs.set(oid, out.subarray(start, stop));
    at = stop + 1;
  }
  return blobs;
}

function corrupt(gitdir: string, detail: string): GitOperationError {
  return new GitOperationError(`git cat-file output cannot be read: ${detail}`, {
    operation: 'read',
    gitdir,
  });
}
