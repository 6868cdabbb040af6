// SPDX-License-Identifier: BSD-2-Clause
// The node config file could not be read or does not match the schema. The administrator must
// fix the file; every problem carries the file, line, column and field it concerns.

import { StockadeError } from './stockade-error.js';

/** One problem in the node config, positioned like a compiler diagnostic. */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted field path, e.g. repository.url; empty for the whole document. */
  field: string;
  message: string;
}

/** Raised by loadNodeConfig with every problem found in the file. */
export class ConfigError extends StockadeError {
  constructor(file: string, problems: ConfigProblem[], options: { cause?: unknown } = {}) {
    const first = problems[0];
    const where = first === undefined ? file : `${first.file}:${first.line}:${first.column}`;
    const what = first === undefined ? 'invalid' : `${first.field}: ${first.message}`;
    super('CONFIG_INVALID', `${where}: ${what}`, {
      data: { file, problems },
      kind: 'terminal',
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
  }

  /** The problems, typed. */
  get problems(): ConfigProblem[] {
    return this.data['problems'] as ConfigProblem[];
  }
}
