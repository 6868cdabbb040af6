// SPDX-License-Identifier: BSD-2-Clause
// Rules that span documents or that a schema cannot say: unknown references, duplicate names,
// dependency cycles, files, health checks and service ports. Address and policy rules live in
// check-addresses.ts and check-policy.ts. Pure: every rule returns diagnostics.

import { checkAddresses } from './check-addresses.js';
import { checkPolicy } from './check-policy.js';
import { diagAt, ofKind, whereDefined, type CheckedDoc, type CheckInput } from './check-context.js';
import type { Diagnostic } from './diagnostic.js';
import type { FileSpec, JailDoc, Kind, ServiceDoc } from './types.js';

export type { CheckedDoc, CheckInput } from './check-context.js';

/** Largest repository file a `source:` field may reference, in bytes. */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

/** Diagnostics of every cross-document rule, and the repository files `source:` fields use. */
export function checkManifests(input: CheckInput): {
  diagnostics: Diagnostic[];
  referencedFiles: Set<string>;
} {
  const referencedFiles = new Set<string>();
  const diagnostics = [
    ...checkDuplicateNames(input.docs),
    ...checkReferences(input),
    ...checkReplicaNames(ofKind(input.docs, 'Jail')),
    ...checkDependencyCycles(ofKind(input.docs, 'Jail')),
    ...checkFiles(input, referencedFiles),
    ...checkJails(ofKind(input.docs, 'Jail')),
    ...checkPlacement(input.docs),
    ...checkHiddenFiles(input.docs),
    ...checkServices(input.docs),
    ...checkAddresses(input.docs, input.options),
    ...checkPolicy(input.docs, input.options),
  ];
  return { diagnostics, referencedFiles };
}

/** True when `labels` hold every key and value of `selector`. */
export function matchesSelector(
  labels: Readonly<Record<string, string>>,
  selector: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v);
}

function checkDuplicateNames(docs: readonly CheckedDoc[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, CheckedDoc>();
  for (const entry of docs) {
    const key = `${entry.doc.kind}/${entry.doc.metadata.name}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, entry);
      continue;
    }
    const message = `${entry.doc.kind} '${entry.doc.metadata.name}' is already defined at ${whereDefined(first)}`;
    out.push(diagAt(entry, ['metadata', 'name'], 'NAME_DUPLICATE', message));
  }
  return out;
}

function checkReferences(input: CheckInput): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { names } = input;
  const missing = (kind: Kind, name: string): boolean => !names[kind].has(name);

  for (const entry of ofKind(input.docs, 'Jail')) {
    const spec = entry.doc.spec;
    if (missing('Image', spec.image)) {
      out.push(
        diagAt(entry, ['spec', 'image'], 'REF_IMAGE_UNKNOWN', `no Image named '${spec.image}'`),
      );
    }
    (spec.networks ?? []).forEach((n, i) => {
      if (missing('Network', n.name)) {
        const message = `no Network named '${n.name}'`;
        out.push(diagAt(entry, ['spec', 'networks', i, 'name'], 'REF_NETWORK_UNKNOWN', message));
      }
    });
    (spec.volumes ?? []).forEach((v, i) => {
      if (missing('Volume', v.name)) {
        const message = `no Volume named '${v.name}'`;
        out.push(diagAt(entry, ['spec', 'volumes', i, 'name'], 'REF_VOLUME_UNKNOWN', message));
      }
    });
    (spec.dependsOn ?? []).forEach((name, i) => {
      if (missing('Jail', name)) {
        const message = `no Jail named '${name}'`;
        out.push(diagAt(entry, ['spec', 'dependsOn', i], 'REF_DEPENDENCY_UNKNOWN', message));
      }
    });
  }

  for (const entry of ofKind(input.docs, 'Network')) {
    (entry.doc.spec.allowFrom ?? []).forEach((name, i) => {
      if (missing('Network', name)) {
        const message = `no Network named '${name}'`;
        out.push(diagAt(entry, ['spec', 'allowFrom', i], 'REF_NETWORK_UNKNOWN', message));
      }
    });
  }
  return out;
}

// A jail `web` with replicas 3 runs as web-0, web-1 and web-2; a jail named `web-1` would
// take one of those names.
function checkReplicaNames(jails: readonly CheckedDoc<JailDoc>[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map(jails.map((j) => [j.doc.metadata.name, j]));
  for (const entry of jails) {
    const m = /^(.*)-([0-9]+)$/.exec(entry.doc.metadata.name);
    const owner = m === null ? undefined : byName.get(m[1] as string);
    if (owner === undefined) {
      continue;
    }
    if (Number(m?.[2]) < Math.max(owner.doc.spec.replicas ?? 1, 1)) {
      const message =
        `jail name '${entry.doc.metadata.name}' is also the name of a replica of jail ` +
        `'${owner.doc.metadata.name}' (${whereDefined(owner)})`;
      out.push(diagAt(entry, ['metadata', 'name'], 'JAIL_NAME_COLLISION', message));
    }
  }
  return out;
}

// Depth-first search with an explicit stack; each cycle is reported once, at the dependsOn
// entry that closes it.
function checkDependencyCycles(jails: readonly CheckedDoc<JailDoc>[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const byName = new Map(jails.map((j) => [j.doc.metadata.name, j]));
  const state = new Map<string, 'open' | 'done'>();

  for (const root of jails) {
    if (state.has(root.doc.metadata.name)) {
      continue;
    }
    const path: string[] = [];
    const stack: { name: string; next: number }[] = [{ name: root.doc.metadata.name, next: 0 }];
    state.set(root.doc.metadata.name, 'open');
    path.push(root.doc.metadata.name);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { name: string; next: number };
      const entry = byName.get(top.name) as CheckedDoc<JailDoc>;
      const deps = entry.doc.spec.dependsOn ?? [];
      if (top.next >= deps.length) {
        state.set(top.name, 'done');
        stack.pop();
        path.pop();
        continue;
      }
      const index = top.next++;
      const dep = deps[index] as string;
      if (!byName.has(dep)) {
        continue;
      }
      if (state.get(dep) === 'open') {
        const cycle = [...path.slice(path.indexOf(dep)), dep].join(' -> ');
        const message = `dependency cycle: ${cycle}`;
        out.push(diagAt(entry, ['spec', 'dependsOn', index], 'DEPENDENCY_CYCLE', message));
      } else if (!state.has(dep)) {
        state.set(dep, 'open');
        path.push(dep);
        stack.push({ name: dep, next: 0 });
      }
    }
  }
  return out;
}

function checkFiles(input: CheckInput, referenced: Set<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const entry of input.docs) {
    if (entry.doc.kind !== 'Jail' && entry.doc.kind !== 'Image') {
      continue;
    }
    const files: FileSpec[] = entry.doc.spec.files ?? [];
    const paths = new Map<string, number>();
    files.forEach((f, i) => {
      const at = ['spec', 'files', i];
      const first = paths.get(f.path);
      if (first !== undefined) {
        const message = `path '${f.path}' is already written by files[${first}]`;
        out.push(diagAt(entry, [...at, 'path'], 'FILE_PATH_DUPLICATE', message));
      }
      paths.set(f.path, first ?? i);

      if ((f.source === undefined) === (f.content === undefined)) {
        const message = 'a file needs exactly one of source and content';
        out.push(diagAt(entry, at, 'FILE_SOURCE_CONFLICT', message));
        return;
      }
      if (f.source === undefined) {
        return;
      }
      const content = input.files.get(f.source);
      if (content === undefined) {
        const message = `no file '${f.source}' in the manifest folder`;
        out.push(diagAt(entry, [...at, 'source'], 'FILE_SOURCE_MISSING', message));
        return;
      }
      const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
      if (size > MAX_SOURCE_BYTES) {
        const message = `file '${f.source}' is ${size} bytes; the limit is ${MAX_SOURCE_BYTES}`;
        out.push(diagAt(entry, [...at, 'source'], 'FILE_SOURCE_TOO_LARGE', message));
        return;
      }
      referenced.add(f.source);
    });
  }
  return out;
}

function checkJails(jails: readonly CheckedDoc<JailDoc>[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const entry of jails) {
    const spec = entry.doc.spec;
    const mounts = new Map<string, number>();
    (spec.volumes ?? []).forEach((v, i) => {
      const first = mounts.get(v.mountPath);
      if (first !== undefined) {
        const message = `mountPath '${v.mountPath}' is already used by volumes[${first}]`;
        out.push(
          diagAt(entry, ['spec', 'volumes', i, 'mountPath'], 'JAIL_MOUNT_DUPLICATE', message),
        );
      } else {
        mounts.set(v.mountPath, i);
      }
    });

    if (spec.health !== undefined) {
      const kinds = (['tcp', 'http', 'exec'] as const).filter(
        (k) => spec.health?.[k] !== undefined,
      );
      if (kinds.length !== 1) {
        const found = kinds.length === 0 ? 'none' : kinds.join(', ');
        const message = `a health check needs exactly one of tcp, http and exec (found ${found})`;
        out.push(diagAt(entry, ['spec', 'health'], 'HEALTH_CHECK_KIND', message));
      }
    }
  }
  return out;
}

// A volume mounted over a directory hides what the image or the jail's own files put there;
// almost always a mistake (a config file written under the data volume), so it is a warning.
function checkHiddenFiles(docs: readonly CheckedDoc[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const images = new Map(ofKind(docs, 'Image').map((i) => [i.doc.metadata.name, i.doc]));
  const under = (file: string, mount: string): boolean => file.startsWith(`${mount}/`);

  for (const entry of ofKind(docs, 'Jail')) {
    const mounts = entry.doc.spec.volumes ?? [];
    (entry.doc.spec.files ?? []).forEach((f, i) => {
      const mount = mounts.find((m) => under(f.path, m.mountPath));
      if (mount !== undefined) {
        const message = `'${f.path}' is hidden by volume '${mount.name}' mounted on '${mount.mountPath}'`;
        out.push(
          diagAt(entry, ['spec', 'files', i, 'path'], 'FILE_HIDDEN_BY_MOUNT', message, {
            severity: 'warning',
          }),
        );
      }
    });

    const imageFiles = images.get(entry.doc.spec.image)?.spec.files ?? [];
    mounts.forEach((m, i) => {
      const hidden = imageFiles.find((f) => under(f.path, m.mountPath));
      if (hidden !== undefined) {
        const message = `mounting '${m.name}' here hides '${hidden.path}' from image '${entry.doc.spec.image}'`;
        out.push(
          diagAt(entry, ['spec', 'volumes', i, 'mountPath'], 'FILE_HIDDEN_BY_MOUNT', message, {
            severity: 'warning',
          }),
        );
      }
    });
  }
  return out;
}

// Placement can only be judged when the repository lists its nodes; a single node decides
// from its own config labels, which the loader does not see.
function checkPlacement(docs: readonly CheckedDoc[]): Diagnostic[] {
  const nodes = ofKind(docs, 'Node');
  if (nodes.length === 0) {
    return [];
  }

  const out: Diagnostic[] = [];
  for (const entry of ofKind(docs, 'Jail')) {
    const selector = entry.doc.spec.nodeSelector;
    if (selector === undefined) {
      continue;
    }
    if (!nodes.some((n) => matchesSelector(n.doc.metadata.labels ?? {}, selector))) {
      const message = 'nodeSelector matches no Node; the jail will run nowhere';
      out.push(
        diagAt(entry, ['spec', 'nodeSelector'], 'NODE_SELECTOR_UNMATCHED', message, {
          severity: 'warning',
        }),
      );
    }
  }
  return out;
}

function checkServices(docs: readonly CheckedDoc[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const jails = ofKind(docs, 'Jail');
  const hostPorts = new Map<string, { entry: CheckedDoc<ServiceDoc>; index: number }>();

  for (const entry of ofKind(docs, 'Service')) {
    const { selector, ports } = entry.doc.spec;
    const matched = jails.some((j) => matchesSelector(j.doc.metadata.labels ?? {}, selector));
    if (!matched) {
      const message = 'selector matches no jail; the service has no endpoints';
      out.push(
        diagAt(entry, ['spec', 'selector'], 'SERVICE_SELECTOR_UNMATCHED', message, {
          severity: 'warning',
        }),
      );
    }

    const own = new Map<string, number>();
    ports.forEach((p, i) => {
      const protocol = p.protocol ?? 'tcp';
      const key = `${protocol}/${p.port}`;
      const first = own.get(key);
      if (first !== undefined) {
        const message = `port ${key} is already listed as ports[${first}]`;
        out.push(diagAt(entry, ['spec', 'ports', i, 'port'], 'SERVICE_PORT_DUPLICATE', message));
      }
      own.set(key, first ?? i);

      if (p.hostPort === undefined) {
        return;
      }
      const hostKey = `${protocol}/${p.hostPort}`;
      const taken = hostPorts.get(hostKey);
      if (taken !== undefined) {
        const message =
          `host port ${hostKey} is already published by service ` +
          `'${taken.entry.doc.metadata.name}' (${whereDefined(taken.entry)})`;
        out.push(
          diagAt(entry, ['spec', 'ports', i, 'hostPort'], 'SERVICE_HOST_PORT_CONFLICT', message),
        );
      } else {
        hostPorts.set(hostKey, { entry, index: i });
      }
    });
  }
  return out;
}
