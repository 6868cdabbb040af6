// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { findDeepOffset, locate, parseManifestFile } from '../../src/manifest/parse-yaml.js';

describe('parseManifestFile', () => {
  it('keeps several documents per file with their index, dropping empty ones', () => {
    const { documents, diagnostics } = parseManifestFile('f.yaml', 'a: 1\n---\n---\nb: 2\n');

    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => [d.index, d.value])).toEqual([
      [0, { a: 1 }],
      [2, { b: 2 }],
    ]);
  });

  it('reads YAML 1.2: yes, on and 0777 stay what 1.2 says they are', () => {
    const { documents } = parseManifestFile('f.yaml', 'a: yes\nb: on\nc: 0777\nd: 0o17\n');

    expect(documents[0]?.value).toEqual({ a: 'yes', b: 'on', c: 777, d: 15 });
  });

  it('accepts bytes, decodes UTF-8 and refuses invalid UTF-8', () => {
    const ok = parseManifestFile('f.yaml', new TextEncoder().encode('a: "é"\n'));
    const bad = parseManifestFile('f.yaml', new Uint8Array([0x61, 0x3a, 0x20, 0xc3, 0x28]));

    expect(ok.documents[0]?.value).toEqual({ a: 'é' });
    expect(bad.diagnostics.map((d) => d.code)).toEqual(['YAML_ENCODING']);
  });

  it('reports a syntax error where the parser found it, once per document', () => {
    const { diagnostics } = parseManifestFile('f.yaml', 'a: 1\n---\nb: "unterminated\n');

    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual(['YAML_SYNTAX 4:1']);
  });

  it('reports keys that are anchors or aliases', () => {
    const { diagnostics } = parseManifestFile('f.yaml', '&k a: 1\n*k : 2\n');

    expect(diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual([
      'YAML_ANCHOR 1:4',
      'YAML_ALIAS 2:1',
    ]);
  });

  it('refuses too many documents in one file', () => {
    const text = Array.from({ length: 1001 }, (_, i) => `a: ${i}`).join('\n---\n');

    expect(parseManifestFile('f.yaml', text).diagnostics.map((d) => d.code)).toEqual([
      'YAML_TOO_MANY_DOCUMENTS',
    ]);
  });
});

describe('locate', () => {
  const { documents } = parseManifestFile(
    'f.yaml',
    'spec:\n  list:\n    - x\n    - {y: 2}\n  empty:\n',
  );
  const doc = documents[0] as NonNullable<(typeof documents)[0]>;

  it('finds values, keys and list items', () => {
    expect(locate(doc, ['spec', 'list', 1, 'y'])).toEqual({ line: 4, column: 11 });
    expect(locate(doc, ['spec', 'list'], 'key')).toEqual({ line: 2, column: 3 });
    expect(locate(doc, ['spec', 'list', 0])).toEqual({ line: 3, column: 7 });
  });

  it('points an empty value at its key and a missing path at its deepest node', () => {
    expect(locate(doc, ['spec', 'empty'])).toEqual({ line: 5, column: 3 });
    expect(locate(doc, ['spec', 'missing', 'deeper'])).toEqual({ line: 1, column: 1 });
  });
});

describe('findDeepOffset', () => {
  it('measures flow and block nesting', () => {
    expect(findDeepOffset('a: [[[1]]]\n', 3)).toBeUndefined();
    expect(findDeepOffset('a: [[[[1]]]]\n', 3)).toBe(6);
    expect(findDeepOffset('- - - - - x\n', 3)).toBe(8);
  });
});
