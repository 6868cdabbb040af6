// SPDX-License-Identifier: BSD-2-Clause
// What the apply, run, status, history and rollback subcommands share: option parsing with
// `-c FILE`, loading the node config with its errors printed as file:line, the exit code of a
// run report (sysexits) and the human rendering of a report.

import { parseArgs, type ParseArgsConfig } from 'node:util';

import { EXIT } from '../cli/exit-codes.js';
import { DEFAULT_CONFIG_PATH, loadNodeConfig } from '../config/load.js';
import type { NodeConfig } from '../config/types.js';
import { ConfigError } from '../errors/config-error.js';
import type { RunReport } from '../run/report.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed arguments, or the exit code to return at once (usage error or --help). */
export type Parsed<V> =
  { ok: true; values: V; positionals: string[] } | { ok: false; code: number };

/** Parses `argv` with `-c/--config`, `--json` and `-h/--help` added to `options`. */
export function parseCommand<V extends Record<string, unknown>>(
  name: string,
  usage: string,
  argv: string[],
  options: Options = {},
  positionals = 0,
): Parsed<V & { config: string; json: boolean }> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: positionals > 0,
      options: {
        config: { type: 'string', short: 'c', default: DEFAULT_CONFIG_PATH },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...options,
      },
    });
  } catch (err) {
    process.stderr.write(
      `stockade ${name}: ${err instanceof Error ? err.message : String(err)}\n${usage}`,
    );
    return { ok: false, code: EXIT.USAGE };
  }
  if (parsed.values['help'] === true) {
    process.stdout.write(usage);
    return { ok: false, code: EXIT.OK };
  }
  if (parsed.positionals.length > positionals) {
    process.stderr.write(`stockade ${name}: too many arguments\n${usage}`);
    return { ok: false, code: EXIT.USAGE };
  }
  return {
    ok: true,
    values: parsed.values as unknown as V & { config: string; json: boolean },
    positionals: parsed.positionals,
  };
}

/** Loads the node config; on error prints every problem as file:line:col: field: message. */
export async function loadConfigOrReport(
  name: string,
  path: string,
): Promise<NodeConfig | undefined> {
  try {
    return await loadNodeConfig(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const p of err.problems) {
      process.stderr.write(
        `stockade ${name}: ${p.file}:${p.line}:${p.column}: ${p.field || '(file)'}: ${p.message}\n`,
      );
    }
    return undefined;
  }
}

/** The process exit code for a run report, from sysexits(3). */
export function exitCodeOf(report: RunReport): number {
  switch (report.result) {
    case 'Applied':
    case 'NoChange':
      return EXIT.OK;
    case 'ValidationFailed':
    case 'Refused':
      return EXIT.DATAERR;
    case 'RolledBack':
      return EXIT.ERROR;
    case 'Failed':
      if (report.reason === 'SourceUnavailable') return EXIT.UNAVAILABLE;
      if (report.reason === 'Aborted' || report.reason === 'DeadlineExceeded') return EXIT.TEMPFAIL;
      return EXIT.ERROR;
  }
}

/** A run report for a person: one labelled line per fact. */
export function formatReport(report: RunReport): string {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(10)} ${value}`);
  row('result', `${report.result} (${report.reason}): ${report.message}`);
  row(
    'commit',
    report.commit === undefined
      ? '-'
      : `${report.commit.oid.slice(0, 7)} ${report.commit.message.split('\n', 1)[0]}`,
  );
  row(
    'applied',
    `${report.applied?.slice(0, 7) ?? '-'}${report.pinned ? ' (pinned: stockade apply --unpin follows the branch again)' : ''}`,
  );
  if (report.plan !== undefined) {
    const p = report.plan;
    row('plan', `+${p.create} ~${p.change} -${p.destroy} ±${p.replace} in ${p.steps} step(s)`);
  }
  if (report.failedStep !== undefined) row('failed', report.failedStep);
  if (report.rollbackPoint !== undefined) row('snapshot', report.rollbackPoint);
  if (report.recovered !== undefined) {
    row(
      'recovered',
      `a run of ${report.recovered.commit.slice(0, 7)} stopped in ${report.recovered.phase}`,
    );
  }
  for (const j of report.jails) {
    const jid = j.jid === undefined ? '' : ` jid ${j.jid}`;
    const addresses = j.addresses === undefined ? '' : ` ${j.addresses.join(' ')}`;
    row('jail', `${j.name} ${j.state} ${j.health}${jid}${addresses}`);
  }
  for (const e of report.errors) {
    const where = e.file === undefined ? '' : `${e.file}:${e.line ?? 0}:${e.column ?? 0}: `;
    row(
      'error',
      `${where}${e.path === undefined ? '' : `${e.path}: `}${e.message} [${e.code}]${e.command === undefined ? '' : ` (${e.command})`}`,
    );
  }
  for (const w of report.warnings) row('warning', w);
  row('duration', `${(report.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
