// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { computeEndpoints } from '../../src/health/endpoints.js';
import { makeTopology } from './topology-fixture.js';

const desired = makeTopology();
const KEY = 'stockade/svc-web:svc_web';
const both = { [KEY]: ['10.77.1.10', '10.77.1.11'] };

describe('computeEndpoints', () => {
  it('changes nothing while every endpoint is healthy', () => {
    const result = computeEndpoints({
      desired,
      health: { 'web-0': 'healthy', 'web-1': 'healthy' },
      current: both,
    });

    expect(result.steps).toEqual([]);
    expect(result.hosts).toEqual([{ name: 'web', addresses: ['10.77.1.10', '10.77.1.11'] }]);
    expect(result.unavailable).toEqual([]);
  });

  it('takes an unhealthy endpoint out with one table replacement and nothing else', () => {
    const result = computeEndpoints({
      desired,
      health: { 'web-0': 'healthy', 'web-1': 'unhealthy' },
      current: both,
    });

    expect(result.steps.map((s) => s.action)).toEqual([
      {
        type: 'pf.replaceTable',
        anchor: 'stockade/svc-web',
        table: 'svc_web',
        addresses: ['10.77.1.10'],
      },
    ]);
    expect(result.steps[0]).toMatchObject({
      id: `pf.replaceTable:${KEY}`,
      resource: 'pf',
      destructive: false,
      reason: {
        kind: 'changed',
        field: 'addresses',
        from: ['10.77.1.10', '10.77.1.11'],
        to: ['10.77.1.10'],
      },
    });
    expect(result.hosts).toEqual([{ name: 'web', addresses: ['10.77.1.10'] }]);
    expect(result.tables[KEY]?.addresses).toEqual(['10.77.1.10']);
  });

  it('puts the endpoint back once it is healthy again', () => {
    const result = computeEndpoints({
      desired,
      health: { 'web-0': 'healthy', 'web-1': 'healthy' },
      current: { [KEY]: ['10.77.1.10'] },
    });

    expect(result.steps.map((s) => s.action)).toEqual([
      {
        type: 'pf.replaceTable',
        anchor: 'stockade/svc-web',
        table: 'svc_web',
        addresses: ['10.77.1.10', '10.77.1.11'],
      },
    ]);
  });

  it('keeps a starting endpoint out until its first pass', () => {
    const result = computeEndpoints({
      desired,
      health: { 'web-0': 'healthy', 'web-1': 'starting' },
      current: both,
    });

    expect(result.tables[KEY]?.addresses).toEqual(['10.77.1.10']);
  });

  it('keeps endpoints without a health entry in', () => {
    const result = computeEndpoints({ desired, health: {}, current: both });

    expect(result.steps).toEqual([]);
    expect(result.hosts[0]?.addresses).toEqual(['10.77.1.10', '10.77.1.11']);
  });

  it('empties the table and reports a service with no healthy endpoint', () => {
    const result = computeEndpoints({
      desired,
      health: { 'web-0': 'unhealthy', 'web-1': 'unhealthy' },
      current: both,
    });

    expect(result.steps.map((s) => s.action)).toEqual([
      { type: 'pf.replaceTable', anchor: 'stockade/svc-web', table: 'svc_web', addresses: [] },
    ]);
    expect(result.hosts).toEqual([{ name: 'web', addresses: [] }]);
    expect(result.unavailable).toEqual([{ service: 'web', endpoints: 2 }]);
  });

  it('writes a table whose current content is unknown', () => {
    const result = computeEndpoints({ desired, health: {}, current: {} });

    expect(result.steps.map((s) => s.id)).toEqual([`pf.replaceTable:${KEY}`]);
    expect(result.steps[0]?.reason).toEqual({
      kind: 'changed',
      field: 'addresses',
      from: null,
      to: ['10.77.1.10', '10.77.1.11'],
    });
  });

  it('never emits anything but table replacements, whatever the health', () => {
    const statuses = ['healthy', 'unhealthy', 'starting'] as const;
    const types = new Set<string>();
    for (const a of statuses) {
      for (const b of statuses) {
        for (const current of [both, {}, { [KEY]: [] }]) {
          const result = computeEndpoints({ desired, health: { 'web-0': a, 'web-1': b }, current });
          result.steps.forEach((s) => types.add(s.action.type));
        }
      }
    }

    expect([...types]).toEqual(['pf.replaceTable']);
  });
});
