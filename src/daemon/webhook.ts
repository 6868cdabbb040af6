// SPDX-License-Identifier: BSD-2-Clause
// The webhook endpoint: push events from GitHub, GitLab, Gitea and Forgejo, each checked with
// its forge's signature or token in constant time before the body is parsed. A request with a
// bad signature gets 401 and never starts a run; a body over the limit gets 413.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The forges the endpoint understands. */
export type Forge = 'github' | 'gitlab' | 'gitea' | 'forgejo';

/** What the endpoint answered, for logs and tests. */
export interface WebhookOutcome {
  status: number;
  forge?: Forge;
  /** A push to the tracked branch that asks for a run. */
  triggered: boolean;
}

/** Path the forges post to. */
export const WEBHOOK_PATH = '/webhook';

/** Which forge sent `headers`, by its event header; Forgejo and Gitea also send older ones. */
export function detectForge(headers: IncomingMessage['headers']): Forge | undefined {
  if (headers['x-forgejo-event'] !== undefined) return 'forgejo';
  if (headers['x-gitea-event'] !== undefined) return 'gitea';
  if (headers['x-gitlab-event'] !== undefined) return 'gitlab';
  if (headers['x-github-event'] !== undefined) return 'github';
  return undefined;
}

/** True when `body` carries a valid signature (or token) of `forge` for `secret`. */
export function verifySignature(
  forge: Forge,
  headers: IncomingMessage['headers'],
  body: Buffer,
  secret: string,
): boolean {
  const hmac = (): string => createHmac('sha256', secret).update(body).digest('hex');
  switch (forge) {
    case 'github':
      return equalSecret(header(headers, 'x-hub-signature-256'), `sha256=${hmac()}`);
    case 'gitlab':
      return equalSecret(header(headers, 'x-gitlab-token'), secret);
    case 'gitea':
      return equalSecret(header(headers, 'x-gitea-signature'), hmac());
    case 'forgejo':
      return equalSecret(header(headers, 'x-forgejo-signature'), hmac());
  }
}

/** True when the event is a push (GitLab: "Push Hook"). */
export function isPushEvent(forge: Forge, headers: IncomingMessage['headers']): boolean {
  const name = {
    github: 'x-github-event',
    gitlab: 'x-gitlab-event',
    gitea: 'x-gitea-event',
    forgejo: 'x-forgejo-event',
  }[forge];
  const event = header(headers, name);
  return forge === 'gitlab' ? event === 'Push Hook' : event === 'push';
}

/**
 * Makes the HTTP server. `secret()` is read per request so a reload takes effect at once;
 * `onPush` is called for a verified push to `branch()`, and must not throw.
 */
export function createWebhookServer(options: {
  secret: () => string;
  branch: () => string;
  maxBodyBytes: () => number;
  onPush: (forge: Forge) => void;
  onRequest?: (outcome: WebhookOutcome) => void;
}): Server {
  return createServer((req, res) => {
    void handle(req, options).then(
      (outcome) => {
        options.onRequest?.(outcome);
        if (outcome.triggered && outcome.forge !== undefined) options.onPush(outcome.forge);
        reply(res, outcome.status);
      },
      () => reply(res, 400),
    );
  });
}

async function handle(
  req: IncomingMessage,
  options: { secret: () => string; branch: () => string; maxBodyBytes: () => number },
): Promise<WebhookOutcome> {
  const path = (req.url ?? '').split('?', 1)[0];
  if (path !== WEBHOOK_PATH) return drained(req, 404);
  if (req.method !== 'POST') return drained(req, 405);
  const forge = detectForge(req.headers);
  if (forge === undefined) return drained(req, 400);

  const limit = options.maxBodyBytes();
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return drained(req, 413, forge);
  const body = await readLimited(req, limit);
  if (body === undefined) return { status: 413, forge, triggered: false };

  if (!verifySignature(forge, req.headers, body, options.secret()))
    return { status: 401, forge, triggered: false };
  if (!isPushEvent(forge, req.headers)) return { status: 204, forge, triggered: false };
  const ref = refOf(body);
  if (ref !== `refs/heads/${options.branch()}`) return { status: 202, forge, triggered: false };
  return { status: 202, forge, triggered: true };
}

/** The body, or undefined once it passes `limit` bytes (the rest is discarded). */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function drained(req: IncomingMessage, status: number, forge?: Forge): WebhookOutcome {
  req.resume();
  return { status, ...(forge === undefined ? {} : { forge }), triggered: false };
}

function refOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { ref?: unknown };
    return typeof parsed.ref === 'string' ? parsed.ref : undefined;
  } catch {
    // A verified body that is not JSON cannot name a branch: it triggers nothing.
    return undefined;
  }
}

function reply(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  res.end(status >= 400 ? `${status}\n` : '');
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time comparison of a received value with the expected one. */
function equalSecret(received: string | undefined, expected: string): boolean {
  if (received === undefined || expected.length === 0) return false;
  // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the length either.
  const a = createHmac('sha256', 'stockade-compare').update(received).digest();
  const b = createHmac('sha256', 'stockade-compare').update(expected).digest();
  return timingSafeEqual(a, b);
}
