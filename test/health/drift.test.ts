// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { detectDrift } from '../../src/health/drift.js';
import type { JailNode } from '../../src/topology/types.js';
import { cloneTopology, makeJail, makeTopology } from './topology-fixture.js';

const desired = makeTopology();

function observe(change: (observed: ReturnType<typeof makeTopology>) => void) {
  const observed = cloneTopology(desired);
  change(observed);
  return observed;
}

function summarize(steps: ReturnType<typeof detectDrift>['steps']) {
  return steps.map((s) => `${s.wave} ${s.id} <- [${s.dependsOn.join(' ')}]`);
}

describe('detectDrift', () => {
  it('finds nothing when the host matches', () => {
    const result = detectDrift({ desired, observed: cloneTopology(desired), nodeSelfHeal: true });

    expect(result).toEqual({ records: [], steps: [] });
  });

  it('puts back a jail stopped by hand, in order', () => {
    const observed = observe((o) => {
      (o.jails['web-1'] as JailNode).running = false;
    });

    const result = detectDrift({ desired, observed, nodeSelfHeal: true });

    expect(result.records).toEqual([
      { kind: 'JailStopped', target: 'web-1', detail: 'jail is not running', healed: true },
    ]);
    // The planner's start sequence for a jail whose root is still there.
    expect(summarize(result.steps)).toEqual([
      '0 file.write:web-1 <- []',
      '1 mount.add:web-1:/stockade/jails/web-1/data <- [file.write:web-1]',
      '2 epair.create:web-1:front <- [mount.add:web-1:/stockade/jails/web-1/data]',
      '3 jail.create:web-1 <- [epair.create:web-1:front]',
      '4 jail.configureNetwork:web-1:front <- [jail.create:web-1]',
      '5 rctl.set:web-1 <- [jail.configureNetwork:web-1:front]',
      '6 jail.startCommand:web-1 <- [rctl.set:web-1]',
    ]);
    expect(result.steps.map((s) => s.reason)).toEqual(
      Array(7).fill({ kind: 'drift', detail: 'jail is not running' }),
    );
    expect(result.steps.at(-1)?.action).toEqual({
      type: 'jail.startCommand',
      jail: 'web-1',
      command: ['/usr/local/bin/web', '--port', '8080'],
      env: { MODE: 'prod' },
    });
    expect(result.steps.every((s) => !s.destructive && s.reason.kind === 'drift')).toBe(true);
  });

  it('treats a jail missing from the observation as stopped', () => {
    const observed = observe((o) => {
      delete o.jails['web-0'];
    });

    const result = detectDrift({ desired, observed, nodeSelfHeal: true });

    expect(result.records).toEqual([
      { kind: 'JailStopped', target: 'web-0', detail: 'jail is not on the host', healed: true },
    ]);
    // Its root dataset is still there: the jail is started again, never cloned or destroyed.
    expect(result.steps.map((s) => s.action.type)).toEqual([
      'file.write',
      'mount.add',
      'epair.create',
      'jail.create',
      'jail.configureNetwork',
      'rctl.set',
      'jail.startCommand',
    ]);
  });

  it('does not see drift in rctl rules listed in another order', () => {
    const two = [
      { resource: 'memoryuse', action: 'deny', amount: '536870912' },
      { resource: 'maxproc', action: 'deny', amount: '50' },
    ];
    const ordered = makeTopology([makeJail('web-0', '10.77.1.10', { rctl: two })]);
    const observed = cloneTopology(ordered);
    (observed.jails['web-0'] as JailNode).rctl = [...two].reverse();

    expect(detectDrift({ desired: ordered, observed, nodeSelfHeal: true })).toEqual({
      records: [],
      steps: [],
    });
  });

  it('recreates a missing epair and configures it in the jail', () => {
    const observed = observe((o) => {
      (o.jails['web-0'] as JailNode).interfaces = [];
    });

    const result = detectDrift({ desired, observed, nodeSelfHeal: true });

    expect(result.records).toEqual([
      {
        kind: 'EpairMissing',
        target: 'web-0',
        detail: 'epair skweb0a for network front is missing',
        healed: true,
      },
    ]);
    expect(summarize(result.steps)).toEqual([
      '0 epair.create:web-0:front <- []',
      '1 jail.configureNetwork:web-0:front <- [epair.create:web-0:front]',
    ]);
    expect(result.steps[0]?.action).toEqual({
      type: 'epair.create',
      jail: 'web-0',
      iface: desired.jails['web-0']?.interfaces[0],
    });
  });

  it('mounts a missing volume again', () => {
    const observed = observe((o) => {
      (o.jails['web-1'] as JailNode).mounts = [];
    });

    const result = detectDrift({ desired, observed, nodeSelfHeal: true });

    expect(result.records).toEqual([
      {
        kind: 'MountMissing',
        target: 'web-1',
        detail: '/stockade/jails/web-1/data is not mounted',
        healed: true,
      },
    ]);
    expect(result.steps.map((s) => s.action)).toEqual([
      { type: 'mount.add', jail: 'web-1', mount: desired.jails['web-1']?.mounts[0] },
    ]);
  });

  it('sets the whole rctl rule set back when a rule changed', () => {
    const observed = observe((o) => {
      (o.jails['web-0'] as JailNode).rctl = [
        { resource: 'memoryuse', action: 'deny', amount: '1073741824' },
        { resource: 'maxproc', action: 'deny', amount: '50' },
      ];
    });

    const result = detectDrift({ desired, observed, nodeSelfHeal: true });

    expect(result.records).toEqual([
      {
        kind: 'RctlChanged',
        target: 'web-0',
        detail:
          'rctl rules are [maxproc:deny=50, memoryuse:deny=1073741824], ' +
          'expected [memoryuse:deny=536870912]',
        healed: true,
      },
    ]);
    expect(result.steps.map((s) => s.action)).toEqual([
      { type: 'rctl.set', jail: 'web-0', rules: desired.jails['web-0']?.rctl },
    ]);
  });

  it('clears rules added by hand to a jail that should have none', () => {
    const bare = makeTopology([makeJail('web-0', '10.77.1.10', { rctl: [] })]);
    const observed = cloneTopology(bare);
    (observed.jails['web-0'] as JailNode).rctl = [
      { resource: 'pcpu', action: 'deny', amount: '10' },
    ];

    const result = detectDrift({ desired: bare, observed, nodeSelfHeal: true });

    expect(result.steps.map((s) => s.action)).toEqual([{ type: 'rctl.clear', jail: 'web-0' }]);
  });

  it('reloads a flushed anchor and refills a flushed table', () => {
    const observed = observe((o) => {
      delete o.anchors['stockade/svc-web'];
      (o.tables['stockade/svc-web:svc_web'] as { addresses: string[] }).addresses = [];
    });

    const result = detectDrift({ desired, observed, nodeSelfHeal: true });

    expect(result.records).toEqual([
      {
        kind: 'AnchorFlushed',
        target: 'stockade/svc-web',
        detail: 'anchor has no rules',
        healed: true,
      },
      {
        kind: 'TableChanged',
        target: 'stockade/svc-web:svc_web',
        detail: 'table holds [], expected [10.77.1.10, 10.77.1.11]',
        healed: true,
      },
    ]);
    expect(result.steps.map((s) => `${s.wave} ${s.id} <- [${s.dependsOn.join(' ')}]`)).toEqual([
      '0 pf.loadAnchor:stockade/svc-web <- []',
      '1 pf.replaceTable:stockade/svc-web:svc_web <- [pf.loadAnchor:stockade/svc-web]',
    ]);
    expect(result.steps.map((s) => s.action)).toEqual([
      {
        type: 'pf.loadAnchor',
        anchor: 'stockade/svc-web',
        rules: desired.anchors['stockade/svc-web']?.rules,
      },
      {
        type: 'pf.replaceTable',
        anchor: 'stockade/svc-web',
        table: 'svc_web',
        addresses: ['10.77.1.10', '10.77.1.11'],
      },
    ]);
  });

  it('does not report anchor rules that pf printed differently', () => {
    const observed = observe((o) => {
      (o.anchors['stockade/svc-web'] as { rules: string[] }).rules = [
        'rdr on vtnet0 inet proto tcp ...',
      ];
    });

    expect(detectDrift({ desired, observed, nodeSelfHeal: true }).records).toEqual([]);
  });

  it('only reports when self-healing is off for the node', () => {
    const observed = observe((o) => {
      (o.jails['web-0'] as JailNode).running = false;
      delete o.tables['stockade/svc-web:svc_web'];
    });

    const result = detectDrift({ desired, observed, nodeSelfHeal: false });

    expect(result.steps).toEqual([]);
    expect(result.records).toEqual([
      { kind: 'JailStopped', target: 'web-0', detail: 'jail is not running', healed: false },
      {
        kind: 'TableChanged',
        target: 'stockade/svc-web:svc_web',
        detail: 'table is missing',
        healed: false,
      },
    ]);
  });

  it('only reports the jail whose own selfHeal is off, and heals the others', () => {
    const mixed = makeTopology([
      makeJail('web-0', '10.77.1.10', { selfHeal: false }),
      makeJail('web-1', '10.77.1.11'),
    ]);
    const observed = cloneTopology(mixed);
    (observed.jails['web-0'] as JailNode).mounts = [];
    (observed.jails['web-1'] as JailNode).mounts = [];

    const result = detectDrift({ desired: mixed, observed, nodeSelfHeal: true });

    expect(result.records.map((r) => [r.target, r.healed])).toEqual([
      ['web-0', false],
      ['web-1', true],
    ]);
    expect(result.steps.map((s) => s.id)).toEqual(['mount.add:web-1:/stockade/jails/web-1/data']);
  });

  it('never looks at jails it does not want', () => {
    const observed = observe((o) => {
      o.jails['handmade'] = makeJail('handmade', '10.77.1.99', { running: false });
    });

    expect(detectDrift({ desired, observed, nodeSelfHeal: true })).toEqual({
      records: [],
      steps: [],
    });
  });
});
