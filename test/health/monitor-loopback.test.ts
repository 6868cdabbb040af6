// SPDX-License-Identifier: BSD-2-Clause
// The monitor with the real probes against HTTP servers on loopback addresses standing in for
// two jails; only the loop's own time is fake.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';

import { createHealthMonitor } from '../../src/health/monitor.js';
import { probe } from '../../src/health/probes.js';
import type { PlanStep } from '../../src/plan/types.js';
import { FakeClock } from './fake-clock.js';
import { cloneTopology, makeJail, makeTopology } from './topology-fixture.js';

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An HTTP server on `host` whose status the test sets; resolves with its port and a setter. */
async function startJailServer(host: string) {
  let status = 200;
  const server = createServer((_req, res) => {
    res.writeHead(status);
    res.end(status === 200 ? 'ready' : 'broken');
  });
  servers.push(server);
  const port = await new Promise<number>((resolve) => {
    server.listen(0, host, () => resolve((server.address() as AddressInfo).port));
  });
  return { port, setStatus: (next: number) => (status = next) };
}

describe('health monitor over loopback', () => {
  it('takes a jail answering 500 out of the service and puts it back when it answers 200', async () => {
    const a = await startJailServer('127.0.0.2');
    const b = await startJailServer('127.0.0.3');
    const topology = makeTopology([makeJail('web-0', '127.0.0.2'), makeJail('web-1', '127.0.0.3')]);
    const clock = new FakeClock();
    const steps: PlanStep[] = [];
    const timing = { interval: '1s', timeout: '2s', retries: 2 };
    const monitor = createHealthMonitor(
      {
        desired: () => ({
          topology,
          jails: {
            'web-0': {
              health: { http: { port: a.port, path: '/healthz', bodyMatch: 'ready' }, ...timing },
              restartPolicy: 'Never',
            },
            'web-1': {
              health: { http: { port: b.port, path: '/healthz', bodyMatch: 'ready' }, ...timing },
              restartPolicy: 'Never',
            },
          },
        }),
        probe: (target, check) =>
          probe(target, check, { exec: () => Promise.reject(new Error('no exec expected')) }),
        observe: async () => {
          const observed = cloneTopology(topology);
          for (const step of steps) {
            if (step.action.type === 'pf.replaceTable') {
              const key = `${step.action.anchor}:${step.action.table}`;
              (observed.tables[key] as { addresses: string[] }).addresses = step.action.addresses;
            }
          }
          return observed;
        },
        restartJail: () => Promise.reject(new Error('no restart expected')),
        applyStep: async (step) => {
          steps.push(step);
        },
        readOutputTail: async () => '',
        onStatus: () => undefined,
        now: clock.now,
        timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout },
        nodeSelfHeal: true,
      },
      { driftIntervalMs: 600_000 },
    );
    const pass = async (): Promise<void> => {
      await monitor.tick();
      clock.time += 1_000;
    };

    await pass();
    b.setStatus(500);
    await pass();
    await pass();
    const afterFailures = steps.map((s) => s.action);
    b.setStatus(200);
    await pass();

    expect(afterFailures).toEqual([
      {
        type: 'pf.replaceTable',
        anchor: 'stockade/svc-web',
        table: 'svc_web',
        addresses: ['127.0.0.2'],
      },
    ]);
    expect(steps.map((s) => s.action)).toEqual([
      {
        type: 'pf.replaceTable',
        anchor: 'stockade/svc-web',
        table: 'svc_web',
        addresses: ['127.0.0.2'],
      },
      {
        type: 'pf.replaceTable',
        anchor: 'stockade/svc-web',
        table: 'svc_web',
        addresses: ['127.0.0.2', '127.0.0.3'],
      },
    ]);
  });
});
