// SPDX-License-Identifier: BSD-2-Clause
// A real Git server for tests: Debian's `git http-backend` run as a CGI program behind a
// node:http server on 127.0.0.1, with HTTP Basic auth. It binds to loopback only and serves
// only the bare repositories the test creates under `root`.

import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/** Where Debian installs the CGI program; overridable for other layouts. */
export const GIT_HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

/** One request the server answered, for tests that count round trips. */
export interface GitServerRequest {
  method: string;
  /** Path and query, e.g. `/site.git/info/refs?service=git-upload-pack`. */
  url: string;
  status: number;
  user: string | undefined;
}

/** A running server. */
export interface GitServer {
  /** Base URL without credentials, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Every request answered so far, oldest first. */
  requests: GitServerRequest[];
  /** Creates an empty bare repository `name` that accepts pushes; resolves with its path. */
  createRepo(name: string): Promise<string>;
  /** URL of repository `name`, with `user`'s credentials as userinfo when a user is given. */
  repoUrl(name: string, user?: string): string;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/** Options of startGitServer. */
export interface GitServerOptions {
  /** Folder holding the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** Accepted Basic credentials, user name to password. */
  users: Record<string, string>;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Path of the git binary used by createRepo; defaults to `git` on PATH. */
  git?: string;
}

/**
 * Starts the server on 127.0.0.1. Every request needs valid Basic credentials, else it is
 * answered 401 with a `WWW-Authenticate` challenge; authenticated requests run
 * git-http-backend with the CGI environment (REMOTE_USER set, so receive-pack is allowed too).
 */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const { root, users, port = 0, git = 'git' } = options;
  const requests: GitServerRequest[] = [];
  await mkdir(root, { recursive: true });

  const server = http.createServer((req, res) => {
    const user = authenticate(req.headers.authorization, users);
    res.on('finish', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', status: res.statusCode, user });
    });
    if (user === undefined) {
      res.writeHead(401, {
        'WWW-Authenticate': 'Basic realm="stockade test git", charset="UTF-8"',
        'Content-Type': 'text/plain',
      });
      res.end('authentication required\n');
      return;
    }

    runBackend(req, res, root, user).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
      }
      res.end(`backend failed: ${String(err)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${actualPort}`;

  return {
    url,
    port: actualPort,
    requests,
    createRepo: async (name) => {
      assertRepoName(name);
      const dir = path.join(root, name);
      await runGit(git, ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
      await runGit(git, ['-C', dir, 'config', 'http.receivepack', 'true']);
      return dir;
    },
    repoUrl: (name, user) => {
      assertRepoName(name);
      if (user === undefined) {
        return `${url}/${name}`;
      }
      const password = users[user] ?? '';
      const userinfo = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
      return `http://${userinfo}@127.0.0.1:${actualPort}/${name}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The user whose Basic credentials match, or undefined. */
function authenticate(
  header: string | undefined,
  users: Record<string, string>,
): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (match === null) {
    return undefined;
  }

  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    return undefined;
  }

  const name = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return Object.hasOwn(users, name) && users[name] === password ? name : undefined;
}

/** Runs git-http-backend for one request and relays its CGI response. */
async function runBackend(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  root: string,
  user: string,
): Promise<void> {
  const target = new URL(req.url ?? '/', 'http://127.0.0.1');
  const gzipped = /^(x-)?gzip$/i.test(String(req.headers['content-encoding'] ?? ''));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: root,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(target.pathname),
    QUERY_STRING: target.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_USER: user,
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    AUTH_TYPE: 'Basic',
  };
  // The body is inflated here, so the backend sees neither the encoding nor the old length.
  if (!gzipped && req.headers['content-length'] !== undefined) {
    env['CONTENT_LENGTH'] = req.headers['content-length'];
  }
  if (req.headers['git-protocol'] !== undefined) {
    env['GIT_PROTOCOL'] = String(req.headers['git-protocol']);
  }

  const child = spawn(GIT_HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  const source = gzipped ? req.pipe(zlib.createGunzip()) : req;
  const fed = pipeline(source, child.stdin).catch(() => {
    // The backend may exit before reading all input (it answers errors early); its own
    // response says what went wrong, so the broken pipe carries no extra information.
  });

  await relayCgiResponse(child.stdout, res);
  await fed;
  const code = await exited;
  if (!res.headersSent) {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end(`git-http-backend exited ${code} without a response: ${Buffer.concat(stderr)}`);
  }
}

/** Parses the CGI header block (with its `Status:` line) and streams the rest as the body. */
async function relayCgiResponse(
  stdout: NodeJS.ReadableStream,
  res: http.ServerResponse,
): Promise<void> {
  let pending = Buffer.alloc(0);
  let headersDone = false;
  for await (const chunk of stdout as AsyncIterable<Buffer>) {
    if (headersDone) {
      if (!res.write(chunk)) {
        await new Promise((resolve) => res.once('drain', resolve));
      }
      continue;
    }

    pending = Buffer.concat([pending, chunk]);
    const end = findHeaderEnd(pending);
    if (end === undefined) {
      continue;
    }

    writeCgiHeaders(pending.subarray(0, end.start).toString('latin1'), res);
    headersDone = true;
    const body = pending.subarray(end.next);
    if (body.length > 0) {
      res.write(body);
    }
  }
  if (!headersDone && pending.length > 0) {
    writeCgiHeaders(pending.toString('latin1'), res);
  }
  if (!res.headersSent && !headersDone) {
    return;
  }
  res.end();
}

/** Position of the blank line ending the CGI headers (CRLF or LF style). */
function findHeaderEnd(buffer: Buffer): { start: number; next: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) {
    return { start: crlf, next: crlf + 4 };
  }
  return lf >= 0 ? { start: lf, next: lf + 2 } : undefined;
}

/** Turns CGI header lines into the HTTP status and headers. */
function writeCgiHeaders(block: string, res: http.ServerResponse): void {
  let status = 200;
  let reason: string | undefined;
  const headers: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      continue;
    }

    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') {
      const match = /^(\d{3})\s*(.*)$/.exec(value);
      status = Number(match?.[1] ?? 500);
      reason = match?.[2] || undefined;
    } else {
      headers[name] = value;
    }
  }
  if (reason === undefined) {
    res.writeHead(status, headers);
  } else {
    res.writeHead(status, reason, headers);
  }
}

/** Refuses names that could leave `root`. */
function assertRepoName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.includes('..')) {
    throw new Error(`invalid repository name '${name}'`);
  }
}

/** Runs git with an argv array and rejects with its stderr on failure. */
function runGit(git: string, argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(git, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) {
        resolve();
      } else {
        reject(new Error(`git ${argv.join(' ')} exited ${code}: ${Buffer.concat(stderr)}`));
      }
    });
  });
}
