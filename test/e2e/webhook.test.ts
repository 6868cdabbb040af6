// SPDX-License-Identifier: BSD-2-Clause
// The webhook: with a poll interval of five minutes, a GitHub push event signed with the shared
// secret makes the daemon apply a pushed commit at once, while the same event with a bad
// signature is refused with 401 and starts nothing.

import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import type { Stack } from '../host/stack.js';
import {
  countLogLines,
  countStatusCommits,
  httpPost,
  MANIFEST,
  readNodeStatus,
  readWorkFile,
  replaceOnce,
  TEST_TIMEOUT_MS,
  useStack,
  waitForApplied,
  waitForRuns,
  countFinishedRuns,
} from './helpers.js';

/** Longer than the whole file runs, so only the boot run and webhooks can start a run. */
const POLL_SECONDS = 300;
/** How soon a webhook must lead to the commit being applied: far below the poll interval. */
const WEBHOOK_APPLY_MS = 60_000;

/** A GitHub push event for `commit` on main, and its headers signed with `secret`. */
function pushEvent(
  commit: string,
  secret: string,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    after: commit,
    repository: { full_name: 'developer/site' },
  });
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${signature}`,
    },
  };
}

function webhookUrl(stack: Stack): string {
  if (stack.webhookUrl === undefined) throw new Error('the stack has no webhook');
  return `${stack.webhookUrl}/webhook`;
}

describe('the webhook of stockade run', () => {
  const stack = useStack({ subnet: 14, pollInterval: POLL_SECONDS, webhook: true });
  let first: string;
  let pushed: string;

  it(
    'refuses a push event with a bad signature and starts no run',
    async () => {
      first = await stack().git_(['rev-parse', 'HEAD']);
      await waitForApplied(stack(), first);
      const manifest = replaceOnce(await readWorkFile(stack(), MANIFEST), [
        ['memory: 64M', 'memory: 96M'],
      ]);
      pushed = await stack().commit('Give web 96M', { [MANIFEST]: manifest });
      const statusCommits = await countStatusCommits(stack());
      const runs = await countLogLines(stack(), 'run started');

      const forged = pushEvent(pushed, `${stack().webhookSecret}x`);
      expect(await httpPost(webhookUrl(stack()), forged.headers, forged.body)).toBe(401);
      const unsigned = pushEvent(pushed, stack().webhookSecret);
      delete unsigned.headers['x-hub-signature-256'];
      expect(await httpPost(webhookUrl(stack()), unsigned.headers, unsigned.body)).toBe(401);

      // A run would start within milliseconds of an accepted event; give one time to show up.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(await countLogLines(stack(), 'run started')).toBe(runs);
      expect(await countStatusCommits(stack())).toBe(statusCommits);
      expect((await readNodeStatus(stack()))?.applied?.commit).toBe(first);
      expect(await stack().hostTool('rctl', ['jail:web-0'])).toContain(
        'jail:web-0:memoryuse:deny=67108864',
      );
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'applies the pushed commit right after a signed push event',
    async () => {
      const runs = await countFinishedRuns(stack());
      const event = pushEvent(pushed, stack().webhookSecret);

      expect(await httpPost(webhookUrl(stack()), event.headers, event.body)).toBe(202);

      const status = await waitForApplied(stack(), pushed, WEBHOOK_APPLY_MS);
      expect(status.applied).toEqual({ commit: pushed, message: 'Give web 96M' });
      await waitForRuns(stack(), runs, 1);
      for (const jail of ['web-0', 'web-1']) {
        expect(await stack().hostTool('rctl', [`jail:${jail}`])).toContain(
          `jail:${jail}:memoryuse:deny=${96 * 2 ** 20}`,
        );
      }
    },
    TEST_TIMEOUT_MS,
  );
});
