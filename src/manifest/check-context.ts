// SPDX-License-Identifier: BSD-2-Clause
// What the cross-document checks share: the checked documents with their parse (for
// positions), the names of every kind, and small helpers to point at a field. Pure.

import type { Diagnostic } from './diagnostic.js';
import type { LoadOptions } from './options.js';
import { nodeDiag, type ParsedDocument } from './parse-yaml.js';
import type { Kind, ManifestDoc } from './types.js';

/** A document that passed its schema, with the parse it came from (for positions). */
export interface CheckedDoc<D extends ManifestDoc = ManifestDoc> {
  doc: D;
  parsed: ParsedDocument;
}

/** What the checks see. */
export interface CheckInput {
  docs: readonly CheckedDoc[];
  /** Names of every document of each kind, valid or not, so an invalid document's name still
   * resolves and one error does not cascade into "unknown reference" errors. */
  names: Record<Kind, ReadonlySet<string>>;
  files: ReadonlyMap<string, Uint8Array | string>;
  options: LoadOptions;
}

/** The documents of one kind, typed. */
export function ofKind<K extends Kind>(
  docs: readonly CheckedDoc[],
  kind: K,
): CheckedDoc<Extract<ManifestDoc, { kind: K }>>[] {
  return docs.filter((d) => d.doc.kind === kind) as CheckedDoc<Extract<ManifestDoc, { kind: K }>>[];
}

/** A diagnostic at `segments` of a checked document. */
export function diagAt(
  entry: CheckedDoc,
  segments: readonly (string | number)[],
  code: string,
  message: string,
  options: { severity?: 'error' | 'warning'; target?: 'key' | 'value' } = {},
): Diagnostic {
  return nodeDiag(entry.parsed, segments, code, message, options);
}

/** `file:line` of a document's name, to point from one diagnostic at another place. */
export function whereDefined(entry: CheckedDoc): string {
  const d = diagAt(entry, ['metadata', 'name'], '', '');
  return `${d.file}:${d.line}`;
}
