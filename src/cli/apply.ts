// SPDX-License-Identifier: BSD-2-Clause
// `stockade apply`: one run now, with the same engine as the daemon, then the status write.

import { acquireLock } from '../daemon/lock.js';
import {
  exitCodeOf,
  formatReport,
  loadConfigOrReport,
  parseCommand,
} from '../daemon/cli-common.js';
import { LockHeldError } from '../errors/lock-held-error.js';
import { createLogger } from '../log/logger.js';
import { publishStatus } from '../status/publish.js';
import { createRealEngine } from '../run/wire.js';
import type { RunOptions } from '../run/engine.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade apply [-c FILE] [--json] [--unpin] [--no-status]

Fetches the tracked branch and converges this host to it now: validate,
compile, observe, plan, snapshot, apply, health gate, record. A failure after
the snapshot is rolled back. Exit codes: 0 applied or nothing to do, 65 the
commit is invalid or refused, 1 rolled back, 69 repository unreachable,
75 another apply holds the lock, 78 bad config.

options:
  -c, --config FILE  node config (default /usr/local/etc/stockade.yaml)
  --json             print the run report as JSON
  --unpin            drop a pin left by 'stockade rollback' and follow the branch
  --no-status        do not write the status branch
  -h, --help         show this help
`;

/** Runs the subcommand; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  const args = parseCommand<{ unpin: boolean; 'no-status': boolean }>('apply', USAGE, argv, {
    unpin: { type: 'boolean', default: false },
    'no-status': { type: 'boolean', default: false },
  });
  if (!args.ok) return args.code;
  return applyOnce('apply', args.values, { ...(args.values.unpin ? { unpin: true } : {}) });
}

/** One locked run with `options`, its report printed; shared with `stockade rollback`. */
export async function applyOnce(
  name: string,
  values: { config: string; json: boolean; 'no-status'?: boolean },
  options: RunOptions,
): Promise<number> {
  const config = await loadConfigOrReport(name, values.config);
  if (config === undefined) return EXIT.CONFIG;

  let lock;
  try {
    lock = await acquireLock(config.stateDir);
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err;
    process.stderr.write(
      `stockade ${name}: another stockade (pid ${String(err.data['pid'])}) is applying; try again later\n`,
    );
    return EXIT.TEMPFAIL;
  }
  try {
    const logger = createLogger();
    const { engine, source } = await createRealEngine(config, logger);
    const report = await engine.run(options);
    if (values['no-status'] !== true) {
      await publishStatus({
        node: config.name,
        labels: config.labels,
        report,
        source,
        store: engine.store,
        logger,
      });
    }
    process.stdout.write(
      values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
    );
    return exitCodeOf(report);
  } finally {
    await lock.release();
  }
}
