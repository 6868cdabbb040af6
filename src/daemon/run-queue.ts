// SPDX-License-Identifier: BSD-2-Clause
// One run at a time: a trigger while idle starts a run; triggers that arrive during a run
// coalesce into exactly one more run after it.

/** The queue's handle. */
export interface RunQueue {
  /** Asks for a run; resolves when a run that started after this call has finished. */
  trigger(reason: string): Promise<void>;
  /** Resolves when no run is running or pending. */
  idle(): Promise<void>;
  readonly running: boolean;
  /** Runs started so far. */
  readonly runs: number;
}

/** Makes a queue around `run`, which receives the reasons coalesced into it. */
export function createRunQueue(run: (reasons: string[]) => Promise<void>): RunQueue {
  let current: Promise<void> | undefined;
  let pending: string[] = [];
  let next: Promise<void> | undefined;
  let runs = 0;

  const start = (reasons: string[]): Promise<void> => {
    runs += 1;
    current = run(reasons).finally(() => {
      current = undefined;
    });
    return current;
  };

  const trigger = (reason: string): Promise<void> => {
    if (current === undefined) return start([reason]);
    pending.push(reason);
    // Every trigger during a run shares the one follow-up run.
    const follow = (): Promise<void> => {
      const reasons = pending;
      pending = [];
      next = undefined;
      return start(reasons);
    };
    // The follow-up runs whether the current run resolved or rejected.
    next ??= current.then(follow, follow);
    return next;
  };

  return {
    trigger,
    idle: async () => {
      while (current !== undefined || next !== undefined) {
        await (next ?? current)?.then(
          () => undefined,
          () => undefined,
        );
      }
    },
    get running() {
      return current !== undefined;
    },
    get runs() {
      return runs;
    },
  };
}
