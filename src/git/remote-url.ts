// SPDX-License-Identifier: BSD-2-Clause
// Remote URLs and secrets: which transport a URL needs, credentials moved out of the URL, and
// redaction of every text that leaves the Git source (errors, logs, status). Pure: no I/O.

/** Credentials for HTTP Basic auth (a token goes in `password`). */
export interface GitCredentials {
  username: string;
  password: string;
}

/** A remote URL split into what may be shown and what must not. */
export interface ParsedRemote {
  /** `http` for http(s) URLs, `ssh` for `ssh://` and scp-like `user@host:path` URLs. */
  protocol: 'http' | 'ssh';
  /** The URL without userinfo (for http) or as given (for ssh, which carries no password). */
  url: string;
  /** Credentials that were embedded as userinfo in an http URL. */
  credentials: GitCredentials | undefined;
}

/** Placeholder written wherever a secret was. */
export const REDACTED = '[redacted]';

/**
 * Classifies `url` and moves userinfo out of an http(s) URL. Throws a TypeError for anything
 * else (file://, git://, local paths): the daemon only speaks to remotes over HTTP(S) or SSH.
 */
export function parseRemoteUrl(url: string): ParsedRemote {
  if (/^ssh:\/\//i.test(url) || isScpLike(url)) {
    return { protocol: 'ssh', url, credentials: undefined };
  }

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`unsupported Git remote URL '${redactUrl(url)}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`unsupported Git remote URL scheme '${parsed.protocol}'`);
  }

  const credentials =
    parsed.username === '' && parsed.password === ''
      ? undefined
      : {
          username: decodeURIComponent(parsed.username),
          password: decodeURIComponent(parsed.password),
        };
  parsed.username = '';
  parsed.password = '';
  return { protocol: 'http', url: parsed.toString().replace(/\/$/, ''), credentials };
}

/** `url` with any userinfo password replaced, safe for logs and errors. */
export function redactUrl(url: string): string {
  return url.replace(
    /^([a-z][a-z0-9+.-]*:\/\/)([^/@\s]*)@/i,
    (_all, scheme: string, info: string) =>
      info.includes(':') ? `${scheme}${REDACTED}@` : `${scheme}${info}@`,
  );
}

/**
 * `text` with every secret, its URL-encoded and Basic-header forms, and URL userinfo passwords
 * replaced. Used on every message, stderr tail and cause that leaves the Git source.
 */
export function redactText(text: string, credentials: GitCredentials | undefined): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]*:[^/@\s]*@/gi, `$1${REDACTED}@`);
  if (credentials === undefined || credentials.password === '') {
    return out;
  }

  const { username, password } = credentials;
  const forms = [
    Buffer.from(`${username}:${password}`).toString('base64'),
    encodeURIComponent(password),
    password,
  ];
  for (const form of forms) {
    out = out.split(form).join(REDACTED);
  }
  return out;
}

/** The value of an HTTP Basic Authorization header. */
export function basicAuthHeader(credentials: GitCredentials): string {
  const token = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  return `Basic ${token}`;
}

/** True for scp-like SSH remotes such as `git@example.org:ops/site.git`. */
function isScpLike(url: string): boolean {
  return /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)/.test(url);
}
