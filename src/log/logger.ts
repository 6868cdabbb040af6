// SPDX-License-Identifier: BSD-2-Clause
// The root pino logger. Every component takes a child of it with fields from FIELDS only;
// secrets are redacted by path so a token never reaches a log line.

import pino, { type Logger } from 'pino';

/** The only field names log lines carry besides pino's own. */
export const FIELDS = [
  'commit',
  'step',
  'jail',
  'dataset',
  'iface',
  'action',
  'argv',
  'exitCode',
  'durationMs',
  'err',
  'node',
  'run',
] as const;

/** Paths whose values are replaced before a line is written. */
export const REDACT_PATHS = [
  'password',
  'token',
  'secret',
  '*.password',
  '*.token',
  '*.secret',
  'headers.authorization',
  '*.headers.authorization',
];

export type { Logger };

/** Makes the root logger; `destination` defaults to stderr so stdout stays for results. */
export function createLogger(
  options: { level?: string; destination?: pino.DestinationStream } = {},
): Logger {
  return pino(
    {
      level: options.level ?? process.env['STOCKADE_LOG_LEVEL'] ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    options.destination ?? pino.destination(2),
  );
}

/** A logger that writes nothing, for pure tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: 'silent' });
