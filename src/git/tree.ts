// SPDX-License-Identifier: BSD-2-Clause
// Reading files straight out of a commit's tree and building trees from files, in a bare
// repository: there is never a working tree or an index to corrupt.

import nodeFs from 'node:fs';

import git, { Errors, type FsClient, type TreeEntry } from 'isomorphic-git';

import { GitPathNotFoundError } from '../errors/git-path-not-found-error.js';
import { GitRefNotFoundError } from '../errors/git-ref-not-found-error.js';
import type { BlobReader } from './cat-file.js';

/** A file in a tree: its mode and blob id. */
export interface TreeFile {
  mode: string;
  oid: string;
}

/**
 * Lists every regular file under `folder` of commit `oid`, keyed by path relative to `folder`.
 * Symlinks and submodules are left out: a manifest must be content of this repository.
 * Throws GIT_PATH_NOT_FOUND when `folder` is missing or is not a directory.
 */
export async function listTreeFiles(options: {
  gitdir: string;
  oid: string;
  folder: string;
  cache: object;
  /** Defaults to node:fs; readers pass a snapshot view (snapshot-fs.ts). */
  fs?: FsClient;
}): Promise<Map<string, TreeFile>> {
  const { gitdir, oid, cache, fs = nodeFs } = options;
  const folder = normalizeFolder(options.folder);
  let rootTree: string;
  try {
    rootTree = (await git.readCommit({ fs, gitdir, oid, cache })).commit.tree;
  } catch (err) {
    throw asMissingCommit(err, oid);
  }

  const files = new Map<string, TreeFile>();
  let start: TreeEntry[];
  try {
    const tree = await git.readTree({
      fs,
      gitdir,
      oid: rootTree,
      cache,
      ...(folder === '' ? {} : { filepath: folder }),
    });
    start = tree.tree;
  } catch (err) {
    if (err instanceof Errors.NotFoundError || err instanceof Errors.ObjectTypeError) {
      throw new GitPathNotFoundError(`path '${folder}' not found in commit ${oid}`, {
        commit: oid,
        path: folder,
      });
    }
    throw err;
  }
  await collect({ fs, gitdir, cache }, start, '', files);
  return files;
}

/** Reads the blobs of `files` into memory with one shared cache. */
export async function readFiles(
  gitdir: string,
  files: Map<string, TreeFile>,
  cache: object,
  fs: FsClient = nodeFs,
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const [name, file] of files) {
    const { blob } = await git.readBlob({ fs, gitdir, oid: file.oid, cache });
    out.set(name, blob);
  }
  return out;
}

/** Blobs to read before a bulk reader is worth its process start. */
export const BULK_READ_MIN = 16;

/**
 * Like readFiles, but takes blobs whose id is in `known` from there instead of the object store,
 * so reading a new commit costs only its changed files. With `bulk`, BULK_READ_MIN or more
 * blobs to read go through it in one call; when it fails, `onBulkError` hears why and
 * isomorphic-git reads them instead. Resolves with the files (fresh copies) and the
 * id-to-content map of this tree, to pass as `known` next time.
 */
export async function readFilesReusing(options: {
  gitdir: string;
  files: Map<string, TreeFile>;
  known: Map<string, Uint8Array>;
  cache: object;
  fs: FsClient;
  bulk?: BlobReader;
  onBulkError?: (err: unknown) => void;
}): Promise<{ files: Map<string, Uint8Array>; byOid: Map<string, Uint8Array> }> {
  const { gitdir, files, known, cache, fs } = options;
  const missing = new Map([...files].filter(([, file]) => !known.has(file.oid)));
  const fromBulk = await readInBulk(options, missing);
  const read = fromBulk === undefined ? await readFiles(gitdir, missing, cache, fs) : new Map();
  const byOid = new Map<string, Uint8Array>();
  const out = new Map<string, Uint8Array>();
  for (const [name, file] of files) {
    const content =
      read.get(name) ?? fromBulk?.get(file.oid) ?? known.get(file.oid) ?? new Uint8Array();
    byOid.set(file.oid, content);
    out.set(name, Uint8Array.from(content));
  }
  return { files: out, byOid };
}

async function readInBulk(
  options: { gitdir: string; bulk?: BlobReader; onBulkError?: (err: unknown) => void },
  missing: Map<string, TreeFile>,
): Promise<Map<string, Uint8Array> | undefined> {
  if (options.bulk === undefined || missing.size < BULK_READ_MIN) return undefined;
  try {
    const oids = [...new Set([...missing.values()].map((f) => f.oid))];
    return await options.bulk(options.gitdir, oids);
  } catch (err) {
    options.onBulkError?.(err);
    return undefined;
  }
}

/**
 * Writes a tree (and its subtrees) holding exactly `files`, keyed by slash-separated path, and
 * resolves with the root tree id. Blobs must already exist.
 */
export async function writeTreeFromFiles(
  gitdir: string,
  files: Map<string, TreeFile>,
): Promise<string> {
  const root: Folder = { files: new Map(), folders: new Map() };
  for (const [name, file] of files) {
    const parts = name.split('/');
    const base = parts.pop() ?? name;
    let folder = root;
    for (const part of parts) {
      let next = folder.folders.get(part);
      if (next === undefined) {
        next = { files: new Map(), folders: new Map() };
        folder.folders.set(part, next);
      }
      folder = next;
    }
    folder.files.set(base, file);
  }
  return writeFolder(gitdir, root);
}

interface Folder {
  files: Map<string, TreeFile>;
  folders: Map<string, Folder>;
}

async function writeFolder(gitdir: string, folder: Folder): Promise<string> {
  const entries: TreeEntry[] = [];
  for (const [path, file] of folder.files) {
    entries.push({ mode: file.mode, path, oid: file.oid, type: 'blob' });
  }
  for (const [path, child] of folder.folders) {
    entries.push({ mode: '040000', path, oid: await writeFolder(gitdir, child), type: 'tree' });
  }
  return git.writeTree({ fs: nodeFs, gitdir, tree: entries });
}

/** Walks `entries` depth-first, adding regular files under `prefix`. */
async function collect(
  repo: { fs: FsClient; gitdir: string; cache: object },
  entries: TreeEntry[],
  prefix: string,
  files: Map<string, TreeFile>,
): Promise<void> {
  for (const entry of entries) {
    const name = prefix === '' ? entry.path : `${prefix}/${entry.path}`;
    if (entry.type === 'tree') {
      const { tree } = await git.readTree({ ...repo, oid: entry.oid });
      await collect(repo, tree, name, files);
    } else if (entry.type === 'blob' && (entry.mode === '100644' || entry.mode === '100755')) {
      files.set(name, { mode: entry.mode, oid: entry.oid });
    }
  }
}

/** `folder` without leading `./`, surrounding slashes or a lone dot. */
function normalizeFolder(folder: string): string {
  return folder
    .replace(/^(\.\/)+/, '')
    .replace(/^\/+|\/+$/g, '')
    .replace(/^\.$/, '');
}

function asMissingCommit(err: unknown, oid: string): unknown {
  if (err instanceof Errors.NotFoundError || err instanceof Errors.ObjectTypeError) {
    return new GitRefNotFoundError(`commit ${oid} is not in the local clone`, { commit: oid });
  }
  return err;
}
