// SPDX-License-Identifier: BSD-2-Clause
// Runs one health probe against one jail: a TCP connect, an HTTP GET or a command in the jail.
// Probes resolve with a result and never throw; they only dial IP literals, so a manifest can
// never make the node resolve a name or reach a host that is not a jail address.

import { isIP, Socket } from 'node:net';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

import type { HealthCheck } from '../manifest/types.js';
import type { HostDriver } from '../run/ports.js';
import type { JailNode } from '../topology/types.js';
import { resolveHealthTiming } from './duration.js';

/** Where a probe is aimed: the jail's address without prefix length, and its name for exec. */
export interface ProbeTarget {
  address: string;
  jail: string;
}

/** Collaborators of a probe; `now` defaults to the monotonic clock. */
export interface ProbeDeps {
  exec: HostDriver['exec'];
  now?: () => number;
}

/** Outcome of one probe; `detail` is one short line for the status. */
export interface ProbeResult {
  ok: boolean;
  detail: string;
  durationMs: number;
}

/** Where to probe `jail`: the address of its first interface, without prefix length. */
export function jailTarget(jail: JailNode): ProbeTarget {
  const address = jail.interfaces[0]?.address.split('/')[0] ?? '';
  return { address, jail: jail.name };
}

/** Bytes of an HTTP body read for `bodyMatch`; the rest is discarded. */
export const HTTP_BODY_LIMIT = 64 * 1024;

/**
 * Runs every kind configured in `check` (tcp, http, exec) in that order and passes only when all
 * pass; the first failure ends the probe. Each kind is bounded by the check's timeout.
 */
export async function probe(
  target: ProbeTarget,
  check: HealthCheck,
  deps: ProbeDeps,
): Promise<ProbeResult> {
  const now = deps.now ?? (() => performance.now());
  const started = now();
  const outcome = await runKinds(target, check, deps);
  return { ...outcome, durationMs: Math.max(0, now() - started) };
}

type Outcome = { ok: boolean; detail: string };

async function runKinds(
  target: ProbeTarget,
  check: HealthCheck,
  deps: ProbeDeps,
): Promise<Outcome> {
  let timeoutMs: number;
  try {
    timeoutMs = resolveHealthTiming(check).timeoutMs;
  } catch (err) {
    return { ok: false, detail: `bad check: ${(err as Error).message}` };
  }

  const kinds: (() => Promise<Outcome>)[] = [];
  if (check.tcp !== undefined) {
    const { port } = check.tcp;
    kinds.push(() => probeTcp(target.address, port, timeoutMs));
  }
  if (check.http !== undefined) {
    const http = check.http;
    kinds.push(() => probeHttp(target.address, http, timeoutMs));
  }
  if (check.exec !== undefined) {
    const { command } = check.exec;
    kinds.push(() => probeExec(target.jail, command, timeoutMs, deps.exec));
  }
  if (kinds.length === 0) {
    return { ok: false, detail: 'no probe configured' };
  }

  const details: string[] = [];
  for (const run of kinds) {
    const outcome = await run();
    if (!outcome.ok) {
      return outcome;
    }
    details.push(outcome.detail);
  }
  return { ok: true, detail: details.join('; ') };
}

/** Checks that `address` and `port` can be dialled without any name resolution. */
function checkEndpoint(address: string, port: number): string | undefined {
  if (isIP(address) === 0) {
    return `address '${address}' is not an IP literal`;
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return `port ${port} is out of range`;
  }
  return undefined;
}

function formatEndpoint(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

function probeTcp(address: string, port: number, timeoutMs: number): Promise<Outcome> {
  const refused = checkEndpoint(address, port);
  if (refused !== undefined) {
    return Promise.resolve({ ok: false, detail: refused });
  }

  const endpoint = formatEndpoint(address, port);
  return new Promise((resolve) => {
    const socket = new Socket();
    const finish = (outcome: Outcome): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ ok: false, detail: `tcp ${endpoint} timed out after ${timeoutMs}ms` }),
      timeoutMs,
    );
    socket.once('connect', () => finish({ ok: true, detail: `tcp ${endpoint} connected` }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, detail: `tcp ${endpoint} failed: ${err.code ?? err.message}` }),
    );
    socket.connect({ host: address, port });
  });
}

function probeHttp(
  address: string,
  http: NonNullable<HealthCheck['http']>,
  timeoutMs: number,
): Promise<Outcome> {
  const refused = checkEndpoint(address, http.port);
  if (refused !== undefined) {
    return Promise.resolve({ ok: false, detail: refused });
  }
  const path = http.path ?? '/';
  // Only an origin-form path: anything else could turn the request line into something else.
  if (!/^\/[\x21-\x7e]*$/.test(path)) {
    return Promise.resolve({ ok: false, detail: `path '${path}' is not an absolute URL path` });
  }

  const expected = http.status ?? 200;
  const endpoint = formatEndpoint(address, http.port);
  const label = `http GET ${endpoint}${path}`;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome): void => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ ok: false, detail: `${label} timed out after ${timeoutMs}ms` }),
      timeoutMs,
    );
    const req = request(
      {
        host: address,
        port: http.port,
        path,
        method: 'GET',
        agent: false,
        headers: { host: endpoint, 'user-agent': 'stockade-health', connection: 'close' },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        if (status !== expected) {
          finish({ ok: false, detail: `${label} returned ${status}, expected ${expected}` });
          return;
        }
        if (http.bodyMatch === undefined) {
          finish({ ok: true, detail: `${label} returned ${status}` });
          return;
        }
        collectBody(res, (body) => {
          // A plain substring, never a RegExp: a manifest must not be able to stall the node.
          const found = body.includes(http.bodyMatch as string);
          finish({
            ok: found,
            detail: found
              ? `${label} returned ${status} with the expected body`
              : `${label} returned ${status} without the expected body`,
          });
        });
      },
    );
    req.once('error', (err: NodeJS.ErrnoException) =>
      finish({ ok: false, detail: `${label} failed: ${err.code ?? err.message}` }),
    );
    req.end();
  });
}

/** Reads at most HTTP_BODY_LIMIT bytes of `res`, then hands them over as text. */
function collectBody(res: NodeJS.ReadableStream, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let called = false;
  const deliver = (): void => {
    if (!called) {
      called = true;
      done(Buffer.concat(chunks).subarray(0, HTTP_BODY_LIMIT).toString('utf8'));
    }
  };
  res.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= HTTP_BODY_LIMIT) {
      deliver();
    }
  });
  res.once('end', deliver);
  res.once('error', deliver);
}

async function probeExec(
  jail: string,
  command: string[],
  timeoutMs: number,
  exec: HostDriver['exec'],
): Promise<Outcome> {
  if (command.length === 0) {
    return { ok: false, detail: 'exec command is empty' };
  }

  try {
    const { exitCode } = await exec(jail, command, { timeoutMs });
    return exitCode === 0
      ? { ok: true, detail: 'exec exited 0' }
      : { ok: false, detail: `exec exited ${exitCode}` };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      ok: false,
      detail: `exec failed: ${typeof code === 'string' ? code : (err as Error).message}`,
    };
  }
}
