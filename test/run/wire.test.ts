// SPDX-License-Identifier: BSD-2-Clause
// The engine over the real loader, compiler and planner (through wire.ts), with the in-memory
// host and Git source: real YAML in, real plan steps out.
import { describe, expect, it } from 'vitest';

import { silentLogger } from '../../src/log/logger.js';
import { createEngine } from '../../src/run/engine.js';
import { createRealDeps } from '../../src/run/wire.js';
import { FakeClock, FakeGit, FakeHost, testConfig } from './fakes.js';
import { tempDir } from './helpers.js';

const MANIFESTS = `apiVersion: stockade/v1
kind: Image
metadata:
  name: base
spec:
  release: 14.3-RELEASE
---
apiVersion: stockade/v1
kind: Network
metadata:
  name: front
spec:
  mode: vnet
  cidr: 10.77.1.0/24
---
apiVersion: stockade/v1
kind: Jail
metadata:
  name: web
spec:
  image: base
  command: ["/usr/local/bin/web"]
  networks:
    - name: front
`;

describe('the engine wired to the real modules', () => {
  it('applies real manifests with the real planner', async () => {
    const dir = await tempDir();
    const config = {
      ...testConfig(dir),
      releases: { '14.3-RELEASE': '/usr/freebsd-dist/base.txz' },
    };
    const real = await createRealDeps(config, silentLogger, {});
    const git = new FakeGit();
    const host = new FakeHost();
    git.push('a'.repeat(40), { 'web.yaml': MANIFESTS });
    const engine = createEngine({ ...real, source: git, host, clock: new FakeClock() });

    const report = await engine.run();
    const bad =
      (git.push('b'.repeat(40), { 'web.yaml': MANIFESTS.replace('image: base', 'image: nope') }),
      await engine.run());

    expect(report).toMatchObject({ result: 'Applied', reason: 'Applied', errors: [] });
    const applied = host.calls
      .filter((c) => c.method === 'applyStep')
      .map((c) => c.args[0] as string);
    expect(applied).toContain('jail.create:web-0');
    expect(Object.keys(host.topology.jails)).toEqual(['web-0']);
    expect(bad).toMatchObject({
      result: 'ValidationFailed',
      reason: 'ManifestInvalid',
      applied: 'a'.repeat(40),
    });
    expect(bad.errors[0]).toMatchObject({ code: 'REF_IMAGE_UNKNOWN', file: 'web.yaml', line: 21 });
  });

  it("refuses a commit that gives a jail one of the host's own addresses", async () => {
    const dir = await tempDir();
    const config = {
      ...testConfig(dir),
      releases: { '14.3-RELEASE': '/usr/freebsd-dist/base.txz' },
    };
    const git = new FakeGit();
    const host = new FakeHost();
    host.hostAddresses = ['10.77.1.5/24'];
    git.push('a'.repeat(40), {
      'web.yaml': MANIFESTS.replace(
        '    - name: front',
        '    - name: front\n      address: 10.77.1.5',
      ),
    });
    const engine = createEngine({
      ...(await createRealDeps(config, silentLogger, {})),
      source: git,
      host,
      clock: new FakeClock(),
    });

    const report = await engine.run();

    expect(report).toMatchObject({
      result: 'ValidationFailed',
      reason: 'ManifestInvalid',
      errors: [{ file: 'web.yaml' }],
    });
    expect(host.calls.filter((c) => c.method === 'applyStep')).toEqual([]);
  });
});
