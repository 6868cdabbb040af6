// SPDX-License-Identifier: BSD-2-Clause
// Vitest helpers for tests that need the Linux test host: one host per describe block, and a
// root check that skips on a developer's machine but fails in CI, where these tests must run.

import { afterAll, beforeAll, beforeEach } from 'vitest';

import { startTestHost, type StartTestHostOptions, type TestHost } from '../host/testhost.js';

/** What a test that needs root does here: run it, skip it, or fail because CI must run it. */
export type RootRequirement = 'run' | 'skip' | 'fail';

/** Decides from the user id and whether `CI` is set; pure, so it can be tested as any user. */
export function rootRequirement(env: { uid: number | undefined; ci: boolean }): RootRequirement {
  if (env.uid === 0) return 'run';
  return env.ci ? 'fail' : 'skip';
}

/** Why tests were skipped, shown by the reporter next to each of them. */
export const NOT_ROOT_MESSAGE =
  'needs root for the test host (zfs-fuse, chroot, bind mounts): run as root, as CI does';

/**
 * Call at the top of a `describe` body whose tests need root. As root it does nothing and
 * returns true. Otherwise it returns false and every test of the block is skipped with
 * NOT_ROOT_MESSAGE, except in CI, where it throws so the suite fails instead of passing empty.
 */
export function requireRoot(): boolean {
  const requirement = rootRequirement({
    uid: process.getuid?.(),
    ci: process.env.CI !== undefined,
  });
  if (requirement === 'fail') throw new Error(`CI must run these tests, but: ${NOT_ROOT_MESSAGE}`);
  if (requirement === 'skip') {
    beforeEach((context) => {
      context.skip(NOT_ROOT_MESSAGE);
    });
    return false;
  }
  return true;
}

/**
 * Starts a test host before the tests of the enclosing `describe` block and stops it after
 * them. Returns an accessor for the running host. Not being root is handled as requireRoot
 * does; then the host is never started and the accessor throws.
 */
export function useTestHost(options: StartTestHostOptions = {}): () => TestHost {
  let host: TestHost | undefined;
  if (!requireRoot()) return () => notStarted();

  // Building the release and a first apt-get install in CI can take minutes.
  beforeAll(async () => {
    host = await startTestHost(options);
  }, 600_000);
  afterAll(async () => {
    await host?.stop();
  }, 300_000);
  return () => host ?? notStarted();
}

function notStarted(): never {
  throw new Error('the test host is not running: it starts in beforeAll of this describe block');
}
