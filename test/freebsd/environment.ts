// SPDX-License-Identifier: BSD-2-Clause
// What the FreeBSD-only suite needs from its environment, why it skips elsewhere, and the
// scenario host it builds on a real FreeBSD host: a scratch dataset it creates and destroys,
// a release archive, and the host's own tools at their FreeBSD paths.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { execa } from 'execa';

import { parseNodeConfig } from '../../src/config/load.js';
import type { ScenarioHost } from '../host-driver/scenarios.js';

/** The variables the suite reads. */
export const DATASET_VAR = 'STOCKADE_FREEBSD_DATASET';
export const RELEASE_VAR = 'STOCKADE_FREEBSD_RELEASE';
export const CIDR_VAR = 'STOCKADE_FREEBSD_CIDR';
export const EXTIF_VAR = 'STOCKADE_FREEBSD_EXTIF';

/** Release name the scenario manifests use; the node config maps it to RELEASE_VAR. */
export const SCENARIO_RELEASE = 'freebsd-scenario';

/**
 * Why the suite cannot run here, or undefined when it can: it needs FreeBSD, root, a scratch
 * dataset name and a release archive. Pure, so the gate itself is tested on every platform.
 */
export function skipReason(env: {
  platform: string;
  uid: number | undefined;
  vars: Record<string, string | undefined>;
}): string | undefined {
  if (env.platform !== 'freebsd') return `not FreeBSD (${env.platform})`;
  if (env.uid !== 0) return 'not root (jail, zfs and pfctl need root)';
  const dataset = env.vars[DATASET_VAR] ?? '';
  if (dataset === '')
    return `${DATASET_VAR} is not set (a scratch dataset, e.g. zroot/stockade-test)`;
  if (!/^[A-Za-z0-9_.:-]+(\/[A-Za-z0-9_.:-]+)+$/.test(dataset)) {
    return `${DATASET_VAR}='${dataset}' is not a dataset below a pool (pool/name)`;
  }
  if ((env.vars[RELEASE_VAR] ?? '') === '') return `${RELEASE_VAR} is not set (a base.txz)`;
  return undefined;
}

/** skipReason for this process. */
export function currentSkipReason(): string | undefined {
  return skipReason({ platform: os.platform(), uid: process.getuid?.(), vars: process.env });
}

/** A scenario host on this FreeBSD machine, and how to remove what the suite made. */
export interface FreeBsdHost {
  scenario: ScenarioHost;
  /** Destroys the scenario root (and the scratch dataset if the suite created it). */
  stop(): Promise<void>;
}

/**
 * Prepares the scratch dataset: creates it when absent (and then destroys it in stop), and
 * gives Stockade a root below it named after this process, so a leftover of an earlier run
 * is never mistaken for this one's.
 */
export async function startFreeBsdHost(
  vars: Record<string, string | undefined>,
): Promise<FreeBsdHost> {
  const scratch = vars[DATASET_VAR] ?? '';
  const existed =
    (await execa('/sbin/zfs', ['list', '-H', '-o', 'name', scratch], { reject: false }))
      .exitCode === 0;
  if (!existed) await execa('/sbin/zfs', ['create', '-p', scratch]);
  const mounted = (
    await execa('/sbin/zfs', ['get', '-H', '-o', 'value', 'mountpoint', scratch])
  ).stdout.trim();
  const root = `${scratch}/run-${process.pid}`;
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'stockade-freebsd-'));
  const config = parseNodeConfig(
    JSON.stringify({
      name: 'freebsd-suite',
      repository: { url: `file://${path.join(stateDir, 'repository.git')}` },
      zfs: { root, mountpoint: `${mounted}/run-${process.pid}` },
      pf: { externalInterface: vars[EXTIF_VAR] ?? 'lo0' },
      releases: { [SCENARIO_RELEASE]: vars[RELEASE_VAR] },
      stateDir,
    }),
    path.join(stateDir, 'stockade.yaml'),
  );
  return {
    scenario: {
      config,
      release: SCENARIO_RELEASE,
      cidr: vars[CIDR_VAR] ?? '10.213.77.0/24',
      env: {},
      processesUnder: (dir) => jailedProcessesUnder(dir),
    },
    async stop() {
      await execa('/sbin/zfs', ['destroy', '-r', root], { reject: false });
      if (!existed) await execa('/sbin/zfs', ['destroy', '-r', scratch], { reject: false });
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * Processes of the jails whose path lies at or below `dir`. On FreeBSD a process belongs to
 * one jail for its life and `jail -r` kills them all, so this is complete.
 */
async function jailedProcessesUnder(dir: string): Promise<number[]> {
  const jls = await execa('/usr/sbin/jls', ['-d', 'jid', 'path'], { reject: false });
  const jids = new Set(
    jls.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([, p]) => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
      .map(([jid]) => jid),
  );
  if (jids.size === 0) return [];
  const ps = await execa('/bin/ps', ['-ax', '-o', 'pid=,jid=']);
  return ps.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, jid]) => jid !== undefined && jids.has(jid))
    .map(([pid]) => Number(pid));
}
