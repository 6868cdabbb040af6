// SPDX-License-Identifier: BSD-2-Clause
// Webhook signatures of all four forges, over real HTTP on loopback.
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createWebhookServer, type Forge, type WebhookOutcome } from '../../src/daemon/webhook.js';

const SECRET = 'hook-secret-1';
const PUSH = JSON.stringify({ ref: 'refs/heads/main', after: 'abc' });

function hmac(body: string, secret = SECRET): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** Headers a forge sends for a push signed with `secret`. */
function signed(forge: Forge, body: string, secret = SECRET): Record<string, string> {
  switch (forge) {
    case 'github':
      return { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body, secret)}` };
    case 'gitlab':
      return { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret };
    case 'gitea':
      return {
        'x-gitea-event': 'push',
        'x-github-event': 'push',
        'x-gitea-signature': hmac(body, secret),
      };
    case 'forgejo':
      return {
        'x-forgejo-event': 'push',
        'x-gitea-event': 'push',
        'x-forgejo-signature': hmac(body, secret),
        'x-gitea-signature': hmac(body, 'other'),
      };
  }
}

let server: ReturnType<typeof createWebhookServer>;
let url: string;
let pushes: Forge[];
let outcomes: WebhookOutcome[];

beforeEach(async () => {
  pushes = [];
  outcomes = [];
  server = createWebhookServer({
    secret: () => SECRET,
    branch: () => 'main',
    maxBodyBytes: () => 4096,
    onPush: (forge) => pushes.push(forge),
    onRequest: (o) => outcomes.push(o),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function post(headers: Record<string, string>, body: string, path = url): Promise<number> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

describe.each(['github', 'gitlab', 'gitea', 'forgejo'] as const)('a %s push', (forge) => {
  it('with a valid signature is accepted and triggers one run', async () => {
    expect(await post(signed(forge, PUSH), PUSH)).toBe(202);
    expect(pushes).toEqual([forge]);
  });

  it('with a wrong signature gets 401 and triggers nothing', async () => {
    expect(await post(signed(forge, PUSH, 'wrong-secret'), PUSH)).toBe(401);
    expect(await post(signed(forge, PUSH), PUSH.replace('abc', 'abd'))).toBe(
      forge === 'gitlab' ? 202 : 401,
    );
    expect(pushes).toEqual(forge === 'gitlab' ? ['gitlab'] : []);
  });

  it('without a signature gets 401', async () => {
    const headers = Object.fromEntries(
      Object.entries(signed(forge, PUSH)).filter(([k]) => k.endsWith('-event')),
    );

    expect(await post(headers, PUSH)).toBe(401);
    expect(pushes).toEqual([]);
  });

  it('over the size limit gets 413 and triggers nothing', async () => {
    const big = JSON.stringify({ ref: 'refs/heads/main', pad: 'x'.repeat(5000) });

    expect(await post(signed(forge, big), big)).toBe(413);
    expect(pushes).toEqual([]);
    expect(outcomes).toEqual([{ status: 413, forge, triggered: false }]);
  });
});

describe('the endpoint', () => {
  it('accepts but ignores pushes to other branches and other events', async () => {
    const other = JSON.stringify({ ref: 'refs/heads/dev' });
    const ping = { ...signed('github', PUSH), 'x-github-event': 'ping' };

    expect(await post(signed('github', other), other)).toBe(202);
    expect(await post(ping, PUSH)).toBe(204);
    expect(pushes).toEqual([]);
  });

  it('answers 404 elsewhere, 405 to GET and 400 to an unknown sender', async () => {
    expect(await post(signed('github', PUSH), PUSH, url.replace('/webhook', '/other'))).toBe(404);
    expect((await fetch(url)).status).toBe(405);
    expect(await post({}, PUSH)).toBe(400);
    expect(pushes).toEqual([]);
  });
});
