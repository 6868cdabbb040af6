// SPDX-License-Identifier: BSD-2-Clause
// The planner's teardown: jail removal in the reference's order, the volume reclaim rule, the
// prune guard, networks removed after their jails, drift and self-healing.

import { describe, expect, it } from 'vitest';

import { PruneGuardError } from '../../src/errors/prune-guard-error.js';
import { planChanges } from '../../src/plan/plan.js';
import { bridgeName } from '../../src/topology/iface-names.js';
import { image, jail, network, service, volume } from './builders.js';
import { compile, GUARD, hostRunning, ids, step, webRepo } from './fixtures.js';

const R = 'tank/stockade';

describe('planChanges removing a jail', () => {
  it('stops, returns epairs, removes, unmounts, clears limits, then destroys the root', () => {
    const withDb = webRepo({}, [
      jail('db', {
        networks: [{ name: 'frontend' }],
        volumes: [{ name: 'data', mountPath: '/var/db' }],
        resources: { maxproc: 50 },
      }),
    ]);
    const { host, applied } = hostRunning(withDb);

    const plan = planChanges(compile(webRepo(), applied), host.observe(), GUARD);

    const unmount = `mount.remove:db-0:/${R}/jails/db-0/var/db`;
    expect(ids(plan)).toEqual([
      'jail.stop:db-0',
      // web-0 no longer lists db-0 in its /etc/hosts.
      'file.write:web-0',
      'epair.destroy:db-0:frontend',
      'jail.remove:db-0',
      unmount,
      'rctl.clear:db-0',
      `dataset.destroy:${R}/jails/db-0`,
    ]);
    expect(step(plan, `dataset.destroy:${R}/jails/db-0`).dependsOn).toEqual([
      unmount,
      'rctl.clear:db-0',
    ]);
    const dbAddress = applied.jails['db-0']?.interfaces[0]?.address.split('/')[0];
    const dbSteps = plan.steps.filter((s) => s.id !== 'file.write:web-0');
    expect(dbSteps.every((s) => s.destructive && s.symbol === '-')).toBe(true);
    expect(plan.changes).toEqual([
      { resource: 'jail', name: 'db-0', symbol: '-', reasons: [{ kind: 'removed' }] },
      {
        resource: 'network',
        name: '/etc/hosts',
        symbol: '~',
        reasons: [{ kind: 'changed', field: 'hosts', from: [`db-0=${dbAddress}`], to: [] }],
      },
    ]);
    expect(step(plan, 'file.write:web-0').reason).toEqual(plan.changes[1]?.reasons[0]);
  });

  it('drops a removed endpoint from its service table before the jail stops', () => {
    const svc = service('web', { selector: { app: 'web' }, ports: [{ port: 80, hostPort: 8080 }] });
    const { host, applied } = hostRunning(webRepo({ replicas: 2 }, [svc]));

    const plan = planChanges(
      compile(webRepo({ replicas: 1 }, [svc]), applied),
      host.observe(),
      GUARD,
    );

    expect(step(plan, 'jail.stop:web-1').dependsOn).toEqual([
      'pf.replaceTable:stockade/svc-web:svc_web',
    ]);
    expect(step(plan, 'pf.replaceTable:stockade/svc-web:svc_web').action).toEqual({
      type: 'pf.replaceTable',
      anchor: 'stockade/svc-web',
      table: 'svc_web',
      addresses: [applied.jails['web-0']?.interfaces[0]?.address.split('/')[0]],
    });
  });

  it('stops dependants before the jails they depend on', () => {
    const docs = webRepo({}, [
      jail('db', { networks: [{ name: 'frontend' }] }),
      jail('api', { networks: [{ name: 'frontend' }], dependsOn: ['db'] }),
    ]);
    const { host, applied } = hostRunning(docs);

    const plan = planChanges(compile(webRepo(), applied), host.observe(), {
      ...GUARD,
      maxPruneRatio: 0.7,
    });

    expect(step(plan, 'jail.stop:db-0').dependsOn).toEqual(['jail.stop:api-0']);
  });

  it('destroys a network interface only after its jails are removed', () => {
    const docs = [
      network('frontend', { cidr: '10.77.1.0/24' }),
      network('backend', { cidr: '10.77.2.0/24' }),
      image('base'),
      jail('web', { networks: [{ name: 'frontend' }] }),
      jail('db', { networks: [{ name: 'backend' }] }),
    ];
    const { host, applied } = hostRunning(docs);
    const after = docs.filter((d) => d.metadata.name !== 'db' && d.metadata.name !== 'backend');

    const plan = planChanges(compile(after, applied), host.observe(), GUARD);

    expect(step(plan, `netif.destroy:${bridgeName('backend')}`).dependsOn).toEqual([
      'jail.remove:db-0',
    ]);
    // With backend gone, frontend has nothing left to isolate itself from, so its anchor goes too.
    expect(ids(plan).filter((id) => id.startsWith('pf.'))).toEqual([
      'pf.flushAnchor:stockade/net-backend',
      'pf.flushAnchor:stockade/net-frontend',
    ]);
  });
});

describe('planChanges teardown safety', () => {
  it('fences stop and remove by the JID the host reported', () => {
    const { host, applied } = hostRunning(
      webRepo({}, [jail('db', { networks: [{ name: 'frontend' }] })]),
    );
    const observed = host.observe();
    (observed.jails['db-0'] as { jid?: number }).jid = 42;

    const plan = planChanges(compile(webRepo(), applied), observed, GUARD);

    expect(step(plan, 'jail.stop:db-0').action).toEqual({
      type: 'jail.stop',
      jail: 'db-0',
      jid: 42,
    });
    expect(step(plan, 'jail.remove:db-0').action).toEqual({
      type: 'jail.remove',
      jail: 'db-0',
      jid: 42,
    });
  });

  it('keeps independent jails independent, so one failure does not block the others', () => {
    const docs = webRepo({}, [jail('db', { networks: [{ name: 'frontend' }] })]);

    const plan = planChanges(compile(docs), compile([]), GUARD);

    const web = plan.steps.filter((s) => s.target === 'web-0' || s.target.endsWith('/web-0'));
    expect(web.length).toBeGreaterThan(0);
    for (const s of web) expect(s.dependsOn.filter((d) => d.includes('db-0'))).toEqual([]);
  });
});

describe('planChanges for volumes that leave the repository', () => {
  it('retains a volume by default and reports it', () => {
    const { host, applied } = hostRunning(webRepo());
    const docs = webRepo().filter((d) => d.kind !== 'Volume');

    const plan = planChanges(compile(docs, applied), host.observe(), GUARD);

    expect(plan.steps.map((s) => s.action)).toEqual([
      { type: 'volume.retain', name: 'data', dataset: `${R}/volumes/data` },
    ]);
    expect(plan.warnings).toEqual([
      `volume 'data' left the repository and is retained: ${R}/volumes/data`,
    ]);
    expect(plan.steps[0]?.destructive).toBe(false);
  });

  it('snapshots, then destroys, a volume whose policy is Delete, after unmounting it', () => {
    const mounted = { volumes: [{ name: 'data', mountPath: '/data' }] };
    const docs = webRepo(mounted).map((d) =>
      d.kind === 'Volume' ? volume('data', { reclaimPolicy: 'Delete' }) : d,
    );
    const { host, applied } = hostRunning(docs);
    const after = webRepo().filter((d) => d.kind !== 'Volume');

    const plan = planChanges(compile(after, applied), host.observe(), GUARD);

    const unmount = `mount.remove:web-0:/${R}/jails/web-0/data`;
    expect(step(plan, `dataset.snapshot:${R}/volumes/data@pre-delete`).dependsOn).toEqual([
      unmount,
    ]);
    expect(step(plan, `dataset.destroy:${R}/volumes/data`).dependsOn).toEqual([
      `dataset.snapshot:${R}/volumes/data@pre-delete`,
    ]);
    expect(ids(plan).indexOf(`dataset.destroy:${R}/volumes/data`)).toBeGreaterThan(
      ids(plan).indexOf(unmount),
    );
  });
});

describe('the prune guard', () => {
  const three = webRepo({ replicas: 3 });

  it('refuses a plan that removes every managed jail', () => {
    const { host, applied } = hostRunning(three);
    const empty = three.filter((d) => d.kind !== 'Jail');

    const act = () => planChanges(compile(empty, applied), host.observe(), GUARD);

    expect(act).toThrow(PruneGuardError);
    try {
      act();
    } catch (err) {
      expect((err as PruneGuardError).code).toBe('PRUNE_GUARD');
      expect((err as PruneGuardError).data).toEqual({
        removing: 3,
        managed: 3,
        ratio: 1,
        maxPruneRatio: 0.5,
      });
    }
  });

  it('refuses a plan that removes more than maxPruneRatio of the jails', () => {
    const { host, applied } = hostRunning(three);

    const act = () =>
      planChanges(compile(webRepo({ replicas: 1 }), applied), host.observe(), GUARD);

    expect(act).toThrow(
      expect.objectContaining({
        code: 'PRUNE_GUARD',
        data: { removing: 2, managed: 3, ratio: 2 / 3, maxPruneRatio: 0.5 },
      }),
    );
  });

  it('allows up to maxPruneRatio, and everything with allowPruneAll', () => {
    const { host, applied } = hostRunning(three);
    const empty = three.filter((d) => d.kind !== 'Jail');

    const some = planChanges(compile(webRepo({ replicas: 2 }), applied), host.observe(), GUARD);
    const all = planChanges(compile(empty, applied), host.observe(), {
      ...GUARD,
      allowPruneAll: true,
    });

    expect(some.summary.destroy).toBe(1);
    expect(all.changes.filter((c) => c.resource === 'jail').map((c) => c.name)).toEqual([
      'web-0',
      'web-1',
      'web-2',
    ]);
  });
});

describe('planChanges for drift', () => {
  it('brings a stopped jail back without cloning its root again', () => {
    const { host, applied } = hostRunning(webRepo());
    host.apply({ type: 'jail.stop', jail: 'web-0' });
    host.apply({
      type: 'epair.destroy',
      jail: 'web-0',
      epair: applied.jails['web-0']?.interfaces[0]?.epair as string,
    });
    host.apply({ type: 'jail.remove', jail: 'web-0' });
    const observed = host.observe();
    observed.jails['web-0'] = { ...(applied.jails['web-0'] as never), running: false };

    const plan = planChanges(applied, observed, { ...GUARD, applied });

    expect(ids(plan)).toEqual([
      'file.write:web-0',
      'epair.create:web-0:frontend',
      'jail.create:web-0',
      'jail.configureNetwork:web-0:frontend',
      'jail.startCommand:web-0',
    ]);
    expect(plan.changes[0]?.reasons).toEqual([{ kind: 'drift', detail: 'jail is not running' }]);
  });

  it('calls a host difference from the applied topology drift', () => {
    const { host, applied } = hostRunning(webRepo({ resources: { cpuset: '0' } }));
    host.apply({ type: 'cpuset.set', jail: 'web-0', cpus: '1' });

    const plan = planChanges(applied, host.observe(), { ...GUARD, applied });

    expect(plan.changes[0]?.reasons).toEqual([
      { kind: 'drift', detail: 'cpuset on the host is 1, applied 0' },
    ]);
    expect(ids(plan)).toEqual(['cpuset.set:web-0']);
  });

  it('only reports drift when selfHeal is off', () => {
    const { host, applied } = hostRunning(webRepo({ selfHeal: false, resources: { cpuset: '0' } }));
    host.apply({ type: 'cpuset.set', jail: 'web-0', cpus: '1' });

    const plan = planChanges(applied, host.observe(), { ...GUARD, applied });

    expect(plan.steps).toEqual([]);
    expect(plan.changes).toEqual([]);
    expect(plan.warnings).toEqual([
      "jail 'web-0' drifted and selfHeal is off: cpuset on the host is 1, applied 0",
    ]);
  });
});
