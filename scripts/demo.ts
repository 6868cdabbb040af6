// SPDX-License-Identifier: BSD-2-Clause
// `npm run demo`: brings up the test host, a Git server and the Stockade daemon, pushes
// demo-repo, prints what a user would look at, and keeps running until Ctrl-C, when it tears
// everything down. It runs on Linux against the test host only; on FreeBSD see docs/install.md.

import os from 'node:os';
import path from 'node:path';

import { probeSystemTools, SYSTEM_PACKAGES } from '../test/host/deps.js';
import { findRepoRoot } from '../test/host/paths.js';
import { readDaemonLog, startStack, waitFor, type Stack } from '../test/host/stack.js';

const WEB_PORT = 8080;

async function main(): Promise<number> {
  if (os.platform() !== 'linux') {
    process.stderr.write(
      'demo: the demo runs on Linux against the test host; see docs/install.md\n',
    );
    return 69;
  }
  const missing = await missingPackages();
  const isRoot = process.getuid?.() === 0;
  if (!isRoot) {
    process.stderr.write(
      'demo: run as root: the test host needs zfs-fuse, chroot and bind mounts\n' +
        (missing.length > 0 ? `demo: and install: apt-get install ${missing.join(' ')}\n` : ''),
    );
    return 77;
  }

  const repoRoot = findRepoRoot();
  say(
    `starting the test host, the Git server and the daemon${missing.length > 0 ? ` (installing ${missing.join(', ')})` : ''}`,
  );
  const stack = await startStack({
    manifests: path.join(repoRoot, 'demo-repo'),
    install: true,
    pollInterval: 5,
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('cleaning up: stopping the daemon, the jails, the Git server and the ZFS pool');
    await stack.stop();
    say('done');
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    await show(stack);
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stderr.write(`--- daemon log (last lines) ---\n${await readDaemonLog(stack)}\n`);
    await stop(1);
    return 1;
  }
  say('the demo keeps running; press Ctrl-C to stop it and clean everything up');
  await new Promise(() => undefined);
  return 0;
}

/** Shows the plan of the pushed commit, runs the daemon, and shows what it made. */
async function show(stack: Stack): Promise<void> {
  heading('What the first commit would do on this host (stockade plan)');
  const plan = await stack.stockade(['plan', '-c', stack.configPath, '--format', 'text']);
  process.stdout.write(plan.stdout || plan.stderr);

  heading('Starting the daemon (stockade run)');
  await stack.startDaemon();
  const status = await waitFor(
    'the first status commit',
    async () => {
      const text = await stack.readStatus('STATUS.md');
      return text !== undefined && text.includes('web-0') ? text : undefined;
    },
    180_000,
    1_000,
  );
  heading('STATUS.md on the stockade-status branch');
  process.stdout.write(`${status}\n`);

  heading('Running jails (jls on the test host)');
  process.stdout.write(await stack.hostTool('jls', []));

  const node = JSON.parse((await stack.readStatus('nodes/testhost.json')) ?? '{}') as {
    jails?: { name: string; addresses?: string[] }[];
  };
  heading('The web page, served by each jail');
  for (const jail of node.jails ?? []) {
    for (const address of jail.addresses ?? []) {
      const url = `http://${address.split('/')[0]}:${WEB_PORT}/`;
      const body = await waitFor(`${url} to answer`, async () => fetchText(url), 60_000, 500);
      const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1] ?? body.trim().split('\n')[0];
      process.stdout.write(`${jail.name.padEnd(8)} ${url}  ${title ?? ''}\n`);
    }
  }
  process.stdout.write(
    [
      '',
      'Open one of the URLs above in a browser or with curl. To change what runs, edit',
      `  ${path.join(stack.workDir, 'stockade.yaml')}`,
      `then commit and 'git push' in ${stack.workDir}: the daemon applies it within half a minute.`,
      'See the node as the daemon sees it with:',
      `  npx stockade status -c ${stack.configPath}`,
      '',
    ].join('\n'),
  );
}

async function fetchText(url: string): Promise<string | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? await response.text() : undefined;
}

async function missingPackages(): Promise<string[]> {
  const probe = await probeSystemTools();
  return SYSTEM_PACKAGES.filter((name) => probe.missing.includes(name));
}

function heading(text: string): void {
  process.stdout.write(`\n== ${text}\n\n`);
}

function say(text: string): void {
  process.stdout.write(`demo: ${text}\n`);
}

main().then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(
      `demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(70);
  },
);
