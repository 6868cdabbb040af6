// SPDX-License-Identifier: BSD-2-Clause
// `stockade history`: the commits this node applied, newest first, with their rollback points.

import { loadConfigOrReport, parseCommand } from '../daemon/cli-common.js';
import { openStateStore } from '../run/state-store.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade history [-c FILE] [--json]

Lists the commits this node applied, newest first: when, the result, the
rollback point taken before it and whether it was a pinned rollback.
'stockade rollback REV' applies one of them again.

options:
  -c, --config FILE  node config (default /usr/local/etc/stockade.yaml)
  --json             print the entries as JSON
  -h, --help         show this help
`;

/** Runs the subcommand; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  const args = parseCommand('history', USAGE, argv);
  if (!args.ok) return args.code;
  const config = await loadConfigOrReport('history', args.values.config);
  if (config === undefined) return EXIT.CONFIG;

  const history = (await openStateStore(config.stateDir).readHistory()).reverse();
  if (args.values.json) {
    process.stdout.write(`${JSON.stringify(history, null, 2)}\n`);
    return EXIT.OK;
  }
  const lines = [
    'COMMIT   APPLIED                   RESULT          ROLLBACK POINT                   MESSAGE',
  ];
  for (const h of history) {
    const result = `${h.result}${h.pinned ? ' (pin)' : ''}`;
    lines.push(
      [
        h.commit.slice(0, 7).padEnd(8),
        h.appliedAt.padEnd(25),
        result.padEnd(15),
        (h.rollbackPoint ?? '-').padEnd(32),
        h.message.split('\n', 1)[0],
      ].join(' '),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.OK;
}
