// SPDX-License-Identifier: BSD-2-Clause
// `stockade validate [DIR]`: loads a manifest folder and reports every error with its file,
// line, column and field, or a one-line summary of what the folder defines.

import { parseArgs } from 'node:util';

import { loadNodeConfig } from '../config/load.js';
import type { PolicyConfig } from '../config/types.js';
import { ConfigError } from '../errors/config-error.js';
import { ManifestDirError } from '../errors/manifest-dir-error.js';
import { formatDiagnostic, type Diagnostic } from '../manifest/diagnostic.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { readManifestDir } from '../manifest/read-dir.js';
import type { ManifestSet } from '../manifest/types.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade validate [--json] [-c FILE] [--host-address ADDR]... [DIR]

Checks every manifest under DIR (default: the current folder) and prints one
line per problem as file:line:col: field: message. Exits 0 when the folder is
valid, 65 when it is not, 78 when the node config cannot be used.

options:
  --json               print { ok, counts, errors, warnings } on stdout
  -c, --config FILE    also check against this node config's policy (allowed
                       jail parameters, memory, pcpu and replica ceilings)
  --host-address ADDR  an address of this host that no manifest may claim
                       (repeatable)
  -h, --help           show this help
`;

/** Counts of each kind, in the order they are reported. */
export interface KindCounts {
  networks: number;
  volumes: number;
  images: number;
  jails: number;
  services: number;
  nodes: number;
}

/** Runs the subcommand; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        config: { type: 'string', short: 'c' },
        'host-address': { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(
      `stockade validate: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`,
    );
    return EXIT.USAGE;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  if (args.positionals.length > 1) {
    process.stderr.write(`stockade validate: one folder at most\n${USAGE}`);
    return EXIT.USAGE;
  }

  const dir = args.positionals[0] ?? '.';
  let files: Map<string, Uint8Array>;
  try {
    files = await readManifestDir(dir);
  } catch (err) {
    if (!(err instanceof ManifestDirError)) {
      throw err;
    }
    process.stderr.write(`stockade validate: ${err.message}\n`);
    return err.reason === 'unreadable' ? EXIT.USAGE : EXIT.DATAERR;
  }

  let policy: PolicyConfig | undefined;
  if (args.values.config !== undefined) {
    try {
      policy = (await loadNodeConfig(args.values.config)).policy;
    } catch (err) {
      if (!(err instanceof ConfigError)) {
        throw err;
      }
      const lines = err.problems.map(
        (p) => `${p.file}:${p.line}:${p.column}: ${p.field}: ${p.message}`,
      );
      process.stderr.write(
        `stockade validate: the node config cannot be used\n${lines.join('\n')}\n`,
      );
      return EXIT.CONFIG;
    }
  }

  const result = loadManifests(files, { hostAddresses: args.values['host-address'], policy });
  report(result, args.values.json);
  return result.ok ? EXIT.OK : EXIT.DATAERR;
}

/** Counts of each kind in a set. */
export function countKinds(set: ManifestSet): KindCounts {
  return {
    networks: set.networks.length,
    volumes: set.volumes.length,
    images: set.images.length,
    jails: set.jails.length,
    services: set.services.length,
    nodes: set.nodes.length,
  };
}

/** The summary line, e.g. `ok: 2 networks, 1 volume, 3 images, 4 jails, 2 services, 0 nodes`. */
export function formatSummary(counts: KindCounts): string {
  const parts = Object.entries(counts).map(([plural, n]) => {
    const word = n === 1 ? plural.slice(0, -1) : plural;
    return `${n} ${word}`;
  });
  return `ok: ${parts.join(', ')}`;
}

function report(result: LoadResult, json: boolean): void {
  const counts = result.ok ? countKinds(result.manifests) : undefined;
  const errors = result.ok ? [] : result.errors;
  if (json) {
    const body = { ok: result.ok, counts: counts ?? null, errors, warnings: result.warnings };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }

  const lines = [
    ...errors.map((d) => formatDiagnostic(d)),
    ...result.warnings.map((d: Diagnostic) =>
      formatDiagnostic({ ...d, message: `warning: ${d.message}` }),
    ),
  ];
  if (lines.length > 0) {
    process.stderr.write(`${lines.join('\n')}\n`);
  }
  if (counts !== undefined) {
    process.stdout.write(`${formatSummary(counts)}\n`);
  } else {
    process.stderr.write(`${errors.length} error(s), ${result.warnings.length} warning(s)\n`);
  }
}
