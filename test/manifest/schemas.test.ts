// SPDX-License-Identifier: BSD-2-Clause
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { findKind, run, writeSchemas } from '../../src/cli/schema.js';
import { bundleSchema, kindSchema, kindValidators, newAjv } from '../../src/manifest/schemas.js';
import {
  KINDS,
  type JailSpec,
  type NetworkSpec,
  type VolumeSpec,
} from '../../src/manifest/types.js';

const EXAMPLE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../example-repo');

function doc(kind: string, spec: unknown, name = 'x'): Record<string, unknown> {
  return { apiVersion: 'stockade/v1', kind, metadata: { name }, spec };
}

describe('kind schemas', () => {
  it('compile under strict mode on a fresh Ajv 2020 instance, one by one and as a bundle', () => {
    const ajv = newAjv();

    for (const kind of KINDS) {
      expect(() => ajv.compile(kindSchema(kind))).not.toThrow();
    }
    expect(() => newAjv().compile(bundleSchema())).not.toThrow();
    expect(kindSchema('Jail').$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('accept a document that sets every field the types declare', () => {
    const jail: JailSpec = {
      image: 'base',
      replicas: 2,
      hostname: 'web.example.org',
      networks: [{ name: 'net', address: '10.0.0.5' }],
      volumes: [{ name: 'data', mountPath: '/srv', readOnly: true }],
      files: [{ path: '/etc/motd', content: 'hi', mode: '0644' }],
      command: ['/bin/sh', '-c', 'exec httpd'],
      env: { A: 'b c' },
      resources: {
        memory: '512M',
        pcpu: '50%',
        maxproc: 10,
        openfiles: 100,
        readbps: '10M',
        writebps: '1M',
        cpuset: '0-1',
      },
      parameters: { 'allow.raw_sockets': true, securelevel: 2, osrelease: '14.3-RELEASE' },
      health: {
        http: { port: 80, path: '/healthz', status: 200, bodyMatch: 'ok' },
        interval: '10s',
        timeout: '500ms',
        retries: 3,
        startPeriod: '1m',
      },
      restartPolicy: 'OnFailure',
      dependsOn: ['db'],
      nodeSelector: { 'example.org/zone': 'a' },
      selfHeal: false,
    };
    const network: NetworkSpec = {
      mode: 'vnet',
      cidr: '10.0.0.0/24',
      gateway: '10.0.0.1',
      nat: true,
      isolated: false,
      allowFrom: ['other'],
    };
    const volume: VolumeSpec = {
      quota: '1G',
      reservation: '100M',
      properties: { compression: 'lz4', recordsize: '16K' },
      snapshots: { keep: 3, maxAge: '24h' },
      reclaimPolicy: 'Delete',
    };
    const v = kindValidators();

    expect(v.Jail(doc('Jail', jail))).toBe(true);
    expect(v.Network(doc('Network', network))).toBe(true);
    expect(v.Volume(doc('Volume', volume))).toBe(true);
    expect(v.Node(doc('Node', { capacity: { jails: 10, memory: '8G' } }))).toBe(true);
  });

  it('refuse unknown fields at every level', () => {
    const v = kindValidators();

    expect(v.Volume({ ...doc('Volume', {}), extra: 1 })).toBe(false);
    expect(v.Volume(doc('Volume', { snapshots: { keep: 1, kep: 2 } }))).toBe(false);
    expect(
      v.Service(doc('Service', { selector: { a: 'b' }, ports: [{ port: 1, hostport: 2 }] })),
    ).toBe(false);
  });

  it('bundle: exactly one kind matches, and every example-repo document passes', () => {
    const validate = newAjv().compile(bundleSchema());
    const docs = readdirSync(EXAMPLE, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.yaml'))
      .flatMap((f) => parseAllDocuments(readFileSync(path.join(EXAMPLE, f), 'utf8')))
      .map((d) => (d as { toJS(): unknown }).toJS());

    expect(docs.length).toBe(16);
    expect(docs.filter((d) => !validate(d))).toEqual([]);
    expect(validate(doc('Pod', {}))).toBe(false);
    expect(validate({ ...doc('Volume', {}), kind: 'Network' })).toBe(false);
  });
});

describe('stockade schema --write', () => {
  it('writes one file per kind and the bundle, each valid JSON that compiles', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stockade-schemas-'));
    try {
      const written = await writeSchemas(path.join(dir, 'out'));

      expect(written.map((f) => path.basename(f))).toEqual([
        'network.schema.json',
        'volume.schema.json',
        'image.schema.json',
        'jail.schema.json',
        'service.schema.json',
        'node.schema.json',
        'stockade.schema.json',
      ]);
      const jail = JSON.parse(
        readFileSync(path.join(dir, 'out/jail.schema.json'), 'utf8'),
      ) as object;
      expect(jail).toEqual(kindSchema('Jail'));
      const bundle = JSON.parse(readFileSync(path.join(dir, 'out/stockade.schema.json'), 'utf8'));
      expect(() => newAjv().compile(bundle as object)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds kinds without regard to case', () => {
    expect(findKind('jail')).toBe('Jail');
    expect(findKind('NETWORK')).toBe('Network');
    expect(findKind('pod')).toBeUndefined();
  });
});

describe('stockade schema', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function capture(): { out: () => string; err: () => string } {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    return { out: () => out, err: () => err };
  }

  it('prints one kind, or the bundle when no kind is given', async () => {
    const io = capture();
    expect(await run(['volume'])).toBe(0);
    const volume = io.out();
    expect(await run([])).toBe(0);

    expect(JSON.parse(volume)).toEqual(kindSchema('Volume'));
    expect(JSON.parse(io.out().slice(volume.length))).toEqual(bundleSchema());
  });

  it('refuses an unknown kind and extra arguments with 64', async () => {
    const io = capture();

    expect(await run(['pod'])).toBe(64);
    expect(await run(['jail', 'volume'])).toBe(64);
    expect(await run(['--write', '/nonexistent-dir-never-written', 'jail'])).toBe(64);
    expect(io.err()).toContain("stockade schema: unknown kind 'pod'; kinds: Network, Volume");
  });
});
