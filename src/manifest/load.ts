// SPDX-License-Identifier: BSD-2-Clause
// Loads a manifest folder's files into a validated ManifestSet: parse every YAML file, check
// each document against its kind's schema, then run the checks across documents. Pure: the
// caller reads the files; every error of the repository is collected, not just the first.

import { checkManifests } from './checks.js';
import { sortDiagnostics, type Diagnostic } from './diagnostic.js';
import { quoteValue } from './names.js';
import type { LoadOptions } from './options.js';
import { nodeDiag, parseManifestFile, type ParsedDocument } from './parse-yaml.js';
import { mapSchemaErrors } from './schema-errors.js';
import { kindValidators } from './schemas.js';
import { KINDS, type Kind, type ManifestDoc, type ManifestSet } from './types.js';

export type { Diagnostic } from './diagnostic.js';
export { formatDiagnostic } from './diagnostic.js';
export type { LoadOptions } from './options.js';

/** The outcome of loading: a ManifestSet, or every error found. */
export type LoadResult =
  | { ok: true; manifests: ManifestSet; warnings: Diagnostic[] }
  | { ok: false; errors: Diagnostic[]; warnings: Diagnostic[] };

/** Most documents in one repository. */
export const MAX_DOCUMENTS = 10000;

/** Most errors reported; a hostile repository could otherwise produce millions. */
export const MAX_REPORTED_ERRORS = 1000;

/**
 * Loads every `*.yaml` and `*.yml` file of `files` (paths relative to the manifest folder, with
 * `/`) as manifests; other files are what `source:` fields may reference. Returns the set only
 * when no error was found; warnings are returned either way.
 */
export function loadManifests(
  files: ReadonlyMap<string, Uint8Array | string>,
  options: LoadOptions = {},
): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const parsedDocs: ParsedDocument[] = [];

  // Parse: each file on its own, in a stable order.
  for (const file of [...files.keys()].sort()) {
    if (!isManifestFile(file)) {
      continue;
    }
    const { documents, diagnostics: found } = parseManifestFile(file, files.get(file) ?? '');
    parsedDocs.push(...documents);
    diagnostics.push(...found);
  }
  if (parsedDocs.length > MAX_DOCUMENTS) {
    const message = `repository holds ${parsedDocs.length} documents; the limit is ${MAX_DOCUMENTS}`;
    const first = parsedDocs[0] as ParsedDocument;
    diagnostics.push(nodeDiag(first, [], 'MANIFEST_TOO_MANY_DOCUMENTS', message));
    return finish(diagnostics, undefined);
  }

  // Validate each document against its kind's schema.
  const valid: { doc: ManifestDoc; parsed: ParsedDocument }[] = [];
  const names = emptyNames();
  for (const parsed of parsedDocs) {
    const result = validateDocument(parsed);
    diagnostics.push(...result.diagnostics);
    if (result.kind !== undefined && result.name !== undefined) {
      names[result.kind].add(result.name);
    }
    if (result.doc !== undefined) {
      valid.push({ doc: result.doc, parsed });
    }
  }

  // Check across documents: references, addresses, ports, policy.
  const checked = checkManifests({ docs: valid, names, files, options });
  diagnostics.push(...checked.diagnostics);
  return finish(diagnostics, buildSet(valid, checked.referencedFiles, files));
}

/** True for the files loaded as manifests. */
export function isManifestFile(path: string): boolean {
  return /\.ya?ml$/.test(path);
}

function finish(diagnostics: Diagnostic[], set: ManifestSet | undefined): LoadResult {
  const sorted = sortDiagnostics(diagnostics);
  const errors = truncate(sorted.filter((d) => d.severity === 'error'));
  const warnings = truncate(sorted.filter((d) => d.severity === 'warning'));
  if (errors.length > 0 || set === undefined) {
    return { ok: false, errors, warnings };
  }
  return { ok: true, manifests: set, warnings };
}

// Keeps the first MAX_REPORTED_ERRORS diagnostics and says how many more there were, at the
// position of the first one left out.
function truncate(list: Diagnostic[]): Diagnostic[] {
  const cut = list[MAX_REPORTED_ERRORS];
  if (cut === undefined) {
    return list;
  }
  const more = list.length - MAX_REPORTED_ERRORS;
  const message = `${more} more ${cut.severity}s not shown`;
  return [
    ...list.slice(0, MAX_REPORTED_ERRORS),
    { ...cut, code: 'DIAGNOSTICS_TRUNCATED', path: '', message },
  ];
}

function emptyNames(): Record<Kind, Set<string>> {
  return Object.fromEntries(KINDS.map((k) => [k, new Set<string>()])) as Record<Kind, Set<string>>;
}

interface Validated {
  diagnostics: Diagnostic[];
  kind?: Kind;
  /** The document's name when it is a string, even if the document is invalid. */
  name?: string;
  doc?: ManifestDoc;
}

function validateDocument(parsed: ParsedDocument): Validated {
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const message =
      'a manifest document must be a mapping with apiVersion, kind, metadata and spec';
    return { diagnostics: [nodeDiag(parsed, [], 'DOCUMENT_NOT_MAPPING', message)] };
  }

  const record = value as Record<string, unknown>;
  const kind = record.kind;
  if (kind === undefined) {
    return { diagnostics: [nodeDiag(parsed, [], 'KIND_MISSING', `field 'kind' is required`)] };
  }
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    const shown = typeof kind === 'string' ? quoteValue(kind) : String(kind);
    const near = KINDS.find(
      (k) => typeof kind === 'string' && k.toLowerCase() === kind.toLowerCase(),
    );
    const message =
      near === undefined
        ? `unknown kind ${shown}; must be one of ${KINDS.join(', ')}`
        : `unknown kind ${shown}; did you mean '${near}'?`;
    return { diagnostics: [nodeDiag(parsed, ['kind'], 'KIND_UNKNOWN', message)] };
  }

  const k = kind as Kind;
  const metadata = record.metadata as Record<string, unknown> | undefined;
  const name = typeof metadata?.name === 'string' ? metadata.name : undefined;
  const validate = kindValidators()[k];
  if (!validate(value)) {
    return { diagnostics: mapSchemaErrors(parsed, value, validate.errors ?? []), kind: k, name };
  }

  const doc = { ...record, source: { file: parsed.file, doc: parsed.index } } as ManifestDoc;
  return { diagnostics: [], kind: k, name, doc };
}

function buildSet(
  valid: readonly { doc: ManifestDoc }[],
  referenced: ReadonlySet<string>,
  files: ReadonlyMap<string, Uint8Array | string>,
): ManifestSet {
  const set = groupByKind(valid.map((v) => v.doc));

  // Only the files a manifest references; Object.fromEntries defines own properties, so a file
  // named like an Object.prototype member stays a plain entry.
  set.files = Object.fromEntries(
    [...referenced].sort().map((path) => {
      const content = files.get(path) ?? '';
      return [path, typeof content === 'string' ? new TextEncoder().encode(content) : content];
    }),
  );
  return set;
}

/** Sorts validated documents into a ManifestSet by kind, keeping their order; no files. */
export function groupByKind(docs: readonly ManifestDoc[]): ManifestSet {
  const set: ManifestSet = {
    networks: [],
    volumes: [],
    images: [],
    jails: [],
    services: [],
    nodes: [],
    files: {},
  };
  for (const doc of docs) {
    switch (doc.kind) {
      case 'Network':
        set.networks.push(doc);
        break;
      case 'Volume':
        set.volumes.push(doc);
        break;
      case 'Image':
        set.images.push(doc);
        break;
      case 'Jail':
        set.jails.push(doc);
        break;
      case 'Service':
        set.services.push(doc);
        break;
      case 'Node':
        set.nodes.push(doc);
        break;
    }
  }
  return set;
}
