// SPDX-License-Identifier: BSD-2-Clause
import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { UnsafeOutputPathError } from '../../src/errors/unsafe-output-path-error.js';
import { readOutputTail } from '../../src/health/output-tail.js';

let base: string;
let root: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'stockade-tail-'));
  root = join(base, 'jail');
  outside = join(base, 'host-secret');
  await mkdir(join(root, 'var', 'log'), { recursive: true });
  await writeFile(outside, 'host secret\n');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function expectUnsafe(reason: string, path: string): Promise<void> {
  const caught = await readOutputTail(root).catch((err: unknown) => err);

  expect(caught).toBeInstanceOf(UnsafeOutputPathError);
  expect((caught as UnsafeOutputPathError).code).toBe('OUTPUT_PATH_UNSAFE');
  expect((caught as UnsafeOutputPathError).data).toEqual({ root, path, reason });
}

describe('readOutputTail', () => {
  it('returns the last 4 KiB of the output', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${String(i).padStart(4, '0')}\n`);
    await writeFile(join(root, 'var/log/stockade.out'), lines.join(''));

    const tail = await readOutputTail(root);

    expect(Buffer.byteLength(tail)).toBe(4096);
    expect(tail.endsWith('line 0499\n')).toBe(true);
    expect(tail).toBe(lines.join('').slice(-4096));
  });

  it('returns a short file whole', async () => {
    await writeFile(join(root, 'var/log/stockade.out'), 'panic: no config\n');

    expect(await readOutputTail(root)).toBe('panic: no config\n');
  });

  it('returns an empty string when there is no output yet', async () => {
    expect(await readOutputTail(root)).toBe('');
  });

  it('replaces terminal escapes and control characters', async () => {
    await writeFile(join(root, 'var/log/stockade.out'), 'a\u001b[31mred\u0007\tb\n');

    expect(await readOutputTail(root)).toBe('a\ufffd[31mred\ufffd\tb\n');
  });

  it('refuses an output file that is a symlink out of the root', async () => {
    await symlink(outside, join(root, 'var/log/stockade.out'));

    await expectUnsafe('symlink', join(root, 'var/log/stockade.out'));
  });

  it('refuses a log directory that is a symlink', async () => {
    await mkdir(join(base, 'elsewhere'));
    await writeFile(join(base, 'elsewhere', 'stockade.out'), 'not the jail\n');
    await rm(join(root, 'var/log'), { recursive: true });
    await symlink(join(base, 'elsewhere'), join(root, 'var/log'));

    await expectUnsafe('symlink', join(root, 'var/log'));
  });

  it('refuses a var directory that is a symlink', async () => {
    await rm(join(root, 'var'), { recursive: true });
    await symlink('/var', join(root, 'var'));

    await expectUnsafe('symlink', join(root, 'var'));
  });

  it('refuses a hard link to another file', async () => {
    const other = join(root, 'etc-copy');
    await writeFile(other, 'another file\n');
    await link(other, join(root, 'var/log/stockade.out'));

    await expectUnsafe('hard linked', join(root, 'var/log/stockade.out'));
  });

  it('refuses a FIFO without blocking on it', async () => {
    execFileSync('mkfifo', [join(root, 'var/log/stockade.out')]);

    await expectUnsafe('not a regular file', join(root, 'var/log/stockade.out'));
  });
});
