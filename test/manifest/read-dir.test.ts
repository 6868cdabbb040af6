// SPDX-License-Identifier: BSD-2-Clause
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ManifestDirError } from '../../src/errors/manifest-dir-error.js';
import { MAX_FILE_BYTES, readManifestDir } from '../../src/manifest/read-dir.js';

let top: string;
let dir: string;

beforeEach(() => {
  top = mkdtempSync(path.join(tmpdir(), 'stockade-read-dir-'));
  dir = path.join(top, 'repo');
  mkdirSync(path.join(dir, 'jails/web'), { recursive: true });
  writeFileSync(path.join(dir, 'a.yaml'), 'a: 1\n');
  writeFileSync(path.join(dir, 'jails/web/web.yml'), 'b: 2\n');
});

afterEach(() => {
  rmSync(top, { recursive: true, force: true });
});

async function refusal(target: string): Promise<ManifestDirError> {
  const err: unknown = await readManifestDir(target).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ManifestDirError);
  return err as ManifestDirError;
}

describe('readManifestDir', () => {
  it('reads every regular file with a relative, slash-separated key, skipping dot-files', async () => {
    mkdirSync(path.join(dir, '.git'));
    writeFileSync(path.join(dir, '.git/config'), 'x');
    writeFileSync(path.join(dir, '.hidden.yaml'), 'x');

    const files = await readManifestDir(dir);

    expect([...files.keys()].sort()).toEqual(['a.yaml', 'jails/web/web.yml']);
    expect(new TextDecoder().decode(files.get('a.yaml'))).toBe('a: 1\n');
  });

  it('follows symlinks that stay inside the folder, reading a looping folder once', async () => {
    symlinkSync('a.yaml', path.join(dir, 'link.yaml'));
    symlinkSync('..', path.join(dir, 'jails/up'));

    const files = await readManifestDir(dir);

    expect([...files.keys()].sort()).toEqual(['a.yaml', 'jails/web/web.yml', 'link.yaml']);
  });

  it('refuses a symlink that leads outside the folder', async () => {
    writeFileSync(path.join(top, 'secret'), 'x');
    symlinkSync('../../secret', path.join(dir, 'jails/secret.conf'));

    const err = await refusal(dir);

    expect(err.code).toBe('MANIFEST_DIR_SYMLINK_ESCAPE');
    expect(err.data).toMatchObject({
      dir,
      path: 'jails/secret.conf',
      target: path.join(top, 'secret'),
    });
  });

  it('refuses an absolute symlink to a host file and a dangling symlink', async () => {
    symlinkSync('/etc/passwd', path.join(dir, 'passwd'));
    const absolute = await refusal(dir);
    rmSync(path.join(dir, 'passwd'));
    symlinkSync('nowhere', path.join(dir, 'dangling'));
    const dangling = await refusal(dir);

    expect([absolute.code, absolute.data.path]).toEqual(['MANIFEST_DIR_SYMLINK_ESCAPE', 'passwd']);
    expect([dangling.code, dangling.data.path]).toEqual([
      'MANIFEST_DIR_SYMLINK_ESCAPE',
      'dangling',
    ]);
  });

  it('skips FIFOs instead of blocking on them', async () => {
    execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);

    const files = await readManifestDir(dir);

    expect([...files.keys()].sort()).toEqual(['a.yaml', 'jails/web/web.yml']);
  });

  it('refuses a file over the size limit without reading it', async () => {
    writeFileSync(path.join(dir, 'big.bin'), '');
    truncateSync(path.join(dir, 'big.bin'), MAX_FILE_BYTES + 1);

    const err = await refusal(dir);

    expect(err.code).toBe('MANIFEST_DIR_TOO_LARGE');
    expect(err.data).toMatchObject({ path: 'big.bin', size: MAX_FILE_BYTES + 1 });
  });

  it('refuses a folder that does not exist or is a file', async () => {
    const missing = await refusal(path.join(top, 'nope'));
    const file = await refusal(path.join(dir, 'a.yaml'));

    expect(missing.code).toBe('MANIFEST_DIR_UNREADABLE');
    expect(missing.kind).toBe('terminal');
    expect(file.code).toBe('MANIFEST_DIR_UNREADABLE');
    expect(file.toJSON()).toMatchObject({ code: 'MANIFEST_DIR_UNREADABLE', data: { path: '' } });
  });
});
