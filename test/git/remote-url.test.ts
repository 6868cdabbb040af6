// SPDX-License-Identifier: BSD-2-Clause
// Remote URL parsing and redaction: which transport a URL takes and that secrets never survive.

import { describe, expect, it } from 'vitest';

import {
  basicAuthHeader,
  parseRemoteUrl,
  redactText,
  redactUrl,
} from '../../src/git/remote-url.js';

describe('parseRemoteUrl', () => {
  it('moves userinfo out of an https URL', () => {
    expect(parseRemoteUrl('https://ci:t%40ken@git.example.org/ops/site.git/')).toEqual({
      protocol: 'http',
      url: 'https://git.example.org/ops/site.git',
      credentials: { username: 'ci', password: 't@ken' },
    });
  });

  it('sends ssh:// and scp-like URLs to the SSH transport unchanged', () => {
    expect(parseRemoteUrl('ssh://git@git.example.org:2222/ops/site.git')).toEqual({
      protocol: 'ssh',
      url: 'ssh://git@git.example.org:2222/ops/site.git',
      credentials: undefined,
    });
    expect(parseRemoteUrl('git@git.example.org:ops/site.git').protocol).toBe('ssh');
  });

  it('refuses other schemes and local paths', () => {
    expect(() => parseRemoteUrl('file:///srv/git/site.git')).toThrow(TypeError);
    expect(() => parseRemoteUrl('git://git.example.org/site.git')).toThrow(TypeError);
    expect(() => parseRemoteUrl('/srv/git/site.git')).toThrow(TypeError);
  });
});

describe('redaction', () => {
  it('hides the password of a URL but keeps a bare user name', () => {
    expect(redactUrl('https://ci:hunter2@git.example.org/x.git')).toBe(
      'https://[redacted]@git.example.org/x.git',
    );
    expect(redactUrl('ssh://git@git.example.org/x.git')).toBe('ssh://git@git.example.org/x.git');
  });

  it('removes the password in plain, URL-encoded and Basic header form from any text', () => {
    const credentials = { username: 'ci', password: 'p@ss word' };
    const header = basicAuthHeader(credentials);
    const text = [
      'fatal: unable to access https://ci:p%40ss%20word@git.example.org/x.git',
      `sent ${header}`,
      'echo p@ss word',
    ].join('\n');

    const out = redactText(text, credentials);

    expect(out).toBe(
      [
        'fatal: unable to access https://[redacted]@git.example.org/x.git',
        'sent Basic [redacted]',
        'echo [redacted]',
      ].join('\n'),
    );
  });
});
