// SPDX-License-Identifier: BSD-2-Clause
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { formatSummary, run } from '../../src/cli/validate.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');

let out: string;
let err: string;
let tmp: string;

beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  tmp = mkdtempSync(path.join(tmpdir(), 'stockade-validate-'));
});

afterEach(() => {
  vi.restoreAllMocks();
  rmSync(tmp, { recursive: true, force: true });
});

const BROKEN = `apiVersion: stockade/v1
kind: Jail
metadata:
  name: web.1
spec:
  image: nope
  command: [/bin/sh]
---
apiVersion: stockade/v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: none
  ports:
    - port: 80
`;

describe('stockade validate', () => {
  it('validates example-repo with a summary line and exit 0', async () => {
    const code = await run([path.join(ROOT, 'example-repo')]);

    expect(code).toBe(0);
    expect(out).toBe('ok: 2 networks, 2 volumes, 4 images, 4 jails, 4 services, 0 nodes\n');
    expect(err).toBe('');
  });

  it('validates demo-repo with a summary line and exit 0', async () => {
    const code = await run([path.join(ROOT, 'demo-repo')]);

    expect(code).toBe(0);
    expect(out).toBe('ok: 1 network, 1 volume, 1 image, 1 jail, 1 service, 0 nodes\n');
  });

  it('prints every error and marked warnings as file:line:col: path: message, exit 65', async () => {
    writeFileSync(path.join(tmp, 'app.yaml'), BROKEN);

    const code = await run([tmp]);

    expect(code).toBe(65);
    expect(out).toBe('');
    expect(err.split('\n')).toEqual([
      'app.yaml:4:9: metadata.name: "web.1" contains a dot; jail(8) would read it as a jail inside another',
      'app.yaml:15:5: spec.selector: warning: selector matches no jail; the service has no endpoints',
      '1 error(s), 1 warning(s)',
      '',
    ]);
  });

  it('prints { ok, counts, errors, warnings } with --json', async () => {
    writeFileSync(path.join(tmp, 'app.yaml'), BROKEN);

    const code = await run(['--json', tmp]);
    const body = JSON.parse(out) as Record<string, unknown>;

    expect(code).toBe(65);
    expect(body).toEqual({
      ok: false,
      counts: null,
      errors: [
        {
          code: 'NAME_INVALID',
          severity: 'error',
          file: 'app.yaml',
          line: 4,
          column: 9,
          path: 'metadata.name',
          message: '"web.1" contains a dot; jail(8) would read it as a jail inside another',
        },
      ],
      warnings: [
        expect.objectContaining({ code: 'SERVICE_SELECTOR_UNMATCHED', line: 15, column: 5 }),
      ],
    });
  });

  it('reports counts in --json when valid', async () => {
    const code = await run(['--json', path.join(ROOT, 'demo-repo')]);

    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({
      ok: true,
      counts: { networks: 1, volumes: 1, images: 1, jails: 1, services: 1, nodes: 0 },
      errors: [],
      warnings: [],
    });
  });

  it('refuses an address of the host given with --host-address', async () => {
    const code = await run(['--host-address', '127.77.1.1', path.join(ROOT, 'demo-repo')]);

    expect(code).toBe(65);
    expect(err).toContain(
      'stockade.yaml:20:9: spec.cidr: gateway 127.77.1.1 is already an address',
    );
  });

  it('applies the policy of the node config given with --config', async () => {
    const config = [
      'name: web1',
      'repository:',
      '  url: https://git.example.org/ops/fleet.git',
      'zfs:',
      '  root: zroot/stockade',
      'pf:',
      '  externalInterface: em0',
      'policy:',
      '  maxMemory: 1g',
      '',
    ].join('\n');
    writeFileSync(path.join(tmp, 'stockade.conf'), config);

    const code = await run([
      '-c',
      path.join(tmp, 'stockade.conf'),
      path.join(ROOT, 'example-repo'),
    ]);

    expect(code).toBe(65);
    expect(err.split('\n')).toEqual([
      "jails/db.yaml:34:13: spec.resources.memory: 2G is above the node policy's maxMemory of 1g",
      '1 error(s), 0 warning(s)',
      '',
    ]);
  });

  it('exits 78 when the node config is invalid', async () => {
    writeFileSync(path.join(tmp, 'stockade.conf'), 'name: web1\n');

    const code = await run([
      '--config',
      path.join(tmp, 'stockade.conf'),
      path.join(ROOT, 'demo-repo'),
    ]);

    expect(code).toBe(78);
    expect(err).toMatch(/^stockade validate: the node config cannot be used\n/);
  });

  it('answers --help on stdout, and usage errors with 64', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(out).toMatch(/^usage: stockade validate/);
    expect(await run(['--bogus'])).toBe(64);
    expect(await run(['a', 'b'])).toBe(64);
    expect(await run([path.join(tmp, 'missing')])).toBe(64);
    expect(err).toContain("stockade validate: failed to read '");
  });

  it('exits 65 when the folder holds a symlink leaving it', async () => {
    const { symlinkSync } = await import('node:fs');
    symlinkSync('/etc/hostname', path.join(tmp, 'host.conf'));

    expect(await run([tmp])).toBe(65);
    expect(err).toBe("stockade validate: symlink 'host.conf' leads outside the manifest folder\n");
  });

  it('words the summary in singular and plural', () => {
    expect(
      formatSummary({ networks: 2, volumes: 1, images: 3, jails: 4, services: 2, nodes: 0 }),
    ).toBe('ok: 2 networks, 1 volume, 3 images, 4 jails, 2 services, 0 nodes');
  });
});

// The built CLI, as a user runs it; `npm test` builds dist before running the tests.
describe.runIf(existsSync(MAIN))('node dist/src/cli/main.js', () => {
  const exec = promisify(execFile);

  it('validates example-repo and demo-repo through the subcommand registry', async () => {
    vi.restoreAllMocks();
    const example = await exec(process.execPath, [MAIN, 'validate', 'example-repo'], { cwd: ROOT });
    const demo = await exec(process.execPath, [MAIN, 'validate', 'demo-repo'], { cwd: ROOT });

    expect(example.stdout).toBe(
      'ok: 2 networks, 2 volumes, 4 images, 4 jails, 4 services, 0 nodes\n',
    );
    expect(demo.stdout).toBe('ok: 1 network, 1 volume, 1 image, 1 jail, 1 service, 0 nodes\n');
  });

  it('exits 65 on the hostile corpus case of a dotted jail name', async () => {
    vi.restoreAllMocks();
    const dir = path.join(ROOT, 'test/fixtures/hostile/b18-dotted-jail-name');

    const failure = await exec(process.execPath, [MAIN, 'validate', dir]).catch((e: unknown) => e);

    expect(failure).toMatchObject({ code: 65 });
    expect((failure as { stderr: string }).stderr).toContain(
      'case.yaml:4:9: metadata.name: "api.example.org" contains a dot',
    );
  });
});
