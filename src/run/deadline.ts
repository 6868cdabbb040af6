// SPDX-License-Identifier: BSD-2-Clause
// Bounds a promise by a deadline. The timer never keeps the process alive.

import { DeadlineError } from '../errors/deadline-error.js';

/** Resolves like `work`, or rejects with DeadlineError (DEADLINE_EXCEEDED) after `timeoutMs`. */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  if (!Number.isFinite(timeoutMs)) return work;

  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new DeadlineError(what, timeoutMs)),
      Math.max(0, timeoutMs),
    );
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
