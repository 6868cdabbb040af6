// SPDX-License-Identifier: BSD-2-Clause
// The hostile corpus: one folder per case under test/fixtures/hostile, each loaded together
// with the shared base.yaml. Every case must be refused with the expected first diagnostic
// (code, file, line, column) and the expected number of errors.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { loadManifests, type LoadOptions } from '../../src/manifest/load.js';
import { readManifestDir } from '../../src/manifest/read-dir.js';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/hostile');

interface Case {
  dir: string;
  code: string;
  /** `file:line:col` of the first error. */
  at: string;
  /** Total number of errors. */
  count: number;
  options?: LoadOptions;
}

const CASES: Case[] = [
  // Injection aimed at pf rules, tables and anchors.
  { dir: 'pf-service-name', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'pf-network-name-quote', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'pf-label-brace', code: 'LABEL_VALUE_INVALID', at: 'case.yaml:6:10', count: 1 },
  { dir: 'pf-port-name', code: 'PORT_NAME_INVALID', at: 'case.yaml:9:13', count: 1 },
  { dir: 'pf-selector-table', code: 'LABEL_VALUE_INVALID', at: 'case.yaml:7:10', count: 1 },
  // Injection aimed at jail(8) parameters and jail.conf.
  { dir: 'param-exec-prestart', code: 'PARAMETER_RESERVED', at: 'case.yaml:9:5', count: 2 },
  { dir: 'param-exec-poststop', code: 'PARAMETER_RESERVED', at: 'case.yaml:9:5', count: 1 },
  { dir: 'param-path-root', code: 'PARAMETER_RESERVED', at: 'case.yaml:9:5', count: 1 },
  { dir: 'param-mount-host', code: 'PARAMETER_RESERVED', at: 'case.yaml:9:5', count: 2 },
  { dir: 'param-vnet-interface', code: 'PARAMETER_RESERVED', at: 'case.yaml:9:5', count: 1 },
  {
    dir: 'param-name-smuggles-path',
    code: 'PARAMETER_NAME_INVALID',
    at: 'case.yaml:9:5',
    count: 1,
  },
  { dir: 'param-value-newline', code: 'PARAMETER_VALUE_INVALID', at: 'case.yaml:9:18', count: 1 },
  { dir: 'param-value-semicolon', code: 'PARAMETER_VALUE_INVALID', at: 'case.yaml:9:16', count: 1 },
  { dir: 'hostname-jail-conf-quote', code: 'HOSTNAME_INVALID', at: 'case.yaml:8:13', count: 1 },
  // Injection aimed at ZFS dataset names and properties.
  { dir: 'dataset-volume-traversal', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'dataset-jail-slash', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'dataset-image-snapshot', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'dataset-release-traversal', code: 'RELEASE_INVALID', at: 'case.yaml:6:12', count: 1 },
  {
    dir: 'dataset-property-option',
    code: 'PROPERTY_VALUE_INVALID',
    at: 'case.yaml:7:18',
    count: 1,
  },
  { dir: 'dataset-property-mountpoint', code: 'FIELD_UNKNOWN', at: 'case.yaml:7:5', count: 1 },
  // Names that would not fit or would confuse interface tooling.
  { dir: 'ifname-too-long', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'ifname-vlan-dot', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'ifname-underscore', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  // Bugs from the research log (jail-managers.md).
  {
    dir: 'b3-host-address',
    code: 'ADDRESS_HOST_OWNED',
    at: 'case.yaml:10:16',
    count: 1,
    options: { hostAddresses: ['10.77.1.80'] },
  },
  { dir: 'b16-long-similar-name', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'b17-vlan-interface-name', code: 'NAME_INVALID', at: 'case.yaml:9:13', count: 1 },
  { dir: 'b18-dotted-jail-name', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  {
    dir: 'b19-ipv6-on-ipv4-network',
    code: 'ADDRESS_OUTSIDE_CIDR',
    at: 'case.yaml:10:16',
    count: 1,
  },
  { dir: 'b19-ipv6-with-prefix', code: 'ADDRESS_INVALID', at: 'case.yaml:10:16', count: 1 },
  { dir: 'b19-ipv6-scope', code: 'ADDRESS_INVALID', at: 'case.yaml:10:16', count: 1 },
  { dir: 'b27-env-quotes', code: 'ENV_VALUE_INVALID', at: 'case.yaml:9:12', count: 1 },
  { dir: 'b27-label-quotes', code: 'LABEL_VALUE_INVALID', at: 'case.yaml:6:13', count: 1 },
  { dir: 'b27-argv-newline', code: 'ARGV_INVALID', at: 'case.yaml:7:30', count: 1 },
  // Names jail(8), jls(8), jexec(8) and getopt would misread.
  { dir: 'name-all-digits', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'name-leading-dash', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'name-unicode', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'name-nul', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  { dir: 'name-wildcard', code: 'NAME_INVALID', at: 'case.yaml:4:9', count: 1 },
  // Oversized values.
  { dir: 'oversized-label-value', code: 'VALUE_TOO_LONG', at: 'case.yaml:6:10', count: 1 },
  { dir: 'oversized-list', code: 'VALUE_TOO_LONG', at: 'case.yaml:8:14', count: 1 },
  { dir: 'oversized-replicas', code: 'VALUE_OUT_OF_RANGE', at: 'case.yaml:8:13', count: 1 },
  { dir: 'deep-nesting', code: 'YAML_TOO_DEEP', at: 'case.yaml:8:39', count: 1 },
  // Wrong types.
  { dir: 'type-replicas-string', code: 'TYPE_MISMATCH', at: 'case.yaml:8:13', count: 1 },
  { dir: 'type-command-string', code: 'TYPE_MISMATCH', at: 'case.yaml:7:12', count: 1 },
  { dir: 'type-parameter-object', code: 'TYPE_MISMATCH', at: 'case.yaml:9:18', count: 1 },
  { dir: 'type-label-number', code: 'TYPE_MISMATCH', at: 'case.yaml:6:14', count: 1 },
  { dir: 'type-yes-is-a-string', code: 'TYPE_MISMATCH', at: 'case.yaml:8:8', count: 1 },
  // YAML tricks.
  { dir: 'yaml-billion-laughs', code: 'YAML_ANCHOR', at: 'case.yaml:1:7', count: 40 },
  { dir: 'yaml-merge-key', code: 'YAML_ANCHOR', at: 'case.yaml:2:3', count: 2 },
  { dir: 'yaml-duplicate-key', code: 'YAML_DUPLICATE_KEY', at: 'case.yaml:8:3', count: 1 },
  { dir: 'yaml-python-tag', code: 'YAML_TAG', at: 'case.yaml:7:44', count: 1 },
  { dir: 'yaml-custom-tag', code: 'YAML_TAG', at: 'case.yaml:8:18', count: 1 },
  { dir: 'yaml-non-string-key', code: 'YAML_NON_STRING_KEY', at: 'case.yaml:9:5', count: 1 },
  { dir: 'yaml-proto-key', code: 'YAML_RESERVED_KEY', at: 'case.yaml:9:5', count: 1 },
  { dir: 'yaml-invalid-utf8', code: 'YAML_ENCODING', at: 'case.yaml:1:1', count: 1 },
  // Paths leaving the jail or the repository.
  { dir: 'path-source-traversal', code: 'SOURCE_PATH_INVALID', at: 'case.yaml:10:15', count: 1 },
  { dir: 'path-mount-traversal', code: 'PATH_INVALID', at: 'case.yaml:10:18', count: 1 },
  { dir: 'path-file-newline', code: 'PATH_INVALID', at: 'case.yaml:9:13', count: 1 },
  // Values that reach rctl(8), cpuset(1), pkg(8) and the HTTP health check.
  { dir: 'rctl-size-injection', code: 'SIZE_INVALID', at: 'case.yaml:9:13', count: 1 },
  { dir: 'cpuset-option-injection', code: 'CPUSET_INVALID', at: 'case.yaml:9:13', count: 1 },
  { dir: 'pkg-option-injection', code: 'PACKAGE_INVALID', at: 'case.yaml:7:14', count: 1 },
  { dir: 'http-header-injection', code: 'HTTP_PATH_INVALID', at: 'case.yaml:11:13', count: 1 },
  { dir: 'env-name-assignment', code: 'ENV_NAME_INVALID', at: 'case.yaml:9:5', count: 1 },
  { dir: 'env-reserved-prefix', code: 'ENV_NAME_RESERVED', at: 'case.yaml:9:5', count: 1 },
];

async function loadCase(dir: string, options?: LoadOptions) {
  const base = (await readManifestDir(ROOT)).get('base.yaml');
  const files = await readManifestDir(path.join(ROOT, dir));
  files.set('base.yaml', base as Uint8Array);
  return loadManifests(files, options);
}

describe('hostile corpus', () => {
  it('has a table row for every fixture folder, and at least 40 cases', () => {
    const folders = readdirSync(ROOT).filter((f) => statSync(path.join(ROOT, f)).isDirectory());

    expect(CASES.map((c) => c.dir).sort()).toEqual(folders.sort());
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it('loads the shared base on its own', async () => {
    const result = loadManifests(
      await readManifestDir(ROOT).then(
        (m) => new Map([['base.yaml', m.get('base.yaml') as Uint8Array]]),
      ),
    );

    expect(result.ok).toBe(true);
  });

  it.each(CASES)('$dir is refused with $code at $at', async ({ dir, code, at, count, options }) => {
    const result = await loadCase(dir, options);

    expect(result.ok).toBe(false);
    if (result.ok) return;
    const first = result.errors[0];
    expect(first && `${first.code} ${first.file}:${first.line}:${first.column}`).toBe(
      `${code} ${at}`,
    );
    expect(result.errors).toHaveLength(count);
  });

  it('refuses a file over the size limit before parsing it', () => {
    const big = `# ${'x'.repeat(1024 * 1024)}\napiVersion: stockade/v1\n`;

    const result = loadManifests(new Map([['big.yaml', big]]));

    expect(
      result.ok ? [] : result.errors.map((e) => `${e.code} ${e.file}:${e.line}:${e.column}`),
    ).toEqual(['YAML_FILE_TOO_LARGE big.yaml:1:1']);
  });

  it('refuses very deep nesting without exhausting the heap', () => {
    const flow = `spec: ${'['.repeat(200000)}\n`;
    const compact = `${'- '.repeat(200000)}x\n`;

    const result = loadManifests(
      new Map([
        ['flow.yaml', flow],
        ['compact.yaml', compact],
      ]),
    );

    expect(result.ok ? [] : result.errors.map((e) => e.code)).toEqual([
      'YAML_TOO_DEEP',
      'YAML_TOO_DEEP',
    ]);
  });
});
