// SPDX-License-Identifier: BSD-2-Clause
// The JSON Schema of the node config file (/usr/local/etc/stockade.yaml), with the defaults a
// FreeBSD host gets when a field is left out. Pure data.

const NAME = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const LISTEN = '^(\\[[0-9a-fA-F:]+\\]|[0-9.]+|localhost):[0-9]{1,5}$';
const ABSOLUTE = '^/';

/** Schema for ajv with `useDefaults`; objects default to `{}` so nested defaults apply. */
export const NODE_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'repository', 'zfs', 'pf'],
  properties: {
    name: { type: 'string', pattern: NAME },
    labels: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'string' },
    },
    repository: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', minLength: 1 },
        branch: { type: 'string', minLength: 1, default: 'main' },
        path: { type: 'string', default: '.' },
        credentials: {
          type: 'object',
          additionalProperties: false,
          properties: {
            username: { type: 'string' },
            passwordFile: { type: 'string', pattern: ABSOLUTE },
            passwordEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
          },
        },
        statusBranch: { type: 'string', minLength: 1, default: 'stockade-status' },
        allowForcePush: { type: 'boolean', default: false },
        transport: { type: 'string', enum: ['auto', 'http', 'cli'], default: 'auto' },
        knownHostsFile: { type: 'string', pattern: ABSOLUTE },
        identityFile: { type: 'string', pattern: ABSOLUTE },
      },
    },
    pollInterval: { type: 'integer', minimum: 5, maximum: 86400, default: 60 },
    resyncInterval: { type: 'integer', minimum: 0, maximum: 86400, default: 300 },
    webhook: {
      type: 'object',
      additionalProperties: false,
      required: ['listen'],
      properties: {
        listen: { type: 'string', pattern: LISTEN },
        secretFile: { type: 'string', pattern: ABSOLUTE },
        secretEnv: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
        maxBodyBytes: { type: 'integer', minimum: 1024, maximum: 26214400, default: 1048576 },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      required: ['listen'],
      properties: { listen: { type: 'string', pattern: LISTEN } },
    },
    zfs: {
      type: 'object',
      additionalProperties: false,
      required: ['root'],
      properties: {
        root: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*(/[A-Za-z0-9_.:-]+)+$' },
        mountpoint: { type: 'string', pattern: ABSOLUTE },
        rollbackPoints: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            keep: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
            maxAgeSeconds: { type: 'integer', minimum: 0, default: 2592000 },
          },
        },
      },
    },
    pf: {
      type: 'object',
      additionalProperties: false,
      required: ['externalInterface'],
      properties: {
        externalInterface: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.]{0,14}$' },
        anchor: { type: 'string', pattern: '^[A-Za-z0-9_-]+$', default: 'stockade' },
      },
    },
    releases: {
      type: 'object',
      default: {},
      additionalProperties: { type: 'string', pattern: ABSOLUTE },
    },
    policy: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        allowedParameters: {
          type: 'array',
          items: { type: 'string' },
          default: ['allow.raw_sockets', 'allow.sysvipc', 'sysvmsg', 'sysvsem', 'sysvshm'],
        },
        allowedHostPaths: {
          type: 'array',
          items: { type: 'string', pattern: ABSOLUTE },
          default: [],
        },
        maxMemory: { type: 'string', pattern: '^[0-9]+[kKmMgGtT]?$' },
        maxPcpu: { type: 'integer', minimum: 1, maximum: 100 },
        maxReplicas: { type: 'integer', minimum: 1, default: 64 },
        maxPruneRatio: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
        allowPruneAll: { type: 'boolean', default: false },
      },
    },
    selfHeal: { type: 'boolean', default: true },
    stateDir: { type: 'string', pattern: ABSOLUTE, default: '/var/db/stockade' },
    tools: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: Object.fromEntries(
        [
          'jail',
          'jls',
          'jexec',
          'zfs',
          'zpool',
          'ifconfig',
          'pfctl',
          'rctl',
          'cpuset',
          'mount',
          'umount',
          'tar',
          'sysctl',
          'kldstat',
          'git',
        ].map((tool) => [tool, { type: 'string', pattern: ABSOLUTE }]),
      ),
    },
  },
} as const;
