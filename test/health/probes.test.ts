// SPDX-License-Identifier: BSD-2-Clause
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { HTTP_BODY_LIMIT, jailTarget, probe } from '../../src/health/probes.js';
import { makeJail } from './topology-fixture.js';
import type { HostDriver } from '../../src/run/ports.js';

const target = { address: '127.0.0.1', jail: 'web-0' };
const noExec: HostDriver['exec'] = () => Promise.reject(new Error('exec must not be called'));
const servers: (Server | HttpServer)[] = [];

function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** A port that was just free: listen, note it, close. */
async function freePort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function startHttp(): Promise<number> {
  const server = createHttpServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('status: ready (.*)*$');
    } else if (req.url === '/broken') {
      res.writeHead(500);
      res.end('oops');
    } else if (req.url === '/big') {
      // The marker sits past the part the probe reads.
      res.writeHead(200);
      res.end(`${'x'.repeat(HTTP_BODY_LIMIT)}MARKER`);
    } else if (req.url === '/moved') {
      res.writeHead(301, { location: '/healthz' });
      res.end();
    } else if (req.url === '/hang') {
      // Never answers: the probe's timeout must end it.
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return listen(server);
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    if ('closeAllConnections' in server) {
      server.closeAllConnections();
    }
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('tcp probe', () => {
  it('passes when the port accepts a connection', async () => {
    const port = await listen(createTcpServer((socket) => socket.end()));

    const result = await probe(target, { tcp: { port } }, { exec: noExec });

    expect(result.ok).toBe(true);
    expect(result.detail).toBe(`tcp 127.0.0.1:${port} connected`);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('fails when nothing listens', async () => {
    const port = await freePort();

    const result = await probe(target, { tcp: { port } }, { exec: noExec });

    expect(result).toMatchObject({
      ok: false,
      detail: `tcp 127.0.0.1:${port} failed: ECONNREFUSED`,
    });
  });

  it('refuses a name instead of resolving it', async () => {
    const result = await probe(
      { address: 'localhost', jail: 'web-0' },
      { tcp: { port: 80 } },
      {
        exec: noExec,
      },
    );

    expect(result).toMatchObject({ ok: false, detail: "address 'localhost' is not an IP literal" });
  });

  it('reports the duration from the injected clock', async () => {
    const port = await listen(createTcpServer((socket) => socket.end()));
    const now = vi.fn().mockReturnValueOnce(1_000).mockReturnValueOnce(1_042);

    const result = await probe(target, { tcp: { port } }, { exec: noExec, now });

    expect(result.durationMs).toBe(42);
  });
});

describe('http probe', () => {
  it('passes on 200 by default', async () => {
    const port = await startHttp();

    const result = await probe(target, { http: { port, path: '/healthz' } }, { exec: noExec });

    expect(result).toMatchObject({
      ok: true,
      detail: `http GET 127.0.0.1:${port}/healthz returned 200`,
    });
  });

  it('fails on 500', async () => {
    const port = await startHttp();

    const result = await probe(target, { http: { port, path: '/broken' } }, { exec: noExec });

    expect(result).toMatchObject({
      ok: false,
      detail: `http GET 127.0.0.1:${port}/broken returned 500, expected 200`,
    });
  });

  it('passes when the expected status is 500', async () => {
    const port = await startHttp();

    const result = await probe(
      target,
      { http: { port, path: '/broken', status: 500 } },
      {
        exec: noExec,
      },
    );

    expect(result.ok).toBe(true);
  });

  it('matches the body as a plain substring, not a pattern', async () => {
    const port = await startHttp();
    const check = (bodyMatch: string) => ({ http: { port, path: '/healthz', bodyMatch } });

    const literal = await probe(target, check('ready (.*)*$'), { exec: noExec });
    const pattern = await probe(target, check('status: .*'), { exec: noExec });

    expect(literal.ok).toBe(true);
    expect(pattern).toMatchObject({
      ok: false,
      detail: `http GET 127.0.0.1:${port}/healthz returned 200 without the expected body`,
    });
  });

  it('gives up after the timeout when the server never answers', async () => {
    const port = await startHttp();

    const result = await probe(
      target,
      { http: { port, path: '/hang' }, timeout: '200ms' },
      {
        exec: noExec,
      },
    );

    expect(result).toMatchObject({
      ok: false,
      detail: `http GET 127.0.0.1:${port}/hang timed out after 200ms`,
    });
  });

  it('refuses a path that is not an origin-form path', async () => {
    const result = await probe(
      target,
      { http: { port: 80, path: 'http://127.0.0.1/' } },
      {
        exec: noExec,
      },
    );

    expect(result).toMatchObject({
      ok: false,
      detail: "path 'http://127.0.0.1/' is not an absolute URL path",
    });
  });
});

describe('exec probe', () => {
  it('runs the argv in the jail with the timeout and passes on exit 0', async () => {
    const exec = vi
      .fn<HostDriver['exec']>()
      .mockResolvedValue({ exitCode: 0, stdout: '', stderr: '' });

    const result = await probe(
      target,
      { exec: { command: ['/bin/pgrep', 'nginx'] }, timeout: '3s' },
      {
        exec,
      },
    );

    expect(exec).toHaveBeenCalledWith('web-0', ['/bin/pgrep', 'nginx'], { timeoutMs: 3_000 });
    expect(result).toMatchObject({ ok: true, detail: 'exec exited 0' });
  });

  it('fails on a non-zero exit', async () => {
    const exec = vi
      .fn<HostDriver['exec']>()
      .mockResolvedValue({ exitCode: 1, stdout: '', stderr: '' });

    const result = await probe(target, { exec: { command: ['/usr/bin/false'] } }, { exec });

    expect(result).toMatchObject({ ok: false, detail: 'exec exited 1' });
  });

  it('fails with the error code when the command cannot run', async () => {
    const exec = vi
      .fn<HostDriver['exec']>()
      .mockRejectedValue(Object.assign(new Error('boom'), { code: 'HOST_COMMAND_FAILED' }));

    const result = await probe(target, { exec: { command: ['/bin/true'] } }, { exec });

    expect(result).toMatchObject({ ok: false, detail: 'exec failed: HOST_COMMAND_FAILED' });
  });
});

describe('combined and empty checks', () => {
  it('fails on the first failing kind', async () => {
    const port = await listen(createTcpServer((socket) => socket.end()));
    const exec = vi
      .fn<HostDriver['exec']>()
      .mockResolvedValue({ exitCode: 2, stdout: '', stderr: '' });

    const result = await probe(
      target,
      { tcp: { port }, exec: { command: ['/bin/check'] } },
      {
        exec,
      },
    );

    expect(result).toMatchObject({ ok: false, detail: 'exec exited 2' });
  });

  it('fails a check with no kind', async () => {
    const result = await probe(target, {}, { exec: noExec });

    expect(result).toMatchObject({ ok: false, detail: 'no probe configured' });
  });
});

describe('probe edges', () => {
  it('reads at most HTTP_BODY_LIMIT bytes of the body', async () => {
    const port = await startHttp();

    const head = await probe(
      target,
      { http: { port, path: '/big', bodyMatch: 'xxxx' } },
      {
        exec: noExec,
      },
    );
    const tail = await probe(
      target,
      { http: { port, path: '/big', bodyMatch: 'MARKER' } },
      {
        exec: noExec,
      },
    );

    expect(head.ok).toBe(true);
    expect(tail.ok).toBe(false);
  });

  it('does not follow a redirect', async () => {
    const port = await startHttp();

    const result = await probe(target, { http: { port, path: '/moved' } }, { exec: noExec });

    expect(result).toMatchObject({
      ok: false,
      detail: `http GET 127.0.0.1:${port}/moved returned 301, expected 200`,
    });
  });

  it('probes an IPv6 address', async () => {
    const server = createTcpServer((socket) => socket.end());
    servers.push(server);
    const port = await new Promise<number>((resolve) => {
      server.listen(0, '::1', () => resolve((server.address() as AddressInfo).port));
    });

    const result = await probe(
      { address: '::1', jail: 'web-0' },
      { tcp: { port } },
      {
        exec: noExec,
      },
    );

    expect(result).toMatchObject({ ok: true, detail: `tcp [::1]:${port} connected` });
  });

  it('aims at the first interface address of a jail, without prefix length', () => {
    expect(jailTarget(makeJail('web-0', '10.77.1.10'))).toEqual({
      address: '10.77.1.10',
      jail: 'web-0',
    });
    expect(jailTarget(makeJail('solo-0', '10.77.1.20', { interfaces: [] }))).toEqual({
      address: '',
      jail: 'solo-0',
    });
  });
});
