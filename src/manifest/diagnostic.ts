// SPDX-License-Identifier: BSD-2-Clause
// Diagnostics: one problem in one manifest, with its file, position and field path, and the
// one-line text form `file:line:col: field.path: message` that editors and forges can jump to.

/** One error or warning found while loading manifests. */
export interface Diagnostic {
  /** Stable SCREAMING_SNAKE code; never renamed. */
  code: string;
  severity: 'error' | 'warning';
  /** Path relative to the manifest folder, with forward slashes. */
  file: string;
  /** One-based line and column of the offending node. */
  line: number;
  column: number;
  /** Field path inside the document, e.g. `spec.networks[0].address`; empty for the document. */
  path: string;
  message: string;
}

/**
 * The text form `file:line:col: field.path: message` (the path part is left out when empty).
 * Control characters and bidirectional overrides that came from the repository (in file names
 * or quoted values) are escaped, so a diagnostic is always exactly one line, cannot move a
 * terminal's cursor and reads in the order it is stored.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}:`;
  const text = d.path === '' ? `${where} ${d.message}` : `${where} ${d.path}: ${d.message}`;
  return escapeControl(text);
}

/** Formats segments of a field path: keys joined by dots, indices in brackets. */
export function formatFieldPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') {
      out += `[${s}]`;
    } else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) {
      out += out === '' ? s : `.${s}`;
    } else {
      // Keys such as label keys with dots or slashes are quoted so the path stays unambiguous.
      out += `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** Orders diagnostics by file, line and column, then code, so output is stable. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return [...list].sort(
    (a, b) =>
      compare(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      compare(a.path, b.path) ||
      compare(a.code, b.code),
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function escapeControl(text: string): string {
  return text.replace(UNSAFE_DISPLAY, (ch) => {
    return `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
  });
}

// C0 and C1 controls, line and paragraph separators, and the bidirectional overrides, so a
// message can neither break lines nor display reordered text.
// eslint-disable-next-line no-control-regex -- matching control characters is the point here
const UNSAFE_DISPLAY = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
