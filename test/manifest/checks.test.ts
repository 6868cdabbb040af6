// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import { matchesSelector } from '../../src/manifest/checks.js';
import { errorsOf, jailYaml, loadWithBase, warningsOf } from './helpers.js';

const service = (name: string, ports: string, selector = '    app: web\n'): string =>
  `apiVersion: stockade/v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector:\n${selector}  ports:\n${ports}`;

describe('references', () => {
  it('reports unknown images, networks, volumes and dependencies at the reference', () => {
    const yaml = jailYaml(
      '  networks:\n    - name: nope\n  volumes:\n    - name: gone\n      mountPath: /data\n  dependsOn: [ghost]\n',
    ).replace('image: base', 'image: missing');

    const result = loadWithBase({ 't.yaml': yaml });

    expect(errorsOf(result)).toEqual([
      'REF_IMAGE_UNKNOWN t.yaml:6:10 spec.image',
      'REF_NETWORK_UNKNOWN t.yaml:9:13 spec.networks[0].name',
      'REF_VOLUME_UNKNOWN t.yaml:11:13 spec.volumes[0].name',
      'REF_DEPENDENCY_UNKNOWN t.yaml:13:15 spec.dependsOn[0]',
    ]);
  });

  it('reports an unknown network in allowFrom', () => {
    const yaml =
      'apiVersion: stockade/v1\nkind: Network\nmetadata:\n  name: x\nspec:\n  mode: vnet\n  cidr: 10.9.0.0/24\n  allowFrom: [net, nowhere]\n';

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'REF_NETWORK_UNKNOWN t.yaml:8:20 spec.allowFrom[1]',
    ]);
  });

  it('warns when a service selector matches no jail, and passes when one does', () => {
    const svc = service('web', '    - port: 80\n');

    const unmatched = loadWithBase({ 's.yaml': svc });
    const matched = loadWithBase({
      's.yaml': svc,
      't.yaml': jailYaml('').replace('  name: web\n', '  name: web\n  labels:\n    app: web\n'),
    });

    expect(unmatched.ok).toBe(true);
    expect(warningsOf(unmatched)).toEqual(['SERVICE_SELECTOR_UNMATCHED s.yaml:7:5 spec.selector']);
    expect(warningsOf(matched)).toEqual([]);
  });

  it('matches selectors on every label, own properties only', () => {
    expect(matchesSelector({ app: 'web', tier: 'a' }, { app: 'web' })).toBe(true);
    expect(matchesSelector({ app: 'web' }, { app: 'web', tier: 'a' })).toBe(false);
    expect(matchesSelector({}, { toString: 'x' })).toBe(false);
  });
});

describe('placement', () => {
  const node = (name: string, zone: string): string =>
    `apiVersion: stockade/v1\nkind: Node\nmetadata:\n  name: ${name}\n  labels:\n    zone: ${zone}\nspec: {}\n`;
  const placed = jailYaml('  nodeSelector:\n    zone: b\n');

  it('warns when a nodeSelector matches none of the listed nodes', () => {
    const result = loadWithBase({ 'n.yaml': node('n1', 'a'), 't.yaml': placed });

    expect(result.ok).toBe(true);
    expect(warningsOf(result)).toEqual(['NODE_SELECTOR_UNMATCHED t.yaml:9:5 spec.nodeSelector']);
  });

  it('is silent when a node matches, or when the repository lists no nodes', () => {
    const matched = loadWithBase({
      'n.yaml': node('n1', 'a') + '---\n' + node('n2', 'b'),
      't.yaml': placed,
    });
    const single = loadWithBase({ 't.yaml': placed });

    expect(warningsOf(matched)).toEqual([]);
    expect(warningsOf(single)).toEqual([]);
  });
});

describe('names and dependencies', () => {
  it('reports a duplicate name within a kind, pointing at the first', () => {
    const result = loadWithBase({ 'a.yaml': jailYaml(''), 'b.yaml': jailYaml('') });

    expect(errorsOf(result)).toEqual(['NAME_DUPLICATE b.yaml:4:9 metadata.name']);
    expect(result.ok ? '' : result.errors[0]?.message).toBe(
      "Jail 'web' is already defined at a.yaml:4",
    );
  });

  it('allows the same name in different kinds', () => {
    const yaml = 'apiVersion: stockade/v1\nkind: Volume\nmetadata:\n  name: base\nspec: {}\n';

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([]);
  });

  it('reports a jail named like a replica of another jail', () => {
    const result = loadWithBase({
      'a.yaml': jailYaml('  replicas: 3\n'),
      'b.yaml': jailYaml('', 'web-2'),
      'c.yaml': jailYaml('', 'web-3'),
    });

    expect(errorsOf(result)).toEqual(['JAIL_NAME_COLLISION b.yaml:4:9 metadata.name']);
  });

  it('reports each dependency cycle once, at the entry that closes it', () => {
    const result = loadWithBase({
      'a.yaml': jailYaml('  dependsOn: [b]\n', 'a'),
      'b.yaml': jailYaml('  dependsOn: [c]\n', 'b'),
      'c.yaml': jailYaml('  dependsOn: [d, a]\n', 'c'),
      'd.yaml': jailYaml('', 'd'),
      'e.yaml': jailYaml('  dependsOn: [e]\n', 'e'),
    });

    expect(errorsOf(result)).toEqual([
      'DEPENDENCY_CYCLE c.yaml:8:18 spec.dependsOn[1]',
      'DEPENDENCY_CYCLE e.yaml:8:15 spec.dependsOn[0]',
    ]);
    expect(result.ok ? [] : result.errors.map((e) => e.message)).toEqual([
      'dependency cycle: a -> b -> c -> a',
      'dependency cycle: e -> e',
    ]);
  });
});

describe('files, mounts and health checks', () => {
  it('requires exactly one of source and content, and an existing source', () => {
    const yaml = jailYaml(
      '  files:\n    - path: /a\n    - path: /b\n      source: x\n      content: y\n    - path: /c\n      source: missing.conf\n    - path: /a\n      content: z\n',
    );

    const result = loadWithBase({ 't.yaml': yaml, x: 'x' });

    expect(errorsOf(result)).toEqual([
      'FILE_SOURCE_CONFLICT t.yaml:9:7 spec.files[0]',
      'FILE_SOURCE_CONFLICT t.yaml:10:7 spec.files[1]',
      'FILE_SOURCE_MISSING t.yaml:14:15 spec.files[2].source',
      'FILE_PATH_DUPLICATE t.yaml:15:13 spec.files[3].path',
    ]);
  });

  it('checks image files the same way', () => {
    const yaml =
      'apiVersion: stockade/v1\nkind: Image\nmetadata:\n  name: img\nspec:\n  release: 14.3-RELEASE\n  files:\n    - path: /etc/x\n      source: conf/x.conf\n';

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'FILE_SOURCE_MISSING t.yaml:9:15 spec.files[0].source',
    ]);
    expect(errorsOf(loadWithBase({ 't.yaml': yaml, 'conf/x.conf': 'x' }))).toEqual([]);
  });

  it('refuses a source file over the size limit', () => {
    const yaml = jailYaml('  files:\n    - path: /big\n      source: big.bin\n');

    const result = loadWithBase({ 't.yaml': yaml, 'big.bin': 'x'.repeat(8 * 1024 * 1024 + 1) });

    expect(errorsOf(result)).toEqual(['FILE_SOURCE_TOO_LARGE t.yaml:10:15 spec.files[0].source']);
  });

  it('warns when a volume mount hides a file of the jail or of its image', () => {
    const image =
      'apiVersion: stockade/v1\nkind: Image\nmetadata:\n  name: img\nspec:\n  release: 14.3-RELEASE\n' +
      '  files:\n    - path: /srv/app.conf\n      content: x\n';
    const jail = jailYaml(
      '  volumes:\n    - name: data\n      mountPath: /srv\n  files:\n    - path: /srv/x.conf\n      content: y\n    - path: /srvx\n      content: z\n',
    ).replace('image: base', 'image: img');

    const result = loadWithBase({ 'i.yaml': image, 't.yaml': jail });

    expect(result.ok).toBe(true);
    expect(warningsOf(result)).toEqual([
      'FILE_HIDDEN_BY_MOUNT t.yaml:10:18 spec.volumes[0].mountPath',
      'FILE_HIDDEN_BY_MOUNT t.yaml:12:13 spec.files[0].path',
    ]);
  });

  it('refuses two volumes on one mountPath', () => {
    const yaml = jailYaml(
      '  volumes:\n    - name: data\n      mountPath: /srv\n    - name: data\n      mountPath: /srv\n',
    );

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'JAIL_MOUNT_DUPLICATE t.yaml:12:18 spec.volumes[1].mountPath',
    ]);
  });

  it('needs exactly one kind of health check', () => {
    const none = jailYaml('  health:\n    interval: 5s\n');
    const two = jailYaml('  health:\n    tcp: {port: 1}\n    exec: {command: [/bin/true]}\n');

    expect(errorsOf(loadWithBase({ 't.yaml': none }))).toEqual([
      'HEALTH_CHECK_KIND t.yaml:9:5 spec.health',
    ]);
    expect(errorsOf(loadWithBase({ 't.yaml': two }))).toEqual([
      'HEALTH_CHECK_KIND t.yaml:9:5 spec.health',
    ]);
  });
});

describe('service ports', () => {
  it('refuses two services publishing the same host port and protocol', () => {
    const result = loadWithBase({
      'a.yaml': service('a', '    - port: 80\n      hostPort: 8080\n'),
      'b.yaml': service(
        'b',
        '    - port: 81\n      hostPort: 8080\n    - port: 82\n      hostPort: 8080\n      protocol: udp\n',
      ),
    });

    expect(errorsOf(result)).toEqual([
      'SERVICE_HOST_PORT_CONFLICT b.yaml:10:17 spec.ports[0].hostPort',
    ]);
    expect(result.ok ? '' : result.errors[0]?.message).toBe(
      "host port tcp/8080 is already published by service 'a' (a.yaml:4)",
    );
  });

  it('refuses the same port twice in one service', () => {
    const yaml = service('a', '    - port: 80\n    - port: 80\n      protocol: tcp\n');

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'SERVICE_PORT_DUPLICATE t.yaml:10:13 spec.ports[1].port',
    ]);
  });
});
