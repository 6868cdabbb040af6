// SPDX-License-Identifier: BSD-2-Clause
// `stockade run`: the daemon, in the foreground (rc.d puts it under daemon(8)). With
// --check-config it only validates the node config, for the rc.d script's start_precmd.

import { startDaemon } from '../daemon/daemon.js';
import { loadConfigOrReport, parseCommand } from '../daemon/cli-common.js';
import { loadNodeConfig } from '../config/load.js';
import { LockHeldError } from '../errors/lock-held-error.js';
import { ConfigError } from '../errors/config-error.js';
import { createLogger } from '../log/logger.js';
import { createRealEngine } from '../run/wire.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade run [-c FILE] [--check-config]

Runs the Stockade daemon in the foreground: applies the tracked branch at
start, then on every poll interval and on each verified webhook push, and
writes the status branch. SIGTERM stops after the running host step; SIGHUP
reloads the config. Logs go to stderr as JSON lines.

options:
  -c, --config FILE  node config (default /usr/local/etc/stockade.yaml)
  --check-config     only check the config and exit (0 valid, 78 not)
  -h, --help         show this help
`;

/** Runs the subcommand; resolves with the exit code once the daemon has stopped. */
export async function run(argv: string[]): Promise<number> {
  const args = parseCommand<{ 'check-config': boolean }>('run', USAGE, argv, {
    'check-config': { type: 'boolean', default: false },
  });
  if (!args.ok) return args.code;
  const config = await loadConfigOrReport('run', args.values.config);
  if (config === undefined) return EXIT.CONFIG;
  if (args.values['check-config']) {
    process.stdout.write(`${args.values.config}: valid config for node ${config.name}\n`);
    return EXIT.OK;
  }

  const logger = createLogger();
  try {
    const daemon = await startDaemon({
      configPath: args.values.config,
      loadConfig: loadNodeConfig,
      build: (c, l) => createRealEngine(c, l),
      logger,
    });
    await daemon.done;
    return EXIT.OK;
  } catch (err) {
    if (err instanceof LockHeldError) {
      process.stderr.write(`stockade run: already running as pid ${String(err.data['pid'])}\n`);
      return EXIT.TEMPFAIL;
    }
    if (err instanceof ConfigError) return EXIT.CONFIG;
    throw err;
  }
}
