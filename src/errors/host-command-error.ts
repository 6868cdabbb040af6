// SPDX-License-Identifier: BSD-2-Clause
// The error a host tool invocation raises when it cannot be started, times out or exits non-zero.
// It carries the argv and a shell-escaped rendering for people, never a string that was run.

import { StockadeError } from './stockade-error.js';

/** What a failed host command leaves behind for logs and the status file. */
export interface HostCommandFailure {
  argv: string[];
  command: string;
  exitCode: number | undefined;
  signal: string | undefined;
  durationMs: number;
  stderrTail: string;
  timedOut: boolean;
}

/** A host tool failed: code HOST_COMMAND_FAILED; transient when it timed out. */
export class HostCommandError extends StockadeError {
  constructor(failure: HostCommandFailure, options: { cause?: unknown } = {}) {
    super('HOST_COMMAND_FAILED', `failed to run '${failure.command}': ${failure.stderrTail}`, {
      data: { ...failure },
      kind: failure.timedOut ? 'transient' : 'terminal',
      cause: options.cause,
    });
  }

  /** The stderr tail, for callers that branch on a tool's documented error line. */
  get stderrTail(): string {
    return String(this.data['stderrTail'] ?? '');
  }

  get exitCode(): number | undefined {
    const code = this.data['exitCode'];
    return typeof code === 'number' ? code : undefined;
  }
}
