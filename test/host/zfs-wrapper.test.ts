// SPDX-License-Identifier: BSD-2-Clause
// The test host's zfs wrapper runs the real zfs with the system's tools: zfs-fuse unmounts a
// dataset with umount(8), which must be Linux's and not the simulated FreeBSD one in binDir.

import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import { useTestHost } from '../setup/test-host.js';

describe('the zfs wrapper of the test host', () => {
  const host = useTestHost();

  it('destroys a mounted dataset with the simulators first on PATH', async () => {
    const h = host();
    const env = { ...process.env, ...h.env };
    const dataset = `${h.root}/jails/wrapper-probe`;
    await execa(h.tools.zfs, ['create', '-p', dataset], { env });
    const mounted = await execa(h.tools.zfs, ['get', '-H', '-o', 'value', 'mounted', dataset], {
      env,
    });
    expect(mounted.stdout).toBe('yes');

    const destroyed = await execa(h.tools.zfs, ['destroy', dataset], { env, reject: false });

    expect(destroyed.stderr).toBe('');
    expect(destroyed.exitCode).toBe(0);
    const listed = await execa(h.tools.zfs, ['list', '-H', '-o', 'name', dataset], {
      env,
      reject: false,
    });
    expect(listed.exitCode).toBe(1);
  });
});
