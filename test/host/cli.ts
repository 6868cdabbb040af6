// SPDX-License-Identifier: BSD-2-Clause
// `npm run testhost -- up|down|env`: a test host that outlives the command, for working by
// hand. `up` records the host in .testhost/ (git-ignored) and prints `export` lines to eval;
// `down` tears the recorded host down; `env` prints the exports again.

import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { EXIT } from '../../src/cli/exit-codes.js';
import { ensureSystemPackages } from './deps.js';
import { testHostStateDir } from './paths.js';
import {
  openTestHost,
  shellQuote,
  startTestHost,
  teardownTestHost,
  toRecord,
  type TestHostRecord,
} from './testhost.js';
import { listPools } from './zfs-pool.js';

/** Runs one subcommand and resolves to the exit code. */
export async function runTestHostCli(
  argv: string[],
  stateDir = testHostStateDir(),
): Promise<number> {
  const [command, ...rest] = argv;
  const files = {
    record: path.join(stateDir, 'host.json'),
    config: path.join(stateDir, 'stockade.yaml'),
  };
  switch (command) {
    case 'up':
      return bringUp(files, rest.includes('--install'));
    case 'down':
      return bringDown(files);
    case 'env':
      return printEnv(files);
    default:
      process.stderr.write(USAGE);
      return command === undefined || command === '--help' ? EXIT.OK : EXIT.USAGE;
  }
}

/**
 * The `export` lines for a recorded host, each value single-quoted for sh. PATH puts the
 * host's bin folder before the caller's own PATH, not before the one this process ran with.
 */
export function formatExports(record: TestHostRecord, configFile: string): string {
  const env = Object.entries(record.env).filter(([name]) => name !== 'PATH');
  const vars: Record<string, string> = {
    ...Object.fromEntries(env),
    STOCKADE_TESTHOST_POOL: record.poolRecord.name,
    STOCKADE_TESTHOST_ROOT: record.root,
    STOCKADE_TESTHOST_MOUNT: record.poolRecord.mountpoint,
    STOCKADE_TESTHOST_RELEASE: record.releaseArchive,
    STOCKADE_TESTHOST_CONFIG: configFile,
  };
  const lines = [`export PATH=${shellQuote(record.binDir)}:"$PATH"`];
  for (const [name, value] of Object.entries(vars))
    lines.push(`export ${name}=${shellQuote(value)}`);
  return `${lines.join('\n')}\n`;
}

const USAGE = [
  'usage: npm run testhost -- <command>',
  '',
  '  up [--install]  start a test host that stays up, print export lines (eval "$(...)")',
  '  down            tear the recorded test host down',
  '  env             print the export lines of the running test host again',
  '',
].join('\n');

interface Files {
  record: string;
  config: string;
}

async function bringUp(files: Files, wantInstall: boolean): Promise<number> {
  const install = wantInstall || process.env.CI !== undefined;
  const existing = await readRecord(files.record);
  if (existing !== undefined) {
    // The record is only a hint: the host is up if its pool is, whatever the file says.
    const systemTools = await ensureSystemPackages({ install });
    if ((await listPools(systemTools)).includes(existing.poolRecord?.name)) {
      process.stderr.write('testhost: already up; printing its exports again\n');
      process.stdout.write(formatExports(existing, files.config));
      return EXIT.OK;
    }
    // Its pool is gone (the machine restarted, say): clear what is left before starting anew.
    await teardownTestHost({ ...existing, systemTools }).catch(() => undefined);
    await rm(files.record, { force: true });
  }

  const host = await startTestHost({ install });
  const record = toRecord(host);
  await mkdir(path.dirname(files.record), { recursive: true });
  await writeFile(files.record, `${JSON.stringify(record, null, 2)}\n`);
  // JSON is YAML: the resolved config doubles as a stockade.yaml for `stockade -c`.
  await writeFile(files.config, `${JSON.stringify(host.nodeConfig(), null, 2)}\n`);
  await chmod(files.record, 0o600);
  process.stderr.write(`testhost: up, pool ${host.pool} mounted at ${host.mountRoot}\n`);
  process.stdout.write(formatExports(record, files.config));
  return EXIT.OK;
}

async function bringDown(files: Files): Promise<number> {
  const record = await readRecord(files.record);
  if (record === undefined) {
    process.stderr.write('testhost: no test host is up\n');
    return EXIT.OK;
  }

  await openTestHost(record).stop();
  await rm(files.record, { force: true });
  await rm(files.config, { force: true });
  process.stderr.write(`testhost: down, pool ${record.poolRecord.name} destroyed\n`);
  return EXIT.OK;
}

async function printEnv(files: Files): Promise<number> {
  const record = await readRecord(files.record);
  if (record === undefined) {
    process.stderr.write('testhost: no test host is up; run: npm run testhost -- up\n');
    return EXIT.UNAVAILABLE;
  }
  process.stdout.write(formatExports(record, files.config));
  return EXIT.OK;
}

async function readRecord(file: string): Promise<TestHostRecord | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as TestHostRecord);
}

// Run only as the program itself, not when a test imports the module.
if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  runTestHostCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      const detail = err instanceof Error ? err.message : String(err);
      const cause =
        err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      process.stderr.write(`testhost: ${detail}${cause}\n`);
      process.exitCode = EXIT.SOFTWARE;
    },
  );
}
