// SPDX-License-Identifier: BSD-2-Clause
// Helpers for the simulator conformance tests: build the compiled simulators when they are
// stale, run one as a child process with a private state folder, and make busybox jail roots.

import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { simulatorPath, type SimulatedTool } from './index.js';

const SIM_SOURCE = resolve(fileURLToPath(new URL('.', import.meta.url)));
const REPO_ROOT = resolve(SIM_SOURCE, '..', '..', '..');

/** What a simulator run printed and returned. */
export interface ToolResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Compiles the project when a simulator source is newer than the compiled jail.js. */
export function ensureSimulatorsBuilt(): void {
  const built = simulatorPath('jail');
  let builtAt = 0;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    builtAt = 0;
  }
  if (newestSource(SIM_SOURCE) <= builtAt) {
    return;
  }
  // Errors in other in-progress files still leave our modules emitted, so only the output
  // file is checked, not tsc's status.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
  if (statSync(built).mtimeMs <= builtAt) {
    throw new Error('building the simulators did not refresh dist/test/host/sim/jail.js');
  }
}

/** A private simulated host: its state folder and a runner bound to it. */
export interface SimHost {
  stateDir: string;
  run(
    tool: SimulatedTool,
    args?: string[],
    opts?: { input?: string; env?: Record<string, string> },
  ): ToolResult;
  cleanup(): void;
}

/** Creates a fresh simulated host in a temporary folder. */
export function createSimHost(): SimHost {
  const stateDir = mkdtempSync(join(tmpdir(), 'stockade-sim-'));
  return {
    stateDir,
    run(tool, args = [], opts = {}) {
      const res = spawnSync(process.execPath, [simulatorPath(tool), ...args], {
        env: { ...process.env, STOCKADE_SIM_STATE: stateDir, ...opts.env },
        input: opts.input ?? '',
        encoding: 'utf8',
        timeout: 60_000,
      });
      return { stdout: res.stdout, stderr: res.stderr, code: res.status };
    },
    cleanup() {
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Makes a jail root holding a static busybox with the applets the tests call. */
export function createBusyboxRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'stockade-jailroot-'));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'tmp'));
  mkdirSync(join(root, 'etc'));
  copyFileSync('/usr/bin/busybox', join(root, 'bin', 'busybox'));
  mkdirSync(join(root, 'dev'));
  if (process.getuid?.() === 0) {
    // Stands in for the devfs a real jail gets: busybox sh sends background jobs' stdin here.
    spawnSync('/usr/bin/mknod', ['-m', '666', join(root, 'dev', 'null'), 'c', '1', '3']);
  }
  for (const applet of ['sh', 'sleep', 'echo', 'cat', 'env', 'true', 'false', 'pwd', 'id']) {
    symlinkSync('busybox', join(root, 'bin', applet));
  }
  return root;
}

/** Whether the tests run as root (needed for chroot and bind mounts). */
export const IS_ROOT = process.getuid?.() === 0;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      newest = Math.max(newest, newestSource(full));
    } else if (entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(full).mtimeMs);
    }
  }
  return newest;
}
