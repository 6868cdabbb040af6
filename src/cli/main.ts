#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the stockade command: finds the subcommand and hands it the remaining
// arguments. Each subcommand lives in its own module, loaded only when it runs.

import { EXIT } from './exit-codes.js';

/** A subcommand module exports `run(argv)` resolving to the process exit code. */
interface Command {
  run(argv: string[]): Promise<number>;
}

// Add a line here when a subcommand module lands in this folder.
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  validate: { summary: 'check the manifests of a folder', load: () => load('validate') },
  schema: { summary: 'print the JSON Schema of a kind', load: () => load('schema') },
  plan: { summary: 'show what a change would do to a node', load: () => load('plan') },
  doctor: { summary: 'check the host prerequisites', load: () => load('doctor') },
  apply: { summary: 'converge this host to the branch now', load: () => load('apply') },
  run: { summary: 'run the daemon in the foreground', load: () => load('run') },
  status: { summary: "show this node's last run", load: () => load('status') },
  history: { summary: 'list the commits this node applied', load: () => load('history') },
  rollback: { summary: 'apply an earlier commit now and pin it', load: () => load('rollback') },
};

function load(name: string): Promise<Command> {
  return import(`./${name}.js`) as Promise<Command>;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['usage: stockade <command> [options]', '', 'commands:', ...lines, ''].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }

  const entry = COMMANDS[name];
  if (entry === undefined) {
    process.stderr.write(`stockade: unknown command '${name}'\n${usage()}`);
    return EXIT.USAGE;
  }

  let command: Command;
  try {
    command = await entry.load();
  } catch (err) {
    process.stderr.write(`stockade: command '${name}' is not available: ${String(err)}\n`);
    return EXIT.SOFTWARE;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(
      `stockade: internal error: ${err instanceof Error ? err.stack : String(err)}\n`,
    );
    process.exitCode = EXIT.SOFTWARE;
  },
);
