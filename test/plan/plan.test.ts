// SPDX-License-Identifier: BSD-2-Clause
// The planner's step lists for new jails, in-place updates and replacements: exact ids, order,
// dependencies and waves.

import { describe, expect, it } from 'vitest';

import { planChanges } from '../../src/plan/plan.js';
import { bridgeName, epairName, loopbackName } from '../../src/topology/iface-names.js';
import { emptyTopology, image, jail, network, service } from './builders.js';
import { compile, GUARD, hostRunning, ids, step, webRepo } from './fixtures.js';

const R = 'tank/stockade';

describe('planChanges for a new vnet jail', () => {
  it('creates datasets, image, network, then the jail in the reference order', () => {
    const desired = compile(webRepo({ resources: { memory: '512M', cpuset: '0-1' } }));
    const imageDataset = Object.keys(desired.images)[0] as string;
    const bridge = bridgeName('frontend');

    const plan = planChanges(desired, emptyTopology(), GUARD);

    expect(ids(plan)).toEqual([
      `dataset.create:${R}`,
      `netif.create:${bridge}`,
      `dataset.create:${R}/releases/14.2-RELEASE`,
      `dataset.create:${R}/volumes/data`,
      `image.build:${imageDataset}`,
      `dataset.clone:${R}/jails/web-0`,
      'file.write:web-0',
      'epair.create:web-0:frontend',
      'jail.create:web-0',
      'jail.configureNetwork:web-0:frontend',
      'rctl.set:web-0',
      'cpuset.set:web-0',
      'jail.startCommand:web-0',
    ]);
    expect(plan.steps.map((s) => s.wave)).toEqual([0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9]);
    expect(step(plan, 'epair.create:web-0:frontend').dependsOn).toEqual([
      'file.write:web-0',
      `netif.create:${bridge}`,
    ]);
    expect(step(plan, 'jail.startCommand:web-0').dependsOn).toEqual([
      'rctl.set:web-0',
      'cpuset.set:web-0',
    ]);
    expect(plan.summary).toEqual({ create: 6, change: 0, destroy: 0, replace: 0 });
    expect(plan.steps.every((s) => !s.destructive && s.symbol === '+')).toBe(true);
  });

  it('mounts volumes after the files and before the epair, once the volume exists', () => {
    const desired = compile(webRepo({ volumes: [{ name: 'data', mountPath: '/var/db' }] }));

    const plan = planChanges(desired, emptyTopology(), GUARD);

    const mount = `mount.add:web-0:/${R}/jails/web-0/var/db`;
    expect(step(plan, mount).dependsOn).toEqual([
      'file.write:web-0',
      `dataset.create:${R}/volumes/data`,
    ]);
    expect(step(plan, 'epair.create:web-0:frontend').dependsOn).toEqual([
      mount,
      `netif.create:${bridgeName('frontend')}`,
    ]);
    expect(step(plan, mount).action).toEqual({
      type: 'mount.add',
      jail: 'web-0',
      mount: {
        volume: 'data',
        source: `/${R}/volumes/data`,
        target: `/${R}/jails/web-0/var/db`,
        readonly: false,
      },
    });
  });

  it('creates a shared-network jail without an epair, after its loopback', () => {
    const docs = [
      network('backend', { cidr: '10.77.2.0/24', mode: 'shared' }),
      image('base'),
      jail('db', { networks: [{ name: 'backend' }] }),
    ];

    const plan = planChanges(compile(docs), emptyTopology(), GUARD);

    expect(ids(plan).filter((id) => id.includes('db-0'))).toEqual([
      `dataset.clone:${R}/jails/db-0`,
      'file.write:db-0',
      'jail.create:db-0',
      'jail.configureNetwork:db-0:backend',
      'jail.startCommand:db-0',
    ]);
    expect(step(plan, 'jail.create:db-0').dependsOn).toEqual([
      'file.write:db-0',
      `netif.create:${loopbackName('backend')}`,
    ]);
  });

  it('starts a jail after the jails it depends on', () => {
    const docs = webRepo({}, [
      jail('api', { networks: [{ name: 'frontend' }], dependsOn: ['web'] }),
    ]);

    const plan = planChanges(compile(docs), emptyTopology(), GUARD);

    expect(step(plan, 'jail.startCommand:api-0').dependsOn).toEqual([
      'jail.configureNetwork:api-0:frontend',
      'jail.startCommand:web-0',
    ]);
    expect(step(plan, 'jail.startCommand:api-0').wave).toBeGreaterThan(
      step(plan, 'jail.startCommand:web-0').wave,
    );
  });

  it('fills a published service table after its anchor and its endpoints', () => {
    const docs = webRepo({ replicas: 2 }, [
      service('web', { selector: { app: 'web' }, ports: [{ port: 80, hostPort: 8080 }] }),
    ]);

    const plan = planChanges(compile(docs), emptyTopology(), GUARD);

    expect(step(plan, 'pf.replaceTable:stockade/svc-web:svc_web').dependsOn).toEqual([
      'pf.loadAnchor:stockade/svc-web',
      'jail.startCommand:web-0',
      'jail.startCommand:web-1',
    ]);
  });
});

describe('planChanges for a changed jail', () => {
  it('plans nothing when the host already matches', () => {
    const docs = webRepo();
    const { host, applied } = hostRunning(docs);

    const plan = planChanges(compile(docs, applied), host.observe(), GUARD);

    expect(plan.steps).toEqual([]);
    expect(plan.summary).toEqual({ create: 0, change: 0, destroy: 0, replace: 0 });
  });

  it('updates limits in place when only resources change', () => {
    const { host, applied } = hostRunning(webRepo({ resources: { memory: '512M' } }));

    const plan = planChanges(
      compile(webRepo({ resources: { memory: '1G', cpuset: '2' } }), applied),
      host.observe(),
      GUARD,
    );

    expect(ids(plan)).toEqual(['rctl.set:web-0', 'cpuset.set:web-0']);
    expect(step(plan, 'rctl.set:web-0').action).toEqual({
      type: 'rctl.set',
      jail: 'web-0',
      rules: [{ resource: 'memoryuse', action: 'deny', amount: '1073741824' }],
    });
    expect(plan.changes).toEqual([
      {
        resource: 'jail',
        name: 'web-0',
        symbol: '~',
        reasons: [
          {
            kind: 'changed',
            field: 'rctl',
            from: [{ resource: 'memoryuse', action: 'deny', amount: '536870912' }],
            to: [{ resource: 'memoryuse', action: 'deny', amount: '1073741824' }],
          },
          { kind: 'changed', field: 'cpuset', from: null, to: '2' },
        ],
      },
    ]);
  });

  it('clears all rctl rules when the limits go away', () => {
    const { host, applied } = hostRunning(webRepo({ resources: { memory: '512M', maxproc: 100 } }));

    const plan = planChanges(compile(webRepo(), applied), host.observe(), GUARD);

    expect(plan.steps.map((s) => s.action)).toEqual([{ type: 'rctl.clear', jail: 'web-0' }]);
  });

  it('rewrites files in place when a file changes', () => {
    const { host, applied } = hostRunning(
      webRepo({ files: [{ path: '/etc/motd', content: 'one' }] }),
    );

    const plan = planChanges(
      compile(webRepo({ files: [{ path: '/etc/motd', content: 'two' }] }), applied),
      host.observe(),
      GUARD,
    );

    expect(ids(plan)).toEqual(['file.write:web-0']);
  });

  it('replaces a jail whose image changes: snapshot, teardown, then creation', () => {
    const { host, applied } = hostRunning(webRepo({ resources: { memory: '512M' } }));
    const docs = webRepo({ resources: { memory: '512M' } }).map((d) =>
      d.kind === 'Image' ? image('base', { packages: ['nginx'] }) : d,
    );
    const desired = compile(docs, applied);
    const oldImage = Object.keys(applied.images)[0] as string;
    const newImage = Object.keys(desired.images)[0] as string;
    const snapshot = `pre-replace-${applied.jails['web-0']?.specHash}`;

    const plan = planChanges(desired, host.observe(), GUARD);

    expect(ids(plan)).toEqual([
      `image.build:${newImage}`,
      `dataset.snapshot:${R}/jails/web-0@${snapshot}`,
      'jail.stop:web-0',
      'epair.destroy:web-0:frontend',
      'jail.remove:web-0',
      'rctl.clear:web-0',
      `dataset.destroy:${R}/jails/web-0`,
      `dataset.destroy:${oldImage}`,
      `dataset.clone:${R}/jails/web-0`,
      'file.write:web-0',
      'epair.create:web-0:frontend',
      'jail.create:web-0',
      'jail.configureNetwork:web-0:frontend',
      'rctl.set:web-0',
      'jail.startCommand:web-0',
    ]);
    // The old image goes only after the last clone of it: a clone blocks its origin.
    expect(step(plan, `dataset.destroy:${oldImage}`).dependsOn).toEqual([
      `dataset.destroy:${R}/jails/web-0`,
    ]);
    expect(step(plan, `dataset.clone:${R}/jails/web-0`).dependsOn).toEqual([
      `dataset.destroy:${R}/jails/web-0`,
      `image.build:${newImage}`,
    ]);
    // Changes are listed by kind, then by name.
    const images = [
      ['image', newImage, '+'],
      ['image', oldImage, '-'],
    ].sort((a, b) => ((a[1] as string) < (b[1] as string) ? -1 : 1));
    expect(plan.changes.map((c) => [c.resource, c.name, c.symbol])).toEqual([
      ...images,
      ['jail', 'web-0', '-/+'],
    ]);
    expect(plan.changes[2]?.reasons).toEqual([
      { kind: 'changed', field: 'image', from: `${oldImage}@ready`, to: `${newImage}@ready` },
    ]);
    expect(plan.summary).toEqual({ create: 1, change: 0, destroy: 1, replace: 1 });
    expect(step(plan, 'jail.startCommand:web-0').destructive).toBe(true);
  });

  it('replaces a jail whose jail(8) parameters change, keeping its address and epair name', () => {
    const { host, applied } = hostRunning(webRepo());
    const desired = compile(webRepo({ parameters: { 'allow.raw_sockets': true } }), applied);

    const plan = planChanges(desired, host.observe(), GUARD);

    expect(plan.changes).toEqual([
      {
        resource: 'jail',
        name: 'web-0',
        symbol: '-/+',
        reasons: [
          { kind: 'changed', field: 'params', from: {}, to: { 'allow.raw_sockets': 'true' } },
        ],
      },
    ]);
    expect(desired.jails['web-0']?.interfaces[0]?.address).toBe(
      applied.jails['web-0']?.interfaces[0]?.address,
    );
    expect(desired.jails['web-0']?.interfaces[0]?.epair).toBe(epairName('web-0', 'frontend'));
  });
});
