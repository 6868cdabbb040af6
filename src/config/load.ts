// SPDX-License-Identifier: BSD-2-Clause
// Reads the node config file, validates it against the schema and applies defaults. Every
// problem is reported with file:line:column and the field; secrets are never read here, only
// where they are used (see readSecret), so they never end up in the config object or a log.

import { readFile } from 'node:fs/promises';

import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

import { ConfigError, type ConfigProblem } from '../errors/config-error.js';
import { NODE_CONFIG_SCHEMA } from './schema.js';
import type { NodeConfig } from './types.js';

/** Where the rc.d script and the CLI look when no `-c FILE` is given. */
export const DEFAULT_CONFIG_PATH = '/usr/local/etc/stockade.yaml';

/** Reads and validates `file`; rejects with ConfigError (CONFIG_INVALID) naming every problem. */
export async function loadNodeConfig(file: string = DEFAULT_CONFIG_PATH): Promise<NodeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const message = `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
    throw new ConfigError(file, [{ file, line: 0, column: 0, field: '', message }], { cause: err });
  }
  return parseNodeConfig(text, file);
}

/** Validates the YAML `text` of a config file named `file`; pure apart from the thrown error. */
export function parseNodeConfig(text: string, file: string): NodeConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, field: '', message: e.message };
      }),
    );
  }

  const value: unknown = doc.toJS() ?? {};
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) =>
      toProblem(e, doc.contents, lineCounter, file),
    );
    throw new ConfigError(file, problems);
  }

  const config = value as unknown as NodeConfig;
  checkSemantics(config, doc.contents, lineCounter, file);
  return config;
}

/**
 * A complete config with every schema default, for commands that run without a config file
 * (`stockade plan --base/--head` in CI, `stockade doctor` before installation, benchmarks). The
 * repository URL is empty: such a config cannot fetch.
 */
export function defaultNodeConfig(
  fields: { name: string; root?: string; externalInterface?: string } = { name: 'localhost' },
): NodeConfig {
  const value = {
    name: fields.name,
    repository: { url: 'none' },
    zfs: { root: fields.root ?? 'zroot/stockade' },
    pf: { externalInterface: fields.externalInterface ?? 'vtnet0' },
  };
  if (!validate(value)) {
    throw new Error(`default node config is invalid: ${ajv.errorsText(validate.errors)}`);
  }
  const config = value as unknown as NodeConfig;
  return { ...config, repository: { ...config.repository, url: '' } };
}

/** Reads a secret from a file (trailing newline dropped) or an environment variable. */
export async function readSecret(
  source: { file?: string | undefined; env?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  if (source.file !== undefined) {
    return (await readFile(source.file, 'utf8')).replace(/\r?\n$/, '');
  }
  if (source.env !== undefined) {
    return env[source.env];
  }
  return undefined;
}

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true, allowUnionTypes: false });
const validate = ajv.compile(NODE_CONFIG_SCHEMA);

function toProblem(
  err: ErrorObject,
  root: YamlNode | null,
  lines: LineCounter,
  file: string,
): ConfigProblem {
  const path = err.instancePath.split('/').slice(1).map(unescapePointer);
  let field = path.join('.');
  let message = err.message ?? 'is invalid';
  if (err.keyword === 'additionalProperties') {
    const extra = String((err.params as { additionalProperty: string }).additionalProperty);
    path.push(extra);
    field = path.join('.');
    message = 'is not a known field';
  } else if (err.keyword === 'required') {
    const missing = String((err.params as { missingProperty: string }).missingProperty);
    field = [...path, missing].join('.');
    message = 'is required';
  }
  const pos = positionOf(root, path, lines, err.keyword === 'additionalProperties');
  return { file, line: pos.line, column: pos.col, field, message };
}

/** The position of the deepest node along `path` that exists; the key itself when `atKey`. */
function positionOf(
  root: YamlNode | null,
  path: string[],
  lines: LineCounter,
  atKey: boolean,
): { line: number; col: number } {
  let node: unknown = root;
  let pos = { line: 1, col: 1 };
  for (const [i, part] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value) === part);
      if (pair === undefined) break;
      const last = i === path.length - 1;
      const target = (last && atKey ? pair.key : (pair.value ?? pair.key)) as YamlNode;
      if (target?.range) pos = lines.linePos(target.range[0]);
      node = target;
    } else if (isSeq(node)) {
      const item = node.items[Number(part)] as YamlNode | undefined;
      if (!item?.range) break;
      pos = lines.linePos(item.range[0]);
      node = item;
    } else {
      break;
    }
  }
  return pos;
}

function unescapePointer(part: string): string {
  return part.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Checks the schema cannot express: a secret source given twice. */
function checkSemantics(
  config: NodeConfig,
  root: YamlNode | null,
  lines: LineCounter,
  file: string,
): void {
  const problems: ConfigProblem[] = [];
  const credentials = config.repository.credentials;
  if (credentials?.passwordFile !== undefined && credentials.passwordEnv !== undefined) {
    const pos = positionOf(root, ['repository', 'credentials', 'passwordEnv'], lines, true);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      field: 'repository.credentials.passwordEnv',
      message: 'give passwordFile or passwordEnv, not both',
    });
  }
  if (config.webhook?.secretFile !== undefined && config.webhook.secretEnv !== undefined) {
    const pos = positionOf(root, ['webhook', 'secretEnv'], lines, true);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      field: 'webhook.secretEnv',
      message: 'give secretFile or secretEnv, not both',
    });
  }
  if (
    config.webhook !== undefined &&
    config.webhook.secretFile === undefined &&
    config.webhook.secretEnv === undefined
  ) {
    const pos = positionOf(root, ['webhook'], lines, true);
    problems.push({
      file,
      line: pos.line,
      column: pos.col,
      field: 'webhook.secretFile',
      message: 'a webhook needs a secret: set secretFile or secretEnv',
    });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);
}
