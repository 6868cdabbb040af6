// SPDX-License-Identifier: BSD-2-Clause
// Shared builders for the manifest tests: a small valid repository to add a case to, and a
// compact view of diagnostics (code, file:line:col, path) to compare against.

import type { Diagnostic } from '../../src/manifest/diagnostic.js';
import { loadManifests, type LoadOptions, type LoadResult } from '../../src/manifest/load.js';

/** A valid repository: one image, three networks (v4 vnet, v6 vnet, v4 shared), one volume. */
export const BASE_YAML = `apiVersion: stockade/v1
kind: Image
metadata:
  name: base
spec:
  release: 14.3-RELEASE
---
apiVersion: stockade/v1
kind: Network
metadata:
  name: net
spec:
  mode: vnet
  cidr: 10.77.1.0/24
---
apiVersion: stockade/v1
kind: Network
metadata:
  name: net6
spec:
  mode: vnet
  cidr: fd00:77:1::/64
---
apiVersion: stockade/v1
kind: Network
metadata:
  name: lan
spec:
  mode: shared
  cidr: 10.88.0.0/29
---
apiVersion: stockade/v1
kind: Volume
metadata:
  name: data
spec:
  quota: 1G
`;

/** A Jail document named `name` whose spec continues with `extra` from line 8 on. */
export function jailYaml(extra = '', name = 'web'): string {
  return `apiVersion: stockade/v1
kind: Jail
metadata:
  name: ${name}
spec:
  image: base
  command: [/bin/sh]
${extra}`;
}

/** Loads BASE_YAML as base.yaml plus `files`. */
export function loadWithBase(files: Record<string, string>, options?: LoadOptions): LoadResult {
  return loadManifests(new Map(Object.entries({ 'base.yaml': BASE_YAML, ...files })), options);
}

/** One diagnostic as `CODE file:line:col path`, for compact exact assertions. */
export function brief(d: Diagnostic): string {
  return `${d.code} ${d.file}:${d.line}:${d.column} ${d.path}`;
}

/** Every error of a result in brief form; empty when it loaded. */
export function errorsOf(result: LoadResult): string[] {
  return result.ok ? [] : result.errors.map(brief);
}

/** Every warning of a result in brief form. */
export function warningsOf(result: LoadResult): string[] {
  return result.warnings.map(brief);
}
