// SPDX-License-Identifier: BSD-2-Clause
// The HTTP client handed to isomorphic-git. Unlike the bundled one it enforces a deadline and a
// byte budget per Git operation: the sockets are destroyed when either runs out, so a stalled or
// oversized transfer cannot hang the daemon or fill its memory.

import http from 'node:http';
import https from 'node:https';

import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

/** Raised inside an operation whose deadline passed. */
export class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** Raised inside an operation that received more bytes than its budget. */
export class TransferLimitExceeded extends Error {
  constructor(
    readonly limitBytes: number,
    readonly receivedBytes: number,
  ) {
    super(`transfer exceeded ${limitBytes} bytes`);
  }
}

/** One Git operation's deadline and byte budget, shared by all its HTTP requests. */
export interface Operation {
  signal: AbortSignal;
  client: HttpClient;
  /** Bytes of response bodies received so far. */
  receivedBytes(): number;
}

/**
 * Runs `work` with a fresh Operation. Rejects with DeadlineExceeded after `timeoutMs` and with
 * TransferLimitExceeded as soon as responses pass `maxBytes`, even when the library awaiting the
 * sockets never notices they were destroyed.
 */
export async function runOperation<T>(
  limits: { timeoutMs: number; maxBytes?: number },
  work: (operation: Operation) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let received = 0;
  const onBytes = (count: number): void => {
    received += count;
    if (limits.maxBytes !== undefined && received > limits.maxBytes) {
      controller.abort(new TransferLimitExceeded(limits.maxBytes, received));
    }
  };
  const timer = setTimeout(
    () => controller.abort(new DeadlineExceeded(limits.timeoutMs)),
    limits.timeoutMs,
  );
  const aborted = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), {
      once: true,
    });
  });
  const operation: Operation = {
    signal: controller.signal,
    client: createClient(controller.signal, onBytes),
    receivedBytes: () => received,
  };

  try {
    return await Promise.race([work(operation), aborted]);
  } finally {
    clearTimeout(timer);
    // The race may leave `work` pending on a destroyed socket; aborting ends its requests and
    // the rejection of `aborted` is already observed above.
    controller.abort(new DeadlineExceeded(0));
  }
}

/** An isomorphic-git HTTP client bound to one operation's signal and byte counter. */
function createClient(signal: AbortSignal, onBytes: (count: number) => void): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      signal.throwIfAborted();
      const body = request.body === undefined ? undefined : await collectBody(request.body);
      const headers: Record<string, string> = { ...request.headers };
      if (body !== undefined) {
        headers['content-length'] = String(body.length);
      }

      const res = await send(request, headers, body, signal);
      return {
        url: request.url,
        method: request.method ?? 'GET',
        statusCode: res.statusCode ?? 0,
        statusMessage: res.statusMessage ?? '',
        headers: flattenHeaders(res.headers),
        body: countBytes(res, onBytes, signal),
      };
    },
  };
}

/** Sends one request and resolves with the response head. */
function send(
  request: GitHttpRequest,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal,
): Promise<http.IncomingMessage> {
  const target = new URL(request.url);
  const transport = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(target, { method: request.method ?? 'GET', headers, signal });
    req.once('response', resolve);
    req.once('error', (err) => reject(signal.aborted ? signal.reason : err));
    req.end(body);
  });
}

/** The response body as chunks, counted against the budget, ending early on abort. */
async function* countBytes(
  res: http.IncomingMessage,
  onBytes: (count: number) => void,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      onBytes(chunk.length);
      signal.throwIfAborted();
      yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    }
  } finally {
    res.destroy();
  }
}

/** Joins a request body given as an array or an (async) iterable of chunks. */
async function collectBody(
  body: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Node's header object with array values joined, as isomorphic-git expects. */
function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      flat[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return flat;
}
