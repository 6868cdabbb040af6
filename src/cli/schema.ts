// SPDX-License-Identifier: BSD-2-Clause
// `stockade schema [KIND]` prints the JSON Schema of one kind or the bundle of all kinds;
// `--write DIR` writes one file per kind plus the bundle, for yaml-language-server.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { bundleSchema, kindSchema, type JsonSchema } from '../manifest/schemas.js';
import { KINDS, type Kind } from '../manifest/types.js';
import { EXIT } from './exit-codes.js';

const USAGE = `usage: stockade schema [KIND]
       stockade schema --write DIR

Prints the JSON Schema (draft 2020-12) of KIND (${KINDS.join(', ')}; any case),
or of every kind as one schema when KIND is left out. With --write, writes
DIR/<kind>.schema.json for each kind and DIR/stockade.schema.json.

options:
  --write DIR  write the schema files into DIR (created if missing)
  -h, --help   show this help
`;

/** Runs the subcommand; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { write: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (err) {
    process.stderr.write(
      `stockade schema: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`,
    );
    return EXIT.USAGE;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }

  if (args.values.write !== undefined) {
    if (args.positionals.length > 0) {
      process.stderr.write(`stockade schema: --write takes no KIND\n${USAGE}`);
      return EXIT.USAGE;
    }
    const written = await writeSchemas(args.values.write);
    process.stdout.write(`wrote ${written.length} schema files to ${args.values.write}\n`);
    return EXIT.OK;
  }

  if (args.positionals.length > 1) {
    process.stderr.write(`stockade schema: one KIND at most\n${USAGE}`);
    return EXIT.USAGE;
  }
  const name = args.positionals[0];
  if (name === undefined) {
    process.stdout.write(render(bundleSchema()));
    return EXIT.OK;
  }
  const kind = findKind(name);
  if (kind === undefined) {
    process.stderr.write(`stockade schema: unknown kind '${name}'; kinds: ${KINDS.join(', ')}\n`);
    return EXIT.USAGE;
  }
  process.stdout.write(render(kindSchema(kind)));
  return EXIT.OK;
}

/** Writes `<kind>.schema.json` per kind and `stockade.schema.json`; returns the file paths. */
export async function writeSchemas(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const kind of KINDS) {
    const file = path.join(dir, `${kind.toLowerCase()}.schema.json`);
    await writeFile(file, render(kindSchema(kind)));
    written.push(file);
  }
  const bundle = path.join(dir, 'stockade.schema.json');
  await writeFile(bundle, render(bundleSchema()));
  written.push(bundle);
  return written;
}

/** The kind named `name`, compared without case. */
export function findKind(name: string): Kind | undefined {
  return KINDS.find((k) => k.toLowerCase() === name.toLowerCase());
}

function render(schema: JsonSchema): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}
