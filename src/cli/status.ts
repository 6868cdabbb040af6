// SPDX-License-Identifier: BSD-2-Clause
// `stockade status`: this node's last run, read from the state directory.

import { formatReport, loadConfigOrReport, parseCommand } from '../daemon/cli-common.js';
import { openStateStore } from '../run/state-store.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade status [-c FILE] [--json]

Prints the last run of this node: the commit it runs, the result, the plan,
each jail's state and health, and errors with file:line. Exits 69 when no run
has been recorded yet.

options:
  -c, --config FILE  node config (default /usr/local/etc/stockade.yaml)
  --json             print the run report as JSON
  -h, --help         show this help
`;

/** Runs the subcommand; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  const args = parseCommand('status', USAGE, argv);
  if (!args.ok) return args.code;
  const config = await loadConfigOrReport('status', args.values.config);
  if (config === undefined) return EXIT.CONFIG;

  const store = openStateStore(config.stateDir);
  const report = await store.readLastRun();
  if (report === undefined) {
    process.stderr.write(`stockade status: no run recorded in ${config.stateDir} yet\n`);
    return EXIT.UNAVAILABLE;
  }
  const journal = await store.readJournal();
  if (args.values.json) {
    process.stdout.write(
      `${JSON.stringify({ ...report, ...(journal === undefined ? {} : { inProgress: journal }) }, null, 2)}\n`,
    );
    return EXIT.OK;
  }
  process.stdout.write(`node       ${config.name}\n${formatReport(report)}`);
  if (journal !== undefined) {
    // A run in progress, or one that stopped without finishing: the next run repairs it.
    const started = `${journal.commit.slice(0, 7)} reached ${journal.phase} (started ${journal.startedAt})`;
    process.stdout.write(`unfinished ${started}\n`);
  }
  return EXIT.OK;
}
