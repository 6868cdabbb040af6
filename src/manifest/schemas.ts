// SPDX-License-Identifier: BSD-2-Clause
// The JSON Schemas (draft 2020-12) of every manifest kind, and their compiled validators. The
// schemas are the authority for a document's shape; cross-document rules live in checks.ts.

import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

import { API_VERSION, KINDS, type Kind } from './types.js';
import {
  ABSOLUTE_PATH_RULE,
  ADDRESS_RULE,
  ARGV_RULE,
  CIDR_RULE,
  CPUSET_RULE,
  DURATION_RULE,
  ENV_NAME_RULE,
  ENV_VALUE_RULE,
  EXEC_PARAMETER_PATTERN,
  HOSTNAME_RULE,
  RESERVED_ENV_PATTERN,
  HTTP_PATH_RULE,
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  MODE_RULE,
  NAME_RULE,
  PACKAGE_RULE,
  PARAMETER_NAME_RULE,
  PARAMETER_VALUE_RULE,
  PERCENT_RULE,
  PORT_NAME_RULE,
  RELEASE_RULE,
  RESERVED_PARAMETERS,
  SIZE_RULE,
  SOURCE_PATH_RULE,
  TEXT_RULE,
  ZFS_VALUE_RULE,
  type ValueRule,
} from './names.js';

/** A JSON Schema as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** Most documents a list field may hold; also bounds the work of later checks. */
export const MAX_ITEMS = 64;

/** Highest replica count a manifest may ask for, whatever the policy says. */
export const MAX_REPLICAS = 256;

/** ZFS properties a Volume may set; others are refused so nothing surprising reaches zfs(8). */
export const VOLUME_PROPERTIES: readonly string[] = [
  'atime',
  'checksum',
  'compression',
  'copies',
  'exec',
  'logbias',
  'primarycache',
  'readonly',
  'recordsize',
  'secondarycache',
  'setuid',
  'sync',
  'xattr',
];

/** The schema of one kind. */
export function kindSchema(kind: Kind): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `Stockade ${kind}`,
    description: KIND_DESCRIPTIONS[kind],
    ...documentSchema(kind, SPECS[kind]()),
  };
}

/**
 * Every kind in one schema for editors: a `oneOf` over the kinds, each of which pins `kind`
 * with `const`, so exactly one branch can match a document.
 */
export function bundleSchema(): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const kind of KINDS) {
    defs[kind] = { title: `Stockade ${kind}`, ...documentSchema(kind, SPECS[kind]()) };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Stockade manifest',
    description: 'Any Stockade manifest document; `kind` selects the schema.',
    oneOf: KINDS.map((k) => ({ $ref: `#/$defs/${k}` })),
    $defs: defs,
  };
}

/** The validator of each kind, compiled once with strict mode and all errors. */
export function kindValidators(): Record<Kind, ValidateFunction> {
  if (compiled === undefined) {
    const ajv = newAjv();
    compiled = Object.fromEntries(KINDS.map((k) => [k, ajv.compile(kindSchema(k))])) as Record<
      Kind,
      ValidateFunction
    >;
  }
  return compiled;
}

/** A fresh Ajv instance with the options every Stockade schema is compiled with. */
export function newAjv(): Ajv2020 {
  return new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true });
}

let compiled: Record<Kind, ValidateFunction> | undefined;

const KIND_DESCRIPTIONS: Record<Kind, string> = {
  Network:
    'A subnet for jails: a bridge with one epair per jail (vnet) or aliases on a cloned ' +
    'loopback (shared).',
  Volume: 'A persistent ZFS dataset, mounted into jails with nullfs.',
  Image: 'How a jail root is made: a release, packages, files and build commands.',
  Jail: 'One or more jails made from an image, with networks, volumes, limits and a command.',
  Service: 'A stable name and ports for the jails a selector matches, optionally published.',
  Node: 'A host: its labels (in metadata) and capacity, for placement.',
};

const SPECS: Record<Kind, () => JsonSchema> = {
  Network: networkSpec,
  Volume: volumeSpec,
  Image: imageSpec,
  Jail: jailSpec,
  Service: serviceSpec,
  Node: nodeSpec,
};

function documentSchema(kind: Kind, spec: JsonSchema): JsonSchema {
  return object(
    {
      apiVersion: { const: API_VERSION, description: `Always \`${API_VERSION}\`.` },
      kind: { const: kind, description: `Always \`${kind}\`.` },
      metadata: metadataSchema(),
      spec,
    },
    ['apiVersion', 'kind', 'metadata', 'spec'],
  );
}

function metadataSchema(): JsonSchema {
  return object(
    {
      name: str(NAME_RULE, 'Name of the object, unique within its kind.'),
      labels: map(LABEL_KEY_RULE, str(LABEL_VALUE_RULE), 'Labels, matched by selectors.'),
      annotations: map(LABEL_KEY_RULE, str(TEXT_RULE), 'Free notes for people; not used.'),
    },
    ['name'],
    'Identity of the object.',
  );
}

function networkSpec(): JsonSchema {
  return object(
    {
      mode: {
        enum: ['vnet', 'shared'],
        description:
          '`vnet`: a bridge and one epair per jail, each jail with its own network stack; ' +
          '`shared`: addresses on a cloned loopback shared with the host stack.',
      },
      cidr: str(CIDR_RULE, 'IPv4 or IPv6 prefix of the subnet; host bits must be zero.'),
      gateway: str(ADDRESS_RULE, 'Gateway address; defaults to the first host address.'),
      nat: bool("Outbound NAT through pf on the node's external interface. Default false."),
      isolated: bool('Block traffic to and from other networks. Default true.'),
      allowFrom: list(str(NAME_RULE), 'Networks let through the isolation, by name.'),
    },
    ['mode', 'cidr'],
    'What the network is.',
  );
}

function volumeSpec(): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const p of VOLUME_PROPERTIES) {
    properties[p] = str(ZFS_VALUE_RULE, `ZFS \`${p}\` property.`);
  }
  return object(
    {
      quota: str(SIZE_RULE, 'ZFS quota, e.g. `10G`.'),
      reservation: str(SIZE_RULE, 'ZFS reservation, e.g. `1G`.'),
      properties: object(properties, [], 'Native ZFS properties from an allow list.'),
      snapshots: object(
        {
          keep: int(0, 1000, 'How many Stockade snapshots of the volume to keep.'),
          maxAge: str(DURATION_RULE, 'Oldest snapshot to keep, e.g. `720h`.'),
        },
        [],
        "Retention of the volume's snapshots.",
      ),
      reclaimPolicy: {
        enum: ['Retain', 'Delete'],
        description:
          '`Retain` (default) keeps the dataset when the manifest goes away; `Delete` destroys ' +
          'it.',
      },
    },
    [],
    "The dataset's properties.",
  );
}

function imageSpec(): JsonSchema {
  return object(
    {
      release: str(RELEASE_RULE, 'Release name the node config maps to an archive.'),
      packages: list(str(PACKAGE_RULE), 'Packages installed with pkg(8).', 256),
      files: list(fileSchema(), 'Files written into the image.'),
      commands: list(argvSchema(), 'Commands run in a build jail, in order; each an argv.'),
    },
    ['release'],
    'How the image is built.',
  );
}

function jailSpec(): JsonSchema {
  return object(
    {
      image: str(NAME_RULE, 'Name of the Image the jail root is cloned from.'),
      replicas: int(0, MAX_REPLICAS, 'How many identical jails to run, named `<name>-<n>`.'),
      hostname: str(HOSTNAME_RULE, 'host.hostname; defaults to the jail name.'),
      networks: list(
        object(
          {
            name: str(NAME_RULE, 'Network name.'),
            address: str(ADDRESS_RULE, 'Fixed address; allocated when absent. Replicas 1 only.'),
          },
          ['name'],
          'One network attachment.',
        ),
        'Networks the jail is attached to.',
        16,
      ),
      volumes: list(
        object(
          {
            name: str(NAME_RULE, 'Volume name.'),
            mountPath: str(ABSOLUTE_PATH_RULE, 'Absolute path inside the jail.'),
            readOnly: bool('Mount read-only. Default false.'),
          },
          ['name', 'mountPath'],
          'One volume mount (nullfs).',
        ),
        'Volumes mounted into the jail.',
      ),
      files: list(fileSchema(), 'Files written into the jail root.'),
      command: argvSchema('argv of the main process, run inside the jail as exec.start.'),
      env: {
        ...map(
          ENV_NAME_RULE,
          str(ENV_VALUE_RULE),
          'Environment of the main process. Names starting with STOCKADE_ are set by Stockade ' +
            '(STOCKADE_JAIL_IP: the first address) and refused here.',
        ),
        propertyNames: {
          pattern: ENV_NAME_RULE.pattern,
          maxLength: ENV_NAME_RULE.maxLength,
          not: { pattern: RESERVED_ENV_PATTERN },
        },
      },
      resources: resourcesSchema(),
      parameters: {
        ...map(
          PARAMETER_NAME_RULE,
          {
            type: ['string', 'integer', 'boolean'],
            pattern: PARAMETER_VALUE_RULE.pattern,
            maxLength: PARAMETER_VALUE_RULE.maxLength,
          },
          'Extra jail(8) parameters, allowed by the node policy. Parameters Stockade sets ' +
            'itself and the exec.* commands are refused.',
        ),
        propertyNames: {
          pattern: PARAMETER_NAME_RULE.pattern,
          maxLength: PARAMETER_NAME_RULE.maxLength,
          not: {
            anyOf: [{ enum: [...RESERVED_PARAMETERS] }, { pattern: EXEC_PARAMETER_PATTERN }],
          },
        },
      },
      health: healthSchema(),
      restartPolicy: {
        enum: ['Always', 'OnFailure', 'Never'],
        description: 'When a stopped jail is started again. Default Always.',
      },
      dependsOn: list(str(NAME_RULE), 'Jails started before this one, by name.'),
      nodeSelector: map(LABEL_KEY_RULE, str(LABEL_VALUE_RULE), 'Node labels required.'),
      selfHeal: bool('Put drift back (default true); false only reports it.'),
    },
    ['image', 'command'],
    'What the jail runs.',
  );
}

function serviceSpec(): JsonSchema {
  return object(
    {
      selector: map(
        LABEL_KEY_RULE,
        str(LABEL_VALUE_RULE),
        'Jails whose labels hold all of these.',
        1,
      ),
      ports: list(
        object(
          {
            name: str(PORT_NAME_RULE, 'Port name.'),
            port: int(1, 65535, 'Port of the service.'),
            targetPort: int(1, 65535, 'Port in the jails; defaults to port.'),
            protocol: { enum: ['tcp', 'udp'], description: 'Default tcp.' },
            hostPort: int(1, 65535, "Publish on the node's external interface (pf rdr)."),
          },
          ['port'],
          'One port.',
        ),
        'Ports of the service.',
        MAX_ITEMS,
        1,
      ),
    },
    ['selector', 'ports'],
    'Which jails and ports.',
  );
}

function nodeSpec(): JsonSchema {
  return object(
    {
      capacity: object(
        {
          jails: int(0, 100000, 'Most jails the node runs.'),
          memory: str(SIZE_RULE, 'Memory the jails may use together.'),
        },
        [],
        'What the node can hold.',
      ),
    },
    [],
    "The node's capacity.",
  );
}

function fileSchema(): JsonSchema {
  return object(
    {
      path: str(ABSOLUTE_PATH_RULE, 'Absolute path inside the jail.'),
      source: str(SOURCE_PATH_RULE, 'Repository file, relative to the manifest folder.'),
      content: { type: 'string', maxLength: 65536, description: 'Inline content.' },
      mode: str(MODE_RULE, 'Octal mode as a string. Default "0644".'),
    },
    ['path'],
    'A file: exactly one of source and content.',
  );
}

function resourcesSchema(): JsonSchema {
  return object(
    {
      memory: str(SIZE_RULE, 'rctl memoryuse, e.g. `512M`.'),
      pcpu: str(PERCENT_RULE, 'rctl pcpu, percent of one CPU, e.g. `50%`.'),
      maxproc: int(1, 1000000, 'rctl maxproc.'),
      openfiles: int(1, 10000000, 'rctl openfiles.'),
      readbps: str(SIZE_RULE, 'rctl readbps, bytes per second, e.g. `10M`.'),
      writebps: str(SIZE_RULE, 'rctl writebps, bytes per second.'),
      cpuset: str(CPUSET_RULE, 'cpuset(1) CPU list, e.g. `0-1`.'),
    },
    [],
    'Resource limits (rctl, cpuset).',
  );
}

function healthSchema(): JsonSchema {
  return object(
    {
      tcp: object({ port: int(1, 65535, 'Port to connect to.') }, ['port'], 'TCP connect.'),
      http: object(
        {
          port: int(1, 65535, 'Port.'),
          path: str(HTTP_PATH_RULE, 'Path to GET. Default `/`.'),
          status: int(100, 599, 'Expected status. Default 200.'),
          bodyMatch: { ...str(TEXT_RULE), maxLength: 256, description: 'Text the body holds.' },
        },
        ['port'],
        'HTTP GET.',
      ),
      exec: object({ command: argvSchema() }, ['command'], 'Command run in the jail.'),
      interval: str(DURATION_RULE, 'Time between checks. Default `10s`.'),
      timeout: str(DURATION_RULE, 'Time a check may take. Default `5s`.'),
      retries: int(0, 100, 'Failures in a row before the jail is unhealthy. Default 3.'),
      startPeriod: str(DURATION_RULE, 'Grace time after start. Default `0s`.'),
    },
    [],
    'Health check: exactly one of tcp, http and exec.',
  );
}

function argvSchema(description = 'An argv array.'): JsonSchema {
  return list(str(ARGV_RULE), description, 256, 1);
}

function object(
  properties: Record<string, JsonSchema>,
  required: string[],
  description?: string,
): JsonSchema {
  return {
    type: 'object',
    ...(description === undefined ? {} : { description }),
    properties,
    ...(required.length === 0 ? {} : { required }),
    additionalProperties: false,
  };
}

function map(
  keyRule: ValueRule,
  value: JsonSchema,
  description: string,
  minProperties = 0,
): JsonSchema {
  return {
    type: 'object',
    description,
    propertyNames: { pattern: keyRule.pattern, maxLength: keyRule.maxLength },
    additionalProperties: value,
    ...(minProperties > 0 ? { minProperties } : {}),
    maxProperties: MAX_ITEMS,
  };
}

function list(
  items: JsonSchema,
  description: string,
  maxItems = MAX_ITEMS,
  minItems = 0,
): JsonSchema {
  return {
    type: 'array',
    description,
    items,
    ...(minItems > 0 ? { minItems } : {}),
    maxItems,
  };
}

function str(rule: ValueRule, description?: string): JsonSchema {
  return {
    type: 'string',
    ...(description === undefined ? {} : { description }),
    pattern: rule.pattern,
    maxLength: rule.maxLength,
  };
}

function int(minimum: number, maximum: number, description: string): JsonSchema {
  return { type: 'integer', description, minimum, maximum };
}

function bool(description: string): JsonSchema {
  return { type: 'boolean', description };
}
