// SPDX-License-Identifier: BSD-2-Clause
// Stockade's record of what it loaded into pf. pfctl prints rules in a normalised form that
// differs from the text loaded, so the record keeps both: while the live printout still equals
// the one seen right after loading, the loaded text is what the anchor holds. The kernel stays
// the authority: an anchor or table missing from pfctl is missing, whatever the record says.

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Anchors and tables Stockade loaded, with pf's printout right after each load. */
export interface PfRecords {
  anchors: Record<string, { rules: string[]; printed: string[] }>;
  /** Keyed by `<anchor>:<table>`. */
  tables: Record<string, { anchor: string; table: string }>;
}

const FILE = 'pf-anchors.json';

/** Reads the record; an absent or unreadable file is an empty record. */
export async function readPfRecords(stateDir: string): Promise<PfRecords> {
  let text: string;
  try {
    text = await readFile(join(stateDir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { anchors: {}, tables: {} };
    }
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<PfRecords>;
  return { anchors: parsed.anchors ?? {}, tables: parsed.tables ?? {} };
}

/** Applies `change` to the record and writes it atomically (temporary file, then rename). */
export async function updatePfRecords(
  stateDir: string,
  change: (records: PfRecords) => void,
): Promise<void> {
  const records = await readPfRecords(stateDir);
  change(records);
  await mkdir(stateDir, { recursive: true });
  const tmp = join(stateDir, `${FILE}.tmp`);
  await writeFile(tmp, `${JSON.stringify(records, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, join(stateDir, FILE));
}
