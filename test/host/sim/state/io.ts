// SPDX-License-Identifier: BSD-2-Clause
// Output and exit plumbing shared by the simulator entry points: synchronous writes to the
// real file descriptors, so bytes are never reordered or lost when a tool exits.

import { writeSync } from 'node:fs';

import { EXIT_NO_STATE, getStateDir, MissingStateDirError } from './store.js';

/** Where a command writes; jexec hands the same object to the in-jail ifconfig. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** The process's own stdout and stderr. */
export const processIo: Io = {
  out: (text) => writeAll(1, text),
  err: (text) => writeAll(2, text),
};

/** A command implementation: argv without the program name, returns the exit status. */
export type ToolMain = (argv: string[], io: Io) => number;

/** Runs a tool as the process's main program and exits with its status. */
export function runTool(tool: string, main: ToolMain): void {
  let code: number;
  try {
    // Refuse before looking at arguments: a simulator without state would be a lie.
    getStateDir();
    code = main(process.argv.slice(2), processIo);
  } catch (error) {
    if (error instanceof MissingStateDirError) {
      processIo.err(`${tool}: simulator: STOCKADE_SIM_STATE is not set\n`);
      code = EXIT_NO_STATE;
    } else {
      processIo.err(`${tool}: simulator internal error: ${(error as Error).stack ?? error}\n`);
      code = 70;
    }
  }
  process.exit(code);
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
        throw error;
      }
    }
  }
}
