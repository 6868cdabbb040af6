// SPDX-License-Identifier: BSD-2-Clause
// Deploy: the demo pushed as the first commit is cloned over smart HTTP by `stockade run`,
// built and started as two jails that serve its page, and reported on the status branch once;
// an idle poll after that writes no status commit.

import { describe, expect, it } from 'vitest';

import {
  countFinishedRuns,
  countStatusCommits,
  jailAddress,
  listJails,
  httpGet,
  readDemoFile,
  TEST_TIMEOUT_MS,
  useStack,
  waitForApplied,
  waitForRuns,
} from './helpers.js';

describe('deploying the demo with stockade run', () => {
  const stack = useStack({ subnet: 11 });

  it(
    'runs both jails, serves the page and reports the pushed commit',
    async () => {
      const head = await stack().git_(['rev-parse', 'HEAD']);

      const status = await waitForApplied(stack(), head);

      expect(status.applied).toEqual({ commit: head, message: 'Add the application' });
      expect(status.result).toBe('Applied');
      expect(status.errors).toEqual([]);
      expect(status.jails.map((j) => [j.name, j.manifest, j.state, j.health])).toEqual([
        ['web-0', 'web', 'running', 'healthy'],
        ['web-1', 'web', 'running', 'healthy'],
      ]);

      const jails = await listJails(stack());
      expect(Object.keys(jails).sort()).toEqual(['web-0', 'web-1']);
      for (const jail of status.jails) expect(jails[jail.name]).toBe(jail.jid);

      const page = await readDemoFile('www/index.html');
      const addresses = status.jails.map((j) => jailAddress(status, j.name));
      expect(new Set(addresses).size).toBe(2);
      for (const address of addresses) {
        expect(address).toMatch(/^127\.77\.11\.\d+$/);
        expect(await httpGet(address)).toEqual({ status: 200, body: page });
      }

      const markdown = await stack().readStatus('STATUS.md');
      expect(markdown).toContain(
        `| Applied commit | \`${head.slice(0, 7)}\` Add the application |`,
      );
      for (const jail of status.jails) {
        expect(markdown).toContain(
          `| ${jail.name} | running | healthy | ${jail.jid} | ${jail.addresses?.join(', ')} |`,
        );
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'makes no status commit when a poll finds nothing new',
    async () => {
      const head = await stack().git_(['rev-parse', 'HEAD']);
      await waitForApplied(stack(), head);
      const before = await countStatusCommits(stack());
      const jailsBefore = await listJails(stack());

      // Two whole polls, so at least one of them started after the status above was written.
      await waitForRuns(stack(), await countFinishedRuns(stack()), 2);

      expect(await countStatusCommits(stack())).toBe(before);
      expect(await listJails(stack())).toEqual(jailsBefore);
    },
    TEST_TIMEOUT_MS,
  );
});
