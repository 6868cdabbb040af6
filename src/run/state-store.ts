// SPDX-License-Identifier: BSD-2-Clause
// The files the engine keeps in the state directory: the journal of the run in progress, the
// last applied commit with its topology, the history of applied commits, the pin set by
// `stockade rollback` and the last run report. Every write is atomic (write, fsync, rename), so
// a crash leaves either the old or the new file, never half of one.

import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

import type { HealthCheck, RestartPolicy } from '../manifest/types.js';
import type { Phase } from '../status/reasons.js';
import type { Topology } from '../topology/types.js';
import type { CommitInfo } from './ports.js';
import type { RunReport } from './report.js';

/** The run in progress, written at each phase boundary and removed when the run ends. */
export interface Journal {
  commit: string;
  phase: Phase;
  rollbackPoint?: string;
  startedAt: string;
}

/** The commit the host runs, with the topology it was compiled to. */
export interface AppliedState {
  commit: CommitInfo;
  topology: Topology;
  appliedAt: string;
  /** Each jail's health check and restart policy, for the health monitor between commits. */
  checks?: Record<string, { health?: HealthCheck; restartPolicy?: RestartPolicy }>;
}

/** One applied commit in the history. */
export interface HistoryEntry {
  commit: string;
  message: string;
  appliedAt: string;
  result: string;
  rollbackPoint?: string;
  pinned: boolean;
}

/** Set by `stockade rollback REV`: the commit to hold and the branch tip it diverges from. */
export interface Pin {
  commit: CommitInfo;
  branchTip?: string;
  pinnedAt: string;
}

/** Typed access to the state directory. */
export interface StateStore {
  readonly dir: string;
  readJournal(): Promise<Journal | undefined>;
  writeJournal(journal: Journal): Promise<void>;
  clearJournal(): Promise<void>;
  readApplied(): Promise<AppliedState | undefined>;
  writeApplied(state: AppliedState): Promise<void>;
  readHistory(): Promise<HistoryEntry[]>;
  appendHistory(entry: HistoryEntry): Promise<void>;
  readPin(): Promise<Pin | undefined>;
  writePin(pin: Pin | undefined): Promise<void>;
  readLastRun(): Promise<RunReport | undefined>;
  writeLastRun(report: RunReport): Promise<void>;
  readJson<T>(name: string): Promise<T | undefined>;
  writeJson(name: string, value: unknown): Promise<void>;
}

/** History entries kept; older ones are dropped. */
export const HISTORY_LIMIT = 200;

/** Opens the state directory `dir`, creating it (mode 0700) on first write. */
export function openStateStore(dir: string): StateStore {
  const store: StateStore = {
    dir,
    readJournal: () => readJsonFile<Journal>(join(dir, 'journal.json')),
    writeJournal: (journal) => writeJsonAtomic(dir, 'journal.json', journal),
    clearJournal: () => rm(join(dir, 'journal.json'), { force: true }),
    readApplied: () => readJsonFile<AppliedState>(join(dir, 'applied.json')),
    writeApplied: (state) => writeJsonAtomic(dir, 'applied.json', state),
    readHistory: async () => (await readJsonFile<HistoryEntry[]>(join(dir, 'history.json'))) ?? [],
    appendHistory: async (entry) => {
      const history = await store.readHistory();
      await writeJsonAtomic(dir, 'history.json', [...history, entry].slice(-HISTORY_LIMIT));
    },
    readPin: () => readJsonFile<Pin>(join(dir, 'pin.json')),
    writePin: (pin) =>
      pin === undefined
        ? rm(join(dir, 'pin.json'), { force: true })
        : writeJsonAtomic(dir, 'pin.json', pin),
    readLastRun: () => readJsonFile<RunReport>(join(dir, 'last-run.json')),
    writeLastRun: (report) => writeJsonAtomic(dir, 'last-run.json', report),
    readJson: <T>(name: string) => readJsonFile<T>(join(dir, name)),
    writeJson: (name, value) => writeJsonAtomic(dir, name, value),
  };
  return store;
}

async function readJsonFile<T>(path: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text) as T;
}

async function writeJsonAtomic(dir: string, name: string, value: unknown): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const final = join(dir, name);
  const temp = join(dir, `.${name}.${process.pid}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, final);
}
