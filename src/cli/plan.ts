// SPDX-License-Identifier: BSD-2-Clause
// `stockade plan --base REV --head REV`: shows what merging a change would do to a node, from
// two commits of a local Git checkout and nothing else. The base commit stands in for the host,
// so no FreeBSD machine is needed; the output fits a pull-request comment.

import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import git from 'isomorphic-git';

import { defaultNodeConfig, loadNodeConfig } from '../config/load.js';
import type { NodeConfig } from '../config/types.js';
import { StockadeError } from '../errors/stockade-error.js';
import { listTreeFiles, readFiles } from '../git/tree.js';
import { formatDiagnostic } from '../manifest/diagnostic.js';
import { loadManifests } from '../manifest/load.js';
import type { ManifestSet } from '../manifest/types.js';
import { guardPrune, planChanges } from '../plan/plan.js';
import { renderPlan, type PlanFormat } from '../plan/render.js';
import type { Plan } from '../plan/types.js';
import { diffTopology } from '../diff/diff.js';
import { compileTopology } from '../topology/compile.js';
import type { Topology } from '../topology/types.js';
import { EXIT } from './exit-codes.js';
import { planOnNode } from './plan-node.js';

export { planAgainstHost, type HostPlan } from '../plan/plan-host.js';

const USAGE = `usage: stockade plan --base REV --head REV [options]
       stockade plan -c FILE [--dir DIR] [--format FORMAT]

Shows what merging HEAD into BASE would change on a node: the jails,
datasets, interfaces, pf rules and limits that would be created, changed,
replaced or destroyed, and why. BASE plays the host, so no host is needed.
REV is a branch, a tag or a full or abbreviated commit id, optionally
followed by ~N or ^ to go back along first parents (main~1).

Without --base and --head, on a node: what the next run would do, from the
tip of the tracked branch (or the manifests in --dir) against what the host
runs now. It reads the host and the repository and changes neither.

options:
  --base REV         the commit the node runs now
  --head REV         the commit to preview
  --dir DIR          on a node: plan this manifest folder instead of the branch
  --repo DIR         the Git checkout (default: found from the current folder)
  --path DIR         manifest folder inside the repository (default: manifests
                     when the head commit has that folder, else the root)
  --format FORMAT    text (default), markdown or json
  -c, --config FILE  node config: root dataset, pf interface, labels, policy
  -h, --help         show this help

exit status: 0 no changes, 2 changes, 1 error, 64 usage.
`;

/** Runs the subcommand; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        base: { type: 'string' },
        head: { type: 'string' },
        repo: { type: 'string' },
        dir: { type: 'string' },
        path: { type: 'string' },
        format: { type: 'string', default: 'text' },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (!['text', 'markdown', 'json'].includes(values.format))
    return usageError(`unknown format '${values.format}'`);
  if (values.base === undefined && values.head === undefined) {
    if (values.config === undefined)
      return usageError('give --base and --head, or -c FILE on a node');
    return runOnNode(values.config, values.dir, values.format as PlanFormat);
  }
  if (values.base === undefined || values.head === undefined)
    return usageError('--base and --head go together');

  try {
    const config =
      values.config === undefined
        ? defaultNodeConfig({ name: 'plan' })
        : await loadNodeConfig(values.config);
    const plan = await planCommits({
      dir: values.repo ?? findRepository(process.cwd()),
      base: values.base,
      head: values.head,
      ...(values.path === undefined ? {} : { path: values.path }),
      config,
    });
    if (plan === undefined) return EXIT.ERROR;

    process.stdout.write(renderPlan(plan, values.format as PlanFormat));
    return plan.changes.length === 0 ? EXIT.OK : EXIT.CHANGES;
  } catch (err) {
    const text = err instanceof StockadeError ? `${err.message} (${err.code})` : String(err);
    process.stderr.write(`stockade plan: ${text}\n`);
    return EXIT.ERROR;
  }
}

async function runOnNode(configPath: string, dir: string | undefined, format: PlanFormat) {
  try {
    const config = await loadNodeConfig(configPath);
    const plan = await planOnNode({ config, ...(dir === undefined ? {} : { dir }) });
    if (plan === undefined) return EXIT.ERROR;

    process.stdout.write(renderPlan(plan, format));
    return plan.changes.length === 0 ? EXIT.OK : EXIT.CHANGES;
  } catch (err) {
    const text = err instanceof StockadeError ? `${err.message} (${err.code})` : String(err);
    process.stderr.write(`stockade plan: ${text}\n`);
    return EXIT.ERROR;
  }
}

/**
 * The plan that takes a node from commit `base` to commit `head` of the checkout at `dir`.
 * Resolves undefined after printing the diagnostics when the head manifests are invalid.
 * The prune guard does not stop a preview: what apply would refuse is added as a warning.
 */
export async function planCommits(options: {
  dir: string;
  base: string;
  head: string;
  path?: string;
  config: NodeConfig;
}): Promise<Plan | undefined> {
  const { dir, config } = options;
  const gitdir = path.join(dir, '.git');
  const headOid = await resolveRevision(dir, options.head);
  const baseOid = await resolveRevision(dir, options.base);
  const folder =
    options.path ?? ((await hasFolder(gitdir, headOid, 'manifests')) ? 'manifests' : '');

  const head = await loadCommit(gitdir, headOid, folder, config);
  if (!head.ok) {
    process.stderr.write(
      `stockade plan: manifests of ${options.head} are invalid:\n${head.errors.join('\n')}\n`,
    );
    return undefined;
  }
  const base = await loadCommit(gitdir, baseOid, folder, config);
  const warnings: string[] = [];
  if (!base.ok) {
    warnings.push(`manifests of ${options.base} are invalid; planned as if the node ran nothing`);
  }

  const baseTopology = base.ok
    ? compileTopology(base.manifests, config)
    : emptyTopology(config.zfs.root);
  const headTopology = compileTopology(head.manifests, config, { previous: baseTopology });
  const plan = planChanges(headTopology, baseTopology, { maxPruneRatio: 1, allowPruneAll: true });
  try {
    guardPrune(diffTopology(headTopology, baseTopology), baseTopology, config.policy);
  } catch (err) {
    if (!(err instanceof StockadeError)) throw err;
    warnings.push(`apply would refuse this plan: ${err.message}`);
  }
  return { ...plan, warnings: [...warnings, ...plan.warnings] };
}

/** Walks up from `start` to the first folder holding `.git`. */
export function findRepository(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new StockadeError(
        'GIT_REPOSITORY_NOT_FOUND',
        `no Git repository at or above ${start}`,
        {
          data: { dir: start },
        },
      );
    }
    dir = parent;
  }
}

async function resolveRevision(dir: string, rev: string): Promise<string> {
  // `<rev>~N` and `<rev>^` walk first parents, as git(1) does; nothing fancier is supported.
  const match = /^(.+?)((?:~\d*|\^)*)$/.exec(rev);
  const name = match?.[1] ?? rev;
  let oid = await resolveName(dir, name, rev);
  for (const step of (match?.[2] ?? '').match(/~\d*|\^/g) ?? []) {
    const count = step === '^' || step === '~' ? 1 : Number(step.slice(1));
    for (let i = 0; i < count; i++) {
      const { commit } = await git.readCommit({ fs, dir, oid });
      const parent = commit.parent[0];
      if (parent === undefined) {
        throw new StockadeError(
          'GIT_REF_NOT_FOUND',
          `revision '${rev}' goes past the first commit`,
          {
            data: { revision: rev, dir },
          },
        );
      }
      oid = parent;
    }
  }
  return oid;
}

async function resolveName(dir: string, name: string, rev: string): Promise<string> {
  try {
    return await git.resolveRef({ fs, dir, ref: name });
  } catch {
    // Not a ref name: try it as a (possibly abbreviated) commit id.
  }
  try {
    return await git.expandOid({ fs, dir, oid: name });
  } catch (err) {
    throw new StockadeError('GIT_REF_NOT_FOUND', `revision '${rev}' not found in ${dir}`, {
      data: { revision: rev, dir },
      cause: err,
    });
  }
}

async function hasFolder(gitdir: string, oid: string, folder: string): Promise<boolean> {
  try {
    await listTreeFiles({ gitdir, oid, folder, cache: {} });
    return true;
  } catch (err) {
    if (err instanceof StockadeError && err.code === 'GIT_PATH_NOT_FOUND') return false;
    throw err;
  }
}

async function loadCommit(
  gitdir: string,
  oid: string,
  folder: string,
  config: NodeConfig,
): Promise<{ ok: true; manifests: ManifestSet } | { ok: false; errors: string[] }> {
  const cache = {};
  let files: Map<string, Uint8Array>;
  try {
    files = await readFiles(gitdir, await listTreeFiles({ gitdir, oid, folder, cache }), cache);
  } catch (err) {
    // A commit before the manifest folder existed describes an empty node.
    if (err instanceof StockadeError && err.code === 'GIT_PATH_NOT_FOUND') files = new Map();
    else throw err;
  }

  const result = loadManifests(files, { policy: config.policy });
  if (!result.ok) return { ok: false, errors: result.errors.map(formatDiagnostic) };
  return { ok: true, manifests: result.manifests };
}

function emptyTopology(root: string): Topology {
  return {
    root,
    datasets: {},
    images: {},
    netifs: {},
    jails: {},
    anchors: {},
    tables: {},
    hosts: [],
  };
}

function usageError(message: string): number {
  process.stderr.write(`stockade plan: ${message}\n${USAGE}`);
  return EXIT.USAGE;
}
