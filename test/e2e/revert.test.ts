// SPDX-License-Identifier: BSD-2-Clause
// Merge, then revert: a merged pull request adds a third replica, raises the memory limit and
// changes the page (which replaces the jails); `git revert` of the merge brings the host back,
// leaving nothing of the third replica, keeping the volume's data and putting the replaced jails
// back on clones of the old image.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { NodeStatus } from '../../src/status/node-status.js';
import {
  httpGet,
  jailAddress,
  listDatasets,
  listJails,
  readDemoFile,
  scaleUpFiles,
  TEST_TIMEOUT_MS,
  useStack,
  waitForApplied,
  zfsGet,
} from './helpers.js';

const NEW_PAGE = '<!doctype html>\n<title>Stockade demo</title>\n<h1>Version two</h1>\n';
const MARKER = 'written between the merge and its revert\n';

describe('merging a pull request, then reverting it', () => {
  const stack = useStack({ subnet: 12 });
  /** What the first commit left on the host, to compare with after the revert. */
  let initial: { status: NodeStatus; origin: string | undefined };
  let merged: NodeStatus;

  function jailDataset(name: string): string {
    return `${stack().host.root}/jails/${name}`;
  }

  async function rctlRules(jail: string): Promise<string[]> {
    const out = await stack().hostTool('rctl', [`jail:${jail}`]);
    return out.split('\n').filter((line) => line !== '');
  }

  async function mountsOf(jail: string): Promise<string[]> {
    const mounts = await readFile('/proc/self/mounts', 'utf8');
    const root = `${stack().host.mountRoot}/stockade/jails/${jail}`;
    return mounts
      .split('\n')
      .map((line) => line.split(' ')[1] ?? '')
      .filter((target) => target === root || target.startsWith(`${root}/`));
  }

  /** Each jail's page, or its HTTP status and body, so a failure shows every jail at once. */
  async function servedPages(status: NodeStatus, jails: string[]): Promise<Record<string, string>> {
    const pages: Record<string, string> = {};
    for (const jail of jails) {
      const { status: code, body } = await httpGet(jailAddress(status, jail));
      pages[jail] = code === 200 ? body : `HTTP ${code}: ${body}`;
    }
    return pages;
  }

  async function volumeFile(): Promise<string> {
    const mountpoint = await zfsGet(stack(), 'mountpoint', `${stack().host.root}/volumes/web-logs`);
    if (mountpoint === undefined) throw new Error('the web-logs volume has no dataset');
    return path.join(mountpoint, 'between.txt');
  }

  it(
    'applies the first commit',
    async () => {
      const head = await stack().git_(['rev-parse', 'HEAD']);
      const status = await waitForApplied(stack(), head);

      initial = { status, origin: await zfsGet(stack(), 'origin', jailDataset('web-0')) };
      expect(initial.origin).toMatch(/\/images\/busybox-[0-9a-f]+@ready$/);
      expect(await rctlRules('web-0')).toEqual([
        'jail:web-0:memoryuse:deny=67108864',
        'jail:web-0:pcpu:deny=25',
        'jail:web-0:maxproc:deny=32',
      ]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'runs the merged change: a third replica, the new limit and the new page',
    async () => {
      await stack().git_(['checkout', '-q', '-b', 'scale-up']);
      await stack().commit(
        'Scale web to three, give it 128M, new page',
        await scaleUpFiles(stack(), NEW_PAGE),
        'scale-up',
      );
      await stack().git_(['checkout', '-q', 'main']);
      await stack().git_(['merge', '-q', '--no-ff', '-m', 'Merge branch scale-up', 'scale-up']);
      await stack().git_(['push', '-q', 'origin', 'main']);
      const merge = await stack().git_(['rev-parse', 'HEAD']);

      merged = await waitForApplied(stack(), merge);

      expect(merged.jails.map((j) => [j.name, j.state, j.health])).toEqual([
        ['web-0', 'running', 'healthy'],
        ['web-1', 'running', 'healthy'],
        ['web-2', 'running', 'healthy'],
      ]);
      expect(Object.keys(await listJails(stack())).sort()).toEqual(['web-0', 'web-1', 'web-2']);
      for (const jail of ['web-0', 'web-1', 'web-2']) {
        expect(await rctlRules(jail)).toEqual([
          `jail:${jail}:memoryuse:deny=134217728`,
          `jail:${jail}:pcpu:deny=25`,
          `jail:${jail}:maxproc:deny=32`,
        ]);
      }
      expect(await servedPages(merged, ['web-0', 'web-1', 'web-2'])).toEqual({
        'web-0': NEW_PAGE,
        'web-1': NEW_PAGE,
        'web-2': NEW_PAGE,
      });
      // The new page is a new image, so web-0 was replaced onto a clone of it.
      const origin = await zfsGet(stack(), 'origin', jailDataset('web-0'));
      expect(origin).toMatch(/\/images\/busybox-[0-9a-f]+@ready$/);
      expect(origin).not.toBe(initial.origin);
      // What the revert must take away, seen here so its absence later means something.
      expect(await listDatasets(stack())).toContain(jailDataset('web-2'));
      expect(await stack().hostTool('ifconfig', [])).toContain('stockade:jail:web-2:demo');
      expect((await mountsOf('web-2')).length).toBeGreaterThan(0);

      await writeFile(await volumeFile(), MARKER);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'converges back when the merge is reverted, keeping the volume data',
    async () => {
      await stack().git_(['revert', '--no-edit', '-m', '1', 'HEAD']);
      await stack().git_(['push', '-q', 'origin', 'main']);
      const revert = await stack().git_(['rev-parse', 'HEAD']);

      const status = await waitForApplied(stack(), revert);

      expect(status.jails.map((j) => [j.name, j.state, j.health])).toEqual([
        ['web-0', 'running', 'healthy'],
        ['web-1', 'running', 'healthy'],
      ]);
      expect(Object.keys(await listJails(stack())).sort()).toEqual(['web-0', 'web-1']);
      expect(await listDatasets(stack())).not.toContain(jailDataset('web-2'));
      expect(await stack().hostTool('ifconfig', [])).not.toContain('web-2');
      expect(await mountsOf('web-2')).toEqual([]);
      expect(await rctlRules('web-2')).toEqual([]);
      for (const jail of ['web-0', 'web-1']) {
        expect(await rctlRules(jail)).toEqual([
          `jail:${jail}:memoryuse:deny=67108864`,
          `jail:${jail}:pcpu:deny=25`,
          `jail:${jail}:maxproc:deny=32`,
        ]);
      }

      expect(await readFile(await volumeFile(), 'utf8')).toBe(MARKER);

      expect(await zfsGet(stack(), 'origin', jailDataset('web-0'))).toBe(initial.origin);
      const page = await readDemoFile('www/index.html');
      expect(await servedPages(status, ['web-0', 'web-1'])).toEqual({
        'web-0': page,
        'web-1': page,
      });
    },
    TEST_TIMEOUT_MS,
  );
});
