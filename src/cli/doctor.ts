// SPDX-License-Identifier: BSD-2-Clause
// `stockade doctor`: checks that the host has what Stockade needs (racct, pf and its anchor
// hooks, if_bridge, epair, the ZFS root, Node.js) and prints each missing piece with its fix.
// Exits 0 when everything is in place, 69 (unavailable) otherwise.

import { parseArgs } from 'node:util';

import { DEFAULT_CONFIG_PATH, defaultNodeConfig, loadNodeConfig } from '../config/load.js';
import type { NodeConfig } from '../config/types.js';
import { createHostDriver } from '../host/driver.js';
import { runChecks, type CheckResult } from '../host/doctor.js';
import type { Runner } from '../host/exec.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade doctor [-c FILE] [--json]

Checks the host prerequisites and prints how to fix what is missing.

options:
  -c, --config FILE  node config (default ${DEFAULT_CONFIG_PATH}; built-in defaults if absent)
      --json         print the results as JSON
  -h, --help         show this help
`;

/** Runs the checks; `runner` is for tests. */
export async function run(argv: string[], options: { runner?: Runner } = {}): Promise<number> {
  let values: { config?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(
      `stockade doctor: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`,
    );
    return EXIT.USAGE;
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }

  let config: NodeConfig;
  try {
    config = await readConfig(values.config);
  } catch (err) {
    process.stderr.write(`stockade doctor: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.CONFIG;
  }

  const driver = createHostDriver(
    config,
    options.runner === undefined ? {} : { runner: options.runner },
  );
  const results = await runChecks(driver.context);
  process.stdout.write(
    values.json === true
      ? `${JSON.stringify({ ok: results.every((r) => r.ok), checks: results }, null, 2)}\n`
      : formatResults(results),
  );
  return results.every((r) => r.ok) ? EXIT.OK : EXIT.UNAVAILABLE;
}

/** Human output: one line per check, each missing piece followed by its fix. */
export function formatResults(results: CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.ok ? 'ok     ' : 'MISSING'} ${r.title}: ${r.detail}`);
    for (const fix of r.fix) {
      lines.push(`        fix: ${fix}`);
    }
  }
  const missing = results.filter((r) => !r.ok).length;
  lines.push(
    '',
    missing === 0 ? 'all checks passed' : `${missing} of ${results.length} checks failed`,
  );
  return `${lines.join('\n')}\n`;
}

async function readConfig(file: string | undefined): Promise<NodeConfig> {
  if (file !== undefined) {
    return loadNodeConfig(file);
  }
  try {
    return await loadNodeConfig(DEFAULT_CONFIG_PATH);
  } catch (err) {
    if (isMissingFile(err)) {
      return defaultNodeConfig();
    }
    throw err;
  }
}

function isMissingFile(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  return (cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
