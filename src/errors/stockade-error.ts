// SPDX-License-Identifier: BSD-2-Clause
// The base of every error Stockade raises. Errors are data: they carry a stable code, the
// offending values and whether retrying can help, and they serialize to JSON for the status file.

/** How a caller should react to an error. */
export type ErrorKind = 'terminal' | 'transient' | 'waiting';

/** Base class: a stable SCREAMING_SNAKE `code`, a `data` object and an optional `cause`. */
export class StockadeError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly data: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { data?: Record<string, unknown>; kind?: ErrorKind; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.kind = options.kind ?? 'terminal';
    this.data = options.data ?? {};
  }

  /** A plain object for logs and the status file; the cause is flattened to its message. */
  toJSON(): Record<string, unknown> {
    const cause = this.cause;
    return {
      name: this.name,
      code: this.code,
      kind: this.kind,
      message: this.message,
      data: this.data,
      ...(cause === undefined
        ? {}
        : { cause: cause instanceof StockadeError ? cause.toJSON() : String(cause) }),
    };
  }
}

/** True when `err` is a StockadeError with the given code. */
export function hasCode(err: unknown, code: string): err is StockadeError {
  return err instanceof StockadeError && err.code === code;
}
