// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { formatDiagnostic } from '../../src/manifest/diagnostic.js';
import { loadManifests } from '../../src/manifest/load.js';
import { BASE_YAML, errorsOf, jailYaml, loadWithBase } from './helpers.js';

describe('loadManifests: a valid repository', () => {
  it('returns every document by kind with its source, and only the referenced files', () => {
    const files = new Map<string, string | Uint8Array>([
      ['base.yaml', BASE_YAML],
      ['jails/web.yml', jailYaml('  files:\n    - path: /etc/motd\n      source: motd.txt\n')],
      ['motd.txt', 'hello\n'],
      ['README.md', '# not referenced\n'],
    ]);

    const result = loadManifests(files);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const m = result.manifests;
    expect(m.networks.map((n) => n.metadata.name)).toEqual(['net', 'net6', 'lan']);
    expect(m.images.map((n) => n.source)).toEqual([{ file: 'base.yaml', doc: 0 }]);
    expect(m.volumes.map((n) => n.source)).toEqual([{ file: 'base.yaml', doc: 4 }]);
    expect(m.jails[0]?.source).toEqual({ file: 'jails/web.yml', doc: 0 });
    expect(m.jails[0]?.spec.command).toEqual(['/bin/sh']);
    expect(Object.keys(m.files)).toEqual(['motd.txt']);
    expect(new TextDecoder().decode(m.files['motd.txt'])).toBe('hello\n');
    expect(result.warnings).toEqual([]);
  });

  it('suggests the kind when only its case is wrong', () => {
    const result = loadWithBase({ 't.yaml': jailYaml('').replace('kind: Jail', 'kind: jail') });

    expect(errorsOf(result)).toEqual(['KIND_UNKNOWN t.yaml:2:7 kind']);
    expect(result.ok ? '' : result.errors[0]?.message).toBe(
      `unknown kind "jail"; did you mean 'Jail'?`,
    );
  });

  it('skips empty documents and non-YAML files', () => {
    const result = loadWithBase({
      'empty.yaml': '---\n---\n# only a comment\n',
      'notes.txt': 'x: [',
    });

    expect(errorsOf(result)).toEqual([]);
    expect(result.ok).toBe(true);
  });
});

describe('loadManifests: schema errors carry code, position and field path', () => {
  it.each([
    [
      'unknown field, with a suggestion',
      jailYaml('  replica: 2\n'),
      'FIELD_UNKNOWN t.yaml:8:3 spec.replica',
      "did you mean 'replicas'?",
    ],
    [
      'missing required field',
      'apiVersion: stockade/v1\nkind: Jail\nmetadata:\n  name: web\nspec:\n  image: base\n',
      'FIELD_REQUIRED t.yaml:5:1 spec.command',
      "field 'command' is required",
    ],
    [
      'wrong type',
      jailYaml('  replicas: "2"\n'),
      'TYPE_MISMATCH t.yaml:8:13 spec.replicas',
      'must be a whole number, not the string "2"',
    ],
    [
      'empty value points at its key',
      jailYaml('  hostname:\n'),
      'TYPE_MISMATCH t.yaml:8:3 spec.hostname',
      'must be a string, not empty',
    ],
    [
      'enum',
      jailYaml('  restartPolicy: always\n'),
      'VALUE_NOT_ALLOWED t.yaml:8:18 spec.restartPolicy',
      "must be one of 'Always', 'OnFailure', 'Never'",
    ],
    [
      'apiVersion',
      'apiVersion: stockade/v2\nkind: Volume\nmetadata:\n  name: v\nspec: {}\n',
      'API_VERSION_UNSUPPORTED t.yaml:1:13 apiVersion',
      'must be "stockade/v1"',
    ],
    [
      'unknown kind',
      'apiVersion: stockade/v1\nkind: Pod\nmetadata:\n  name: v\nspec: {}\n',
      'KIND_UNKNOWN t.yaml:2:7 kind',
      'unknown kind "Pod"',
    ],
    [
      'missing kind',
      'apiVersion: stockade/v1\nmetadata:\n  name: v\n',
      'KIND_MISSING t.yaml:1:1 ',
      "field 'kind' is required",
    ],
    ['not a mapping', '- a\n- b\n', 'DOCUMENT_NOT_MAPPING t.yaml:1:1 ', 'must be a mapping'],
    [
      'out of range',
      jailYaml('  replicas: 1000\n'),
      'VALUE_OUT_OF_RANGE t.yaml:8:13 spec.replicas',
      '1000 must be <= 256',
    ],
    [
      'too many items',
      jailYaml(`  dependsOn: [${Array.from({ length: 65 }, (_, i) => `d${i}`).join(', ')}]\n`),
      'VALUE_TOO_LONG t.yaml:8:14 spec.dependsOn',
      'has 65 items; the limit is 64',
    ],
    [
      'oversized string reports length only',
      jailYaml(`  hostname: ${'a'.repeat(300)}\n`),
      'VALUE_TOO_LONG t.yaml:8:13 spec.hostname',
      'is 300 characters long; the limit is 253',
    ],
    [
      'too few items',
      jailYaml('  health:\n    exec:\n      command: []\n'),
      'VALUE_TOO_SHORT t.yaml:10:16 spec.health.exec.command',
      'has 0 items; at least 1 needed',
    ],
    [
      'label key',
      'apiVersion: stockade/v1\nkind: Volume\nmetadata:\n  name: v\n  labels:\n    "bad key": x\nspec: {}\n',
      'LABEL_KEY_INVALID t.yaml:6:5 metadata.labels["bad key"]',
      'key a space (U+0020) is not allowed',
    ],
  ])('%s', (_name, yaml, expected, text) => {
    const result = loadWithBase({ 't.yaml': yaml });

    expect(errorsOf(result)).toEqual([expected]);
    expect(result.ok ? '' : result.errors[0]?.message).toContain(text);
  });
});

describe('loadManifests: value rules', () => {
  it.each([
    [
      'name with a dot',
      jailYaml('', 'api.example'),
      'NAME_INVALID t.yaml:4:9 metadata.name',
      'contains a dot; jail(8) would read it as a jail inside another',
    ],
    [
      'all-digit name',
      jailYaml('', '"42"'),
      'NAME_INVALID t.yaml:4:9 metadata.name',
      'is all digits; jail(8), jls(8) and jexec(8) would read it as a JID',
    ],
    [
      'uppercase name',
      jailYaml('', 'Web'),
      'NAME_INVALID t.yaml:4:9 metadata.name',
      'has uppercase letters',
    ],
    [
      'name ending in a hyphen',
      jailYaml('', 'web-'),
      'NAME_INVALID t.yaml:4:9 metadata.name',
      'must not end with a hyphen',
    ],
    [
      'label value with a quote',
      jailYaml('').replace('  name: web\n', '  name: web\n  labels:\n    app: "a\\"b"\n'),
      'LABEL_VALUE_INVALID t.yaml:6:10 metadata.labels.app',
      'character "\\"" (U+0022) is not allowed',
    ],
    [
      'hostname with a space',
      jailYaml('  hostname: "web host"\n'),
      'HOSTNAME_INVALID t.yaml:8:13 spec.hostname',
      'a space (U+0020) is not allowed',
    ],
    [
      'env name',
      jailYaml('  env:\n    "1X": y\n'),
      'ENV_NAME_INVALID t.yaml:9:5 spec.env["1X"]',
      'is not valid',
    ],
    [
      'env value with $',
      jailYaml('  env:\n    X: "$(reboot)"\n'),
      'ENV_VALUE_INVALID t.yaml:9:8 spec.env.X',
      'character "$" (U+0024) is not allowed',
    ],
    [
      'env value with a newline',
      jailYaml('  env:\n    X: "a\\nb"\n'),
      'ENV_VALUE_INVALID t.yaml:9:8 spec.env.X',
      'control character line feed (U+000A) is not allowed',
    ],
    [
      'parameter name with =',
      jailYaml('  parameters:\n    "allow.mount=1": true\n'),
      'PARAMETER_NAME_INVALID t.yaml:9:5 spec.parameters["allow.mount=1"]',
      'character "=" (U+003D)',
    ],
    [
      'parameter value with a space',
      jailYaml('  parameters:\n    osrelease: "14.3 x"\n'),
      'PARAMETER_VALUE_INVALID t.yaml:9:16 spec.parameters.osrelease',
      'a space (U+0020) is not allowed',
    ],
    [
      'argv with NUL',
      jailYaml('').replace('[/bin/sh]', '["/bin/sh\\0"]'),
      'ARGV_INVALID t.yaml:7:13 spec.command[0]',
      'control character NUL (U+0000)',
    ],
    [
      'argv with a line break',
      jailYaml('').replace('[/bin/sh]', '["/bin/sh", "a\\nb"]'),
      'ARGV_INVALID t.yaml:7:24 spec.command[1]',
      'line feed',
    ],
    [
      'mountPath with ..',
      jailYaml('  volumes:\n    - name: data\n      mountPath: /data/../etc\n'),
      'PATH_INVALID t.yaml:10:18 spec.volumes[0].mountPath',
      'is not valid',
    ],
    [
      'relative mountPath',
      jailYaml('  volumes:\n    - name: data\n      mountPath: data\n'),
      'PATH_INVALID t.yaml:10:18 spec.volumes[0].mountPath',
      'must be an absolute path',
    ],
    [
      'source leaving the folder',
      jailYaml('  files:\n    - path: /etc/x\n      source: ../secret\n'),
      'SOURCE_PATH_INVALID t.yaml:10:15 spec.files[0].source',
      'without `.` or `..`',
    ],
    [
      'absolute source',
      jailYaml('  files:\n    - path: /etc/x\n      source: /etc/passwd\n'),
      'SOURCE_PATH_INVALID t.yaml:10:15 spec.files[0].source',
      'a relative path',
    ],
    [
      'size',
      jailYaml('  resources:\n    memory: 1.5G\n'),
      'SIZE_INVALID t.yaml:9:13 spec.resources.memory',
      'character "." (U+002E)',
    ],
    [
      'percent',
      jailYaml('  resources:\n    pcpu: "1000%"\n'),
      'PERCENT_INVALID t.yaml:9:11 spec.resources.pcpu',
      'is 5 characters long',
    ],
    [
      'duration',
      jailYaml('  health:\n    tcp: {port: 80}\n    interval: 10\n'),
      'TYPE_MISMATCH t.yaml:10:15 spec.health.interval',
      'must be a string',
    ],
    [
      'duration unit',
      jailYaml('  health:\n    tcp: {port: 80}\n    interval: 10d\n'),
      'DURATION_INVALID t.yaml:10:15 spec.health.interval',
      'character "d" (U+0064) is not allowed',
    ],
    [
      'mode',
      jailYaml('  files:\n    - path: /etc/x\n      content: x\n      mode: "0999"\n'),
      'MODE_INVALID t.yaml:11:13 spec.files[0].mode',
      'three or four octal digits',
    ],
    [
      'cpuset',
      jailYaml('  resources:\n    cpuset: "0-1;reboot"\n'),
      'CPUSET_INVALID t.yaml:9:13 spec.resources.cpuset',
      'is not valid',
    ],
    [
      'http path',
      jailYaml('  health:\n    http: {port: 80, path: "/a b"}\n'),
      'HTTP_PATH_INVALID t.yaml:9:28 spec.health.http.path',
      'a space',
    ],
  ])('%s', (_name, yaml, expected, text) => {
    const result = loadWithBase({ 't.yaml': yaml });

    expect(errorsOf(result)).toEqual([expected]);
    expect(result.ok ? '' : result.errors[0]?.message).toContain(text);
  });

  it('checks image packages and releases', () => {
    const yaml =
      'apiVersion: stockade/v1\nkind: Image\nmetadata:\n  name: img\nspec:\n  release: ../14\n  packages: [nginx, -f]\n';

    const result = loadWithBase({ 't.yaml': yaml });

    expect(errorsOf(result)).toEqual([
      'RELEASE_INVALID t.yaml:6:12 spec.release',
      'PACKAGE_INVALID t.yaml:7:21 spec.packages[1]',
    ]);
  });
});

describe('loadManifests: every error of the repository', () => {
  it('collects errors from several files and documents, sorted by file and line', () => {
    const result = loadWithBase({
      'b.yaml': jailYaml('  replicas: -1\n', 'b1') + '---\n' + jailYaml('  bogus: 1\n', 'b2'),
      'a.yaml': 'key: [unclosed\n',
    });

    expect(errorsOf(result)).toEqual([
      'YAML_SYNTAX a.yaml:2:1 ',
      'VALUE_OUT_OF_RANGE b.yaml:8:13 spec.replicas',
      'FIELD_UNKNOWN b.yaml:17:3 spec.bogus',
    ]);
  });

  it('formats diagnostics as file:line:col: path: message, escaping control characters', () => {
    const result = loadWithBase({ 't.yaml': jailYaml('  env:\n    X: "a\\u001b[2Jb"\n') });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    const text = formatDiagnostic(result.errors[0] as never);
    expect(text).toBe(
      't.yaml:9:8: spec.env.X: control character U+001B (U+001B) is not allowed: must be text ' +
        'without control characters, quotes, backquotes, `$`, backslash, braces, `;`, `|`, `&`, ' +
        '`<` or `>`, at most 4096 characters',
    );
    // eslint-disable-next-line no-control-regex -- the assertion is about control characters
    expect(text).not.toMatch(/[\u0000-\u001f]/);
  });

  it('does not cascade: a reference to an invalid document is not reported as unknown', () => {
    const net =
      'apiVersion: stockade/v1\nkind: Network\nmetadata:\n  name: bad\nspec:\n  mode: vnet\n  cidr: 10.9.0.0/24\n  extra: 1\n';
    const result = loadWithBase({
      'n.yaml': net,
      't.yaml': jailYaml('  networks:\n    - name: bad\n'),
    });

    expect(errorsOf(result)).toEqual(['FIELD_UNKNOWN n.yaml:8:3 spec.extra']);
  });
});
