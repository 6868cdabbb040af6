// SPDX-License-Identifier: BSD-2-Clause
// stockade doctor: racct (B22), pf and its anchor hooks (B4, B14), kernel modules, the ZFS
// root and Node.js, each failure with its fix; exit 0 or 69.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { run } from '../../src/cli/doctor.js';
import { checkNode, runChecks } from '../../src/host/doctor.js';
import { fakeHost, noDataset, type Replies } from './fake-host.js';

const HEALTHY: Replies = {
  'sysctl -n kern.racct.enable': { stdout: '1\n' },
  'pfctl -s info': { stdout: 'Status: Enabled for 0 days 01:02:03           Debug: Urgent\n' },
  'pfctl -s rules': { stdout: 'anchor "stockade/*" all\npass in all flags S/SA keep state\n' },
  'pfctl -s nat': { stdout: 'nat-anchor "stockade/*" all\nrdr-anchor "stockade/*" all\n' },
  'zpool list -H -o name tank': { stdout: 'tank\n' },
  'zfs get -H -p -o value stockade:managed tank/stockade': { stdout: 'true\n' },
};

describe('runChecks', () => {
  it('passes every check on a prepared host', async () => {
    const host = fakeHost(HEALTHY);

    const results = await runChecks(host.ctx);

    expect(results.map((r) => [r.id, r.ok])).toEqual([
      ['node', true],
      ['racct', true],
      ['pf', true],
      ['pf-anchors', true],
      ['if_bridge', true],
      ['if_epair', true],
      ['zfs-root', true],
    ]);
    expect(host.calls).toContain('kldstat -q -m if_bridge');
    expect(host.calls).toContain('kldstat -q -m if_epair');
  });

  it('reports racct off with the loader.conf line (B22)', async () => {
    const host = fakeHost({ ...HEALTHY, 'sysctl -n kern.racct.enable': { stdout: '0\n' } });

    const racct = (await runChecks(host.ctx)).find((r) => r.id === 'racct');

    expect(racct).toEqual({
      id: 'racct',
      title: 'resource limits enforced (kern.racct.enable=1)',
      ok: false,
      detail: 'kern.racct.enable is 0: rctl limits are not enforced',
      fix: ['add kern.racct.enable=1 to /boot/loader.conf', 'reboot (it is a boot-time tunable)'],
    });
  });

  it('names each missing anchor hook with the pf.conf line to add', async () => {
    const host = fakeHost({
      ...HEALTHY,
      'pfctl -s nat': { stdout: 'nat-anchor "stockade/*" all\n' },
      'pfctl -s rules': { stdout: '' },
    });

    const hooks = (await runChecks(host.ctx)).find((r) => r.id === 'pf-anchors');

    expect(hooks?.ok).toBe(false);
    expect(hooks?.fix).toEqual([
      'add to /etc/pf.conf, in its section: rdr-anchor "stockade/*"',
      'add to /etc/pf.conf, in its section: anchor "stockade/*"',
      'pfctl -nf /etc/pf.conf && service pf reload',
    ]);
  });

  it('reports pf not loaded, missing modules and a missing root dataset', async () => {
    const host = fakeHost({
      ...HEALTHY,
      'pfctl -s info': { stderr: 'pfctl: /dev/pf: No such file or directory\n', exitCode: 1 },
      'kldstat -q -m if_epair': { exitCode: 1 },
      'zfs get -H -p -o value stockade:managed tank/stockade': noDataset('tank/stockade'),
    });

    const results = await runChecks(host.ctx);

    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId['pf']).toMatchObject({
      ok: false,
      fix: ['sysrc pf_enable=YES', 'service pf start'],
    });
    expect(byId['if_epair']).toMatchObject({
      ok: false,
      fix: ['kldload if_epair', 'sysrc kld_list+=if_epair'],
    });
    expect(byId['if_bridge']?.ok).toBe(true);
    expect(byId['zfs-root']).toMatchObject({
      ok: false,
      fix: ['zfs create -p -o stockade:managed=true -o stockade:role=root tank/stockade'],
    });
  });

  it('checks the Node.js major version', () => {
    expect(checkNode('20.5.0').ok).toBe(true);
    expect(checkNode('18.19.1')).toEqual({
      ok: false,
      detail: 'node 18.19.1 is too old',
      fix: ['pkg install -y node22'],
    });
  });
});

describe('stockade doctor', () => {
  let out = '';
  beforeEach(() => {
    out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function configFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'stockade-doctor-'));
    const file = join(dir, 'stockade.yaml');
    writeFileSync(
      file,
      [
        'name: node-1',
        'repository:',
        '  url: http://127.0.0.1:9/repo.git',
        'zfs:',
        '  root: tank/stockade',
        'pf:',
        '  externalInterface: em0',
        `stateDir: ${dir}`,
        '',
      ].join('\n'),
    );
    return file;
  }

  it('exits 0 and prints JSON when everything is in place', async () => {
    const host = fakeHost(HEALTHY);

    const code = await run(['-c', configFile(), '--json'], { runner: host.ctx.runner });

    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ ok: true });
  });

  it('exits 69 and prints each missing piece with its fix', async () => {
    const host = fakeHost({ ...HEALTHY, 'sysctl -n kern.racct.enable': { stdout: '0\n' } });

    const code = await run(['-c', configFile()], { runner: host.ctx.runner });

    expect(code).toBe(69);
    expect(out).toContain(
      'MISSING resource limits enforced (kern.racct.enable=1): kern.racct.enable is 0',
    );
    expect(out).toContain('        fix: add kern.racct.enable=1 to /boot/loader.conf');
    expect(out).toContain('1 of 7 checks failed');
  });

  it('exits 64 on an unknown option', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    expect(await run(['--bogus'])).toBe(64);
  });
});
