// SPDX-License-Identifier: BSD-2-Clause
// Parses one manifest file into YAML documents that keep their source ranges, refuses the YAML
// features a manifest never needs (anchors, aliases, tags, non-string or duplicate keys), and
// maps a field path back to a line and column. Pure: the bytes come from the caller.

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Composer,
  LineCounter,
  Parser,
  type CST,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';

import type { Diagnostic } from './diagnostic.js';
import { formatFieldPath } from './diagnostic.js';

/** Largest manifest file read, in bytes; bigger files are refused before parsing. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Most documents in one file. */
export const MAX_DOCUMENTS_PER_FILE = 1000;

/** Deepest nesting of maps and lists; real manifests need about eight levels. */
export const MAX_DEPTH = 32;

/** One YAML document of a file, ready to be validated. */
export interface ParsedDocument {
  file: string;
  /** Index of the document in its file, from 0. */
  index: number;
  doc: Document;
  lineCounter: LineCounter;
  /** The document as plain data; only set when no YAML rule was broken. */
  value: unknown;
}

/** A position in a file. */
export interface Position {
  line: number;
  column: number;
}

/**
 * Parses `bytes` as a stream of YAML 1.2 documents. Returns the documents that passed the YAML
 * rules (empty documents are dropped) and a diagnostic for every broken rule.
 */
export function parseManifestFile(
  file: string,
  bytes: Uint8Array | string,
): { documents: ParsedDocument[]; diagnostics: Diagnostic[] } {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_MANIFEST_BYTES) {
    const message = `file is ${size} bytes; manifests are limited to ${MAX_MANIFEST_BYTES} bytes`;
    return { documents: [], diagnostics: [fileDiag('YAML_FILE_TOO_LARGE', file, message)] };
  }

  const text = decode(bytes);
  if (text === undefined) {
    const message = 'file is not valid UTF-8';
    return { documents: [], diagnostics: [fileDiag('YAML_ENCODING', file, message)] };
  }

  // The concrete syntax tree is built once: measured for depth first, because composing very
  // deep nesting exhausts the heap inside the yaml package, then composed into documents.
  const lineCounter = new LineCounter();
  let docs: Document[];
  try {
    const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
    const deep = findDeepToken(tokens, MAX_DEPTH);
    if (deep !== undefined) {
      const { line, col } = lineCounter.linePos(deep);
      const message = `nesting deeper than ${MAX_DEPTH} levels`;
      const diag: Diagnostic = { ...fileDiag('YAML_TOO_DEEP', file, message), line, column: col };
      return { documents: [], diagnostics: [diag] };
    }
    const composer = new Composer({
      version: '1.2',
      schema: 'core',
      merge: false,
      uniqueKeys: false,
      prettyErrors: false,
      strict: true,
    });
    docs = Array.from(composer.compose(tokens, true, text.length)) as Document[];
  } catch (err) {
    // Nothing above is expected to throw; a parser bug on hostile text must still be reported.
    const message = `YAML could not be parsed: ${err instanceof Error ? err.message : String(err)}`;
    return { documents: [], diagnostics: [fileDiag('YAML_SYNTAX', file, message)] };
  }

  if (docs.length > MAX_DOCUMENTS_PER_FILE) {
    const message = `file holds ${docs.length} documents; the limit is ${MAX_DOCUMENTS_PER_FILE}`;
    return { documents: [], diagnostics: [fileDiag('YAML_TOO_MANY_DOCUMENTS', file, message)] };
  }

  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  docs.forEach((doc, index) => {
    const parsed: ParsedDocument = { file, index, doc, lineCounter, value: undefined };
    const found = checkDocument(parsed);
    diagnostics.push(...found);
    if (found.length === 0 && doc.contents !== null) {
      parsed.value = doc.toJS({ maxAliasCount: 0 });
      // An empty document (a stray `---`) is not a manifest.
      if (parsed.value !== null) {
        documents.push(parsed);
      }
    }
  });
  return { documents, diagnostics };
}

/**
 * The position of the node at `segments` (keys and list indices) in a parsed document. With
 * `target: 'key'` the position of the key naming the last segment. When the path leads nowhere
 * (a missing field), the position of the deepest node that exists.
 */
export function locate(
  parsed: ParsedDocument,
  segments: readonly (string | number)[],
  target: 'key' | 'value' = 'value',
): Position {
  let node: unknown = parsed.doc.contents;
  let key: unknown;
  for (const segment of segments) {
    const next = child(node, segment);
    if (next === undefined) {
      return positionOf(parsed, key ?? node);
    }
    [key, node] = next;
  }

  if (target === 'key' && key !== undefined) {
    return positionOf(parsed, key);
  }
  // An empty value (`image:`) has no text of its own; its key is the useful place.
  if (isScalar(node) && node.value === null && key !== undefined) {
    return positionOf(parsed, key);
  }
  return positionOf(parsed, node ?? key);
}

/** A diagnostic for the node at `segments` in `parsed`. */
export function nodeDiag(
  parsed: ParsedDocument,
  segments: readonly (string | number)[],
  code: string,
  message: string,
  options: { severity?: 'error' | 'warning'; target?: 'key' | 'value' } = {},
): Diagnostic {
  const { line, column } = locate(parsed, segments, options.target);
  return {
    code,
    severity: options.severity ?? 'error',
    file: parsed.file,
    line,
    column,
    path: formatFieldPath(segments),
    message,
  };
}

/**
 * The offset of the first collection nested deeper than `limit` in the concrete syntax tree of
 * `text`, or undefined. The walk keeps its own stack, so it cannot overflow.
 */
export function findDeepOffset(text: string, limit: number): number | undefined {
  return findDeepToken(new Parser().parse(text), limit);
}

function findDeepToken(tokens: Iterable<CST.Token>, limit: number): number | undefined {
  for (const token of tokens) {
    const stack: { token: CST.Token | undefined; depth: number }[] = [];
    if (token.type === 'document') {
      stack.push({ token: token.value, depth: 0 });
    }
    while (stack.length > 0) {
      const { token: t, depth } = stack.pop() as { token: CST.Token | undefined; depth: number };
      if (t === undefined || !('items' in t)) {
        continue;
      }
      if (depth > limit) {
        return t.offset;
      }
      for (const item of t.items as CST.CollectionItem[]) {
        stack.push({ token: item.key ?? undefined, depth: depth + 1 });
        stack.push({ token: item.value ?? undefined, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function decode(bytes: Uint8Array | string): string | undefined {
  if (typeof bytes === 'string') {
    return bytes;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    // A decoding failure is the answer itself, not an error to carry further.
    return undefined;
  }
}

function fileDiag(code: string, file: string, message: string): Diagnostic {
  return { code, severity: 'error', file, line: 1, column: 1, path: '', message };
}

// Reports syntax errors, then walks the node tree without recursion (the depth is bounded but
// the walk must not depend on that) looking for the refused YAML features.
function checkDocument(parsed: ParsedDocument): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const e of parsed.doc.errors) {
    out.push(posDiag(parsed, e.pos[0], 'YAML_SYNTAX', '', cleanYamlMessage(e.message)));
  }
  if (out.length > 0) {
    return out;
  }

  const stack: { node: unknown; path: (string | number)[] }[] = [
    { node: parsed.doc.contents, path: [] },
  ];
  let deepReported = false;
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: (string | number)[] };
    const where = formatFieldPath(path);
    if (path.length > MAX_DEPTH) {
      if (!deepReported) {
        out.push(nodeAt(parsed, node, 'YAML_TOO_DEEP', where, `nesting deeper than ${MAX_DEPTH}`));
        deepReported = true;
      }
      continue;
    }
    out.push(...checkNode(parsed, node, where));
    if (isMap(node)) {
      out.push(...checkKeys(parsed, node.items, path));
      for (const pair of node.items) {
        if (isScalar(pair.key) && typeof pair.key.value === 'string') {
          stack.push({ node: pair.value, path: [...path, pair.key.value] });
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...path, i] }));
    }
  }
  return out;
}

function checkNode(parsed: ParsedDocument, node: unknown, where: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  // A key without a value (`? a`) or a value without a key has no node on that side.
  if (node === null || node === undefined) {
    return out;
  }
  if (isAlias(node)) {
    const msg = `alias *${node.source} refused: manifests may not use aliases (alias bombs)`;
    out.push(nodeAt(parsed, node, 'YAML_ALIAS', where, msg));
    return out;
  }

  const n = node as Partial<Node> & { anchor?: string; tag?: string };
  if (typeof n.anchor === 'string') {
    const msg = `anchor &${n.anchor} refused: manifests may not use anchors or aliases`;
    out.push(nodeAt(parsed, node, 'YAML_ANCHOR', where, msg));
  }
  if (typeof n.tag === 'string') {
    const msg = `tag ${JSON.stringify(n.tag)} refused: manifests may not use explicit tags`;
    out.push(nodeAt(parsed, node, 'YAML_TAG', where, msg));
  }
  return out;
}

function checkKeys(
  parsed: ParsedDocument,
  pairs: readonly unknown[],
  path: (string | number)[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (!isPair(pair)) {
      continue;
    }
    const key = pair.key;
    out.push(...checkNode(parsed, key, formatFieldPath(path)));
    if (isAlias(key)) {
      continue;
    }
    if (!isScalar(key) || typeof key.value !== 'string') {
      const shown = isScalar(key) ? JSON.stringify(key.value) : 'a collection';
      const msg = `key ${shown} refused: keys must be strings (quote it)`;
      out.push(
        nodeAt(parsed, key ?? pair.value, 'YAML_NON_STRING_KEY', formatFieldPath(path), msg),
      );
      continue;
    }
    const where = formatFieldPath([...path, key.value]);
    if (key.value === '__proto__') {
      out.push(nodeAt(parsed, key, 'YAML_RESERVED_KEY', where, 'key "__proto__" is refused'));
    }
    if (seen.has(key.value)) {
      const msg = `duplicate key ${JSON.stringify(key.value)}`;
      out.push(nodeAt(parsed, key, 'YAML_DUPLICATE_KEY', where, msg));
    }
    seen.add(key.value);
  }
  return out;
}

function child(node: unknown, segment: string | number): [unknown, unknown] | undefined {
  if (isMap(node)) {
    const pair = indexOf(node).get(String(segment));
    return pair === undefined ? undefined : [pair.key, pair.value ?? undefined];
  }
  if (isSeq(node)) {
    const item = node.items[Number(segment)];
    return item === undefined ? undefined : [undefined, item];
  }
  return undefined;
}

// Maps are indexed by key once, so locating many fields of a large map stays linear.
const indexes = new WeakMap<object, Map<string, Pair>>();

function indexOf(map: YAMLMap): Map<string, Pair> {
  let index = indexes.get(map);
  if (index === undefined) {
    index = new Map();
    for (const pair of map.items) {
      if (isScalar(pair.key) && !index.has(String(pair.key.value))) {
        index.set(String(pair.key.value), pair as Pair);
      }
    }
    indexes.set(map, index);
  }
  return index;
}

function positionOf(parsed: ParsedDocument, node: unknown): Position {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  const offset = range?.[0] ?? parsed.doc.range?.[0] ?? 0;
  const { line, col } = parsed.lineCounter.linePos(offset);
  return { line, column: col };
}

function nodeAt(
  parsed: ParsedDocument,
  node: unknown,
  code: string,
  path: string,
  message: string,
): Diagnostic {
  const { line, column } = positionOf(parsed, node);
  return { code, severity: 'error', file: parsed.file, line, column, path, message };
}

function posDiag(
  parsed: ParsedDocument,
  offset: number,
  code: string,
  path: string,
  message: string,
): Diagnostic {
  const { line, col } = parsed.lineCounter.linePos(offset);
  return { code, severity: 'error', file: parsed.file, line, column: col, path, message };
}

// The parser's messages end with a source excerpt on later lines; keep the first line.
function cleanYamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '').trim();
}
