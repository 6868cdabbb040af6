// SPDX-License-Identifier: BSD-2-Clause
import { describe, expect, it } from 'vitest';

import type { PolicyConfig } from '../../src/config/types.js';
import { isReservedParameter } from '../../src/manifest/names.js';
import { errorsOf, jailYaml, loadWithBase } from './helpers.js';

const policy: PolicyConfig = {
  allowedParameters: ['allow.raw_sockets', 'sysvshm'],
  allowedHostPaths: [],
  maxMemory: '1G',
  maxPcpu: 200,
  maxReplicas: 4,
  maxPruneRatio: 0.5,
  allowPruneAll: false,
};

describe('jail parameters', () => {
  it('refuses reserved parameters whatever the policy, at the key', () => {
    const yaml = jailYaml(
      '  parameters:\n    exec.prestart: /bin/true\n    path: /\n    "mount.fstab": /etc/fstab\n    allow.raw_sockets: true\n',
    );

    const result = loadWithBase({ 't.yaml': yaml });

    expect(errorsOf(result)).toEqual([
      'PARAMETER_RESERVED t.yaml:9:5 spec.parameters["exec.prestart"]',
      'PARAMETER_RESERVED t.yaml:10:5 spec.parameters.path',
      'PARAMETER_RESERVED t.yaml:11:5 spec.parameters["mount.fstab"]',
    ]);
  });

  it('with a policy, refuses parameters outside allowedParameters', () => {
    const yaml = jailYaml('  parameters:\n    allow.raw_sockets: true\n    allow.mount: 1\n');

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([]);
    expect(errorsOf(loadWithBase({ 't.yaml': yaml }, { policy }))).toEqual([
      'POLICY_PARAMETER_DENIED t.yaml:10:5 spec.parameters["allow.mount"]',
    ]);
  });

  it('knows every exec.* pseudo-parameter as reserved', () => {
    expect(isReservedParameter('exec.start')).toBe(true);
    expect(isReservedParameter('exec.created')).toBe(true);
    expect(isReservedParameter('vnet.interface')).toBe(true);
    expect(isReservedParameter('allow.raw_sockets')).toBe(false);
    expect(isReservedParameter('executable')).toBe(false);
  });
});

describe('ceilings', () => {
  it('refuses memory, pcpu and replicas above the policy', () => {
    const yaml = jailYaml('  replicas: 5\n  resources:\n    memory: 2048M\n    pcpu: 250%\n');

    const result = loadWithBase({ 't.yaml': yaml }, { policy });

    expect(errorsOf(result)).toEqual([
      'POLICY_REPLICAS_EXCEEDED t.yaml:8:13 spec.replicas',
      'POLICY_MEMORY_EXCEEDED t.yaml:10:13 spec.resources.memory',
      'POLICY_PCPU_EXCEEDED t.yaml:11:11 spec.resources.pcpu',
    ]);
  });

  it('accepts values at the ceilings', () => {
    const yaml = jailYaml('  replicas: 4\n  resources:\n    memory: 1024M\n    pcpu: 200%\n');

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }, { policy }))).toEqual([]);
  });

  it('caps pcpu at 100% per CPU of the node and refuses 0%', () => {
    const over = jailYaml('  resources:\n    pcpu: 300%\n');
    const zero = jailYaml('  resources:\n    pcpu: 0%\n');

    expect(errorsOf(loadWithBase({ 't.yaml': over }, { cpuCount: 2 }))).toEqual([
      'RESOURCE_PCPU_EXCEEDS_CPUS t.yaml:9:11 spec.resources.pcpu',
    ]);
    expect(errorsOf(loadWithBase({ 't.yaml': over }, { cpuCount: 4 }))).toEqual([]);
    expect(errorsOf(loadWithBase({ 't.yaml': zero }))).toEqual([
      'VALUE_OUT_OF_RANGE t.yaml:9:11 spec.resources.pcpu',
    ]);
  });
});

describe('volumes', () => {
  it('refuses a reservation larger than the quota', () => {
    const yaml =
      'apiVersion: stockade/v1\nkind: Volume\nmetadata:\n  name: v\nspec:\n  quota: 1G\n  reservation: 2G\n';

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'VOLUME_RESERVATION_EXCEEDS_QUOTA t.yaml:7:16 spec.reservation',
    ]);
  });

  it('refuses ZFS properties outside the allow list', () => {
    const yaml =
      'apiVersion: stockade/v1\nkind: Volume\nmetadata:\n  name: v\nspec:\n  properties:\n    compression: lz4\n    mountpoint: /etc\n';

    expect(errorsOf(loadWithBase({ 't.yaml': yaml }))).toEqual([
      'FIELD_UNKNOWN t.yaml:8:5 spec.properties.mountpoint',
    ]);
  });
});
