// SPDX-License-Identifier: BSD-2-Clause
// Properties of compile + plan over generated manifest sets: a plan applied to a host leaves
// nothing to do, moving between two commits converges too, jails keep their addresses, and the
// same input always gives the same plan.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { ManifestDoc, ManifestSet } from '../../src/manifest/types.js';
import { planChanges } from '../../src/plan/plan.js';
import { compileTopology } from '../../src/topology/compile.js';
import {
  emptyTopology,
  image,
  jail,
  manifestSet,
  network,
  nodeConfig,
  service,
  volume,
} from './builders.js';
import { InMemoryHost } from './in-memory-host.js';

const NETWORKS = ['back', 'front', 'mgmt'];
const VOLUMES = ['cache', 'data', 'logs'];
const JAILS = ['api', 'cache', 'db', 'web', 'worker'];
const OPTIONS = { maxPruneRatio: 1, allowPruneAll: true };

const networkArb = fc.record({
  index: fc.nat({ max: 2 }),
  shared: fc.boolean(),
  nat: fc.boolean(),
  isolated: fc.boolean(),
  allowFrom: fc.subarray(NETWORKS),
});

const jailArb = fc.record({
  replicas: fc.integer({ min: 1, max: 3 }),
  image: fc.constantFrom('base', 'alt'),
  networks: fc.subarray(NETWORKS, { maxLength: 2 }),
  volumes: fc.subarray(VOLUMES, { maxLength: 2 }),
  memory: fc.option(fc.constantFrom('256M', '1G'), { nil: undefined }),
  maxproc: fc.option(fc.integer({ min: 10, max: 500 }), { nil: undefined }),
  cpuset: fc.option(fc.constantFrom('0', '0-1'), { nil: undefined }),
  motd: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
  command: fc.constantFrom(['/bin/serve'], ['/bin/serve', '--fast']),
  dependsOnPrevious: fc.boolean(),
});

const setArb = fc.record({
  networks: fc.uniqueArray(networkArb, { selector: (n) => n.index, maxLength: 3 }),
  volumes: fc.uniqueArray(
    fc.record({
      index: fc.nat({ max: 2 }),
      policy: fc.constantFrom('Retain', 'Delete', undefined),
      quota: fc.boolean(),
    }),
    { selector: (v) => v.index, maxLength: 3 },
  ),
  altPackages: fc.subarray(['nginx', 'curl']),
  jails: fc.uniqueArray(fc.tuple(fc.nat({ max: 4 }), jailArb), {
    selector: ([i]) => i,
    maxLength: 4,
  }),
  services: fc.subarray(JAILS, { maxLength: 2 }),
  publish: fc.boolean(),
});

type SetShape = typeof setArb extends fc.Arbitrary<infer T> ? T : never;

/** Turns a generated shape into a consistent manifest set: only declared names are referenced. */
function buildSet(shape: SetShape): ManifestSet {
  const docs: ManifestDoc[] = [];
  const networks = shape.networks.map((n) => NETWORKS[n.index] as string);
  for (const n of shape.networks) {
    const name = NETWORKS[n.index] as string;
    docs.push(
      network(name, {
        cidr: `10.7${n.index}.0.0/26`,
        mode: n.shared ? 'shared' : 'vnet',
        nat: n.nat,
        isolated: n.isolated,
        allowFrom: n.allowFrom.filter((a) => a !== name && networks.includes(a)),
      }),
    );
  }
  const volumes = shape.volumes.map((v) => VOLUMES[v.index] as string);
  for (const v of shape.volumes) {
    docs.push(
      volume(VOLUMES[v.index] as string, {
        ...(v.policy === undefined ? {} : { reclaimPolicy: v.policy as 'Retain' | 'Delete' }),
        ...(v.quota ? { quota: '2G' } : {}),
      }),
    );
  }
  docs.push(image('base'), image('alt', { packages: shape.altPackages }));

  const declared: string[] = [];
  for (const [index, spec] of [...shape.jails].sort((a, b) => a[0] - b[0])) {
    const name = JAILS[index] as string;
    const previous = declared.at(-1);
    docs.push(
      jail(name, {
        replicas: spec.replicas,
        image: spec.image,
        command: spec.command,
        networks: spec.networks.filter((n) => networks.includes(n)).map((n) => ({ name: n })),
        volumes: spec.volumes
          .filter((v) => volumes.includes(v))
          .map((v) => ({ name: v, mountPath: `/srv/${v}` })),
        resources: {
          ...(spec.memory === undefined ? {} : { memory: spec.memory }),
          ...(spec.maxproc === undefined ? {} : { maxproc: spec.maxproc }),
          ...(spec.cpuset === undefined ? {} : { cpuset: spec.cpuset }),
        },
        ...(spec.motd === undefined ? {} : { files: [{ path: '/etc/motd', content: spec.motd }] }),
        ...(spec.dependsOnPrevious && previous !== undefined ? { dependsOn: [previous] } : {}),
      }),
    );
    declared.push(name);
  }
  for (const name of shape.services) {
    docs.push(
      service(name, {
        selector: { app: name },
        ports: [{ port: 80, ...(shape.publish ? { hostPort: 8000 + JAILS.indexOf(name) } : {}) }],
      }),
    );
  }
  return manifestSet(docs);
}

describe('plan properties', () => {
  it('leaves nothing to do after a plan from an empty host is applied', () => {
    fc.assert(
      fc.property(setArb, (shape) => {
        const desired = compileTopology(buildSet(shape), nodeConfig());
        const host = new InMemoryHost();

        host.applyPlan(planChanges(desired, emptyTopology(), OPTIONS).steps);
        const again = planChanges(desired, host.observe(), OPTIONS);

        expect(again.steps).toEqual([]);
        expect(again.changes).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('converges from one commit to another and keeps the addresses of surviving jails', () => {
    fc.assert(
      fc.property(setArb, setArb, (first, second) => {
        const config = nodeConfig();
        const before = compileTopology(buildSet(first), config);
        const host = new InMemoryHost();
        host.applyPlan(planChanges(before, emptyTopology(), OPTIONS).steps);

        const after = compileTopology(buildSet(second), config, { previous: before });
        host.applyPlan(planChanges(after, host.observe(), OPTIONS).steps);
        const again = planChanges(after, host.observe(), OPTIONS);

        expect(again.steps).toEqual([]);
        for (const [name, node] of Object.entries(after.jails)) {
          for (const iface of node.interfaces) {
            const old = before.jails[name]?.interfaces.find((i) => i.network === iface.network);
            if (old !== undefined) expect(iface.address).toBe(old.address);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same topology and plan for the same input', () => {
    fc.assert(
      fc.property(setArb, setArb, (first, second) => {
        const before = compileTopology(buildSet(first), nodeConfig());
        const one = compileTopology(buildSet(second), nodeConfig(), { previous: before });
        const two = compileTopology(buildSet(second), nodeConfig(), { previous: before });

        expect(JSON.stringify(two)).toBe(JSON.stringify(one));
        expect(JSON.stringify(planChanges(two, before, OPTIONS))).toBe(
          JSON.stringify(planChanges(one, before, OPTIONS)),
        );
      }),
      { numRuns: 100 },
    );
  });
});
