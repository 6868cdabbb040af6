// SPDX-License-Identifier: BSD-2-Clause
// A broken commit: a manifest that names a network nobody declares is refused before anything
// on the host changes, the jails of the previous commit keep serving with the same JIDs, and the
// status names the file, line and column of the mistake.

import { describe, expect, it } from 'vitest';

import {
  httpGet,
  jailAddress,
  listJails,
  MANIFEST,
  positionOf,
  readDemoFile,
  readWorkFile,
  replaceOnce,
  TEST_TIMEOUT_MS,
  useStack,
  waitForApplied,
  waitForStatus,
} from './helpers.js';

describe('pushing a broken commit', () => {
  const stack = useStack({ subnet: 13 });

  it(
    'refuses it, keeps the previous commit running and points at the error',
    async () => {
      const good = await stack().git_(['rev-parse', 'HEAD']);
      const before = await waitForApplied(stack(), good);
      const jidsBefore = await listJails(stack());
      expect(Object.keys(jidsBefore).sort()).toEqual(['web-0', 'web-1']);

      const broken = replaceOnce(await readWorkFile(stack(), MANIFEST), [
        ['    - name: demo\n', '    - name: backend\n'],
      ]);
      const { line, column } = positionOf(broken, 'backend');
      const bad = await stack().commit('Move web to the backend network', { [MANIFEST]: broken });

      const status = await waitForStatus(
        stack(),
        `commit ${bad.slice(0, 7)} refused`,
        (s) => s.observed === bad,
      );

      expect(status.applied?.commit).toBe(good);
      expect([status.result, status.reason]).toEqual(['ValidationFailed', 'ManifestInvalid']);
      expect(status.errors).toEqual([
        {
          code: 'REF_NETWORK_UNKNOWN',
          message: "no Network named 'backend'",
          file: MANIFEST,
          line,
          column,
          path: 'spec.networks[0].name',
        },
      ]);
      const markdown = await stack().readStatus('STATUS.md');
      expect(markdown).toContain(
        `- ${MANIFEST}:${line}:${column}: spec.networks[0].name: no Network named 'backend' ` +
          '[REF_NETWORK_UNKNOWN]',
      );

      expect(await listJails(stack())).toEqual(jidsBefore);
      // Same instances, and still known healthy: the refused commit's run checked nothing.
      expect(status.jails.map((j) => [j.name, j.state, j.jid, j.health])).toEqual(
        before.jails.map((j) => [j.name, 'running', j.jid, 'healthy']),
      );
      const page = await readDemoFile('www/index.html');
      for (const jail of ['web-0', 'web-1']) {
        expect(await httpGet(jailAddress(before, jail))).toEqual({ status: 200, body: page });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
