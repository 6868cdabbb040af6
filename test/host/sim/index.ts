// SPDX-License-Identifier: BSD-2-Clause
// The list of simulated FreeBSD tools and where their compiled entry points live, for the test
// host that puts wrappers named after each tool first on PATH.

import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every tool the simulator stands in for, by its FreeBSD command name. */
export const SIMULATED_TOOLS = [
  'jail',
  'jls',
  'jexec',
  'ifconfig',
  'pfctl',
  'rctl',
  'cpuset',
  'mount',
  'umount',
  'sysctl',
  'kldstat',
] as const;

/** A simulated tool's name. */
export type SimulatedTool = (typeof SIMULATED_TOOLS)[number];

/**
 * Absolute path of the compiled module for `tool` (`dist/test/host/sim/<tool>.js`), whether
 * this module runs compiled from dist or from source under vitest.
 */
export function simulatorPath(tool: SimulatedTool): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const marker = `${join('dist', 'test', 'host', 'sim')}`;
  if (here.endsWith(marker)) {
    return join(here, `${tool}.js`);
  }
  const root = resolve(here, '..', '..', '..');
  return join(root, 'dist', 'test', 'host', 'sim', `${tool}.js`);
}
