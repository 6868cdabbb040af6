// SPDX-License-Identifier: BSD-2-Clause
// `stockade rollback REV`: applies an earlier applied commit now and pins the node to it until
// `stockade apply --unpin` or a new commit on the branch.

import { parseCommand, loadConfigOrReport } from '../daemon/cli-common.js';
import { openStateStore } from '../run/state-store.js';
import { applyOnce } from './apply.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade rollback [-c FILE] [--json] REV

Applies REV, a commit this node applied before (a prefix of its id, as
'stockade history' lists them), now. The node is then reported as pinned:
it keeps REV, and the daemon does not move it, until 'stockade apply --unpin'
or until a new commit lands on the branch.

options:
  -c, --config FILE  node config (default /usr/local/etc/stockade.yaml)
  --json             print the run report as JSON
  -h, --help         show this help
`;

/** Runs the subcommand; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  const args = parseCommand('rollback', USAGE, argv, {}, 1);
  if (!args.ok) return args.code;
  const rev = args.positionals[0];
  if (rev === undefined || !/^[0-9a-f]{4,40}$/.test(rev)) {
    process.stderr.write(`stockade rollback: REV must be 4 to 40 hex digits\n${USAGE}`);
    return EXIT.USAGE;
  }
  const config = await loadConfigOrReport('rollback', args.values.config);
  if (config === undefined) return EXIT.CONFIG;

  const history = await openStateStore(config.stateDir).readHistory();
  const matches = [
    ...new Map(history.filter((h) => h.commit.startsWith(rev)).map((h) => [h.commit, h])).values(),
  ];
  if (matches.length !== 1) {
    const why =
      matches.length === 0
        ? 'no applied commit starts with'
        : 'more than one applied commit starts with';
    process.stderr.write(`stockade rollback: ${why} '${rev}'; see stockade history\n`);
    return EXIT.DATAERR;
  }
  const entry = matches[0]!;
  const target = { oid: entry.commit, message: entry.message, author: '', timestamp: 0 };
  return applyOnce('rollback', args.values, { target });
}
