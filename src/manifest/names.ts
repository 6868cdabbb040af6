// SPDX-License-Identifier: BSD-2-Clause
// What a name or value may look like before it reaches jail(8), zfs(8), pfctl(8), rctl(8) or
// ifconfig(8). Each rule is a pattern (used in the JSON Schemas, so editors check it too), a
// stable diagnostic code and an explanation that names the character or reason at fault.

/** One rule for a kind of string value. */
export interface ValueRule {
  /** Diagnostic code reported when a value breaks the rule. */
  code: string;
  /** Source of the regular expression, anchored, used verbatim in the schemas. */
  pattern: string;
  maxLength: number;
  /** What the value must look like, for the reference and for messages. */
  summary: string;
}

/**
 * Names of every kind (jails, networks, volumes, images, services, nodes). They become jail
 * names, ZFS dataset components, pf table and anchor names and parts of interface descriptions,
 * so the alphabet is the intersection of what all of them accept safely: lowercase letters,
 * digits and inner hyphens. No dot (jail(8) reads `a.b` as jail b inside jail a), no
 * underscore (not valid in host names), not all digits (read as a JID), at most 32 characters so
 * `<name>-<replica>` stays a short jail name and dataset component. Interface names and long pf
 * table names are derived by hashing in the compiler, so they need no room here.
 */
export const NAME_RULE: ValueRule = {
  code: 'NAME_INVALID',
  pattern: '^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$',
  maxLength: 32,
  summary:
    'lowercase letters, digits and hyphens, 1 to 32 characters, starting with a letter and ' +
    'not ending with a hyphen',
};

/** Label keys: optionally a DNS-like prefix and a slash, then a short name. */
export const LABEL_KEY_RULE: ValueRule = {
  code: 'LABEL_KEY_INVALID',
  pattern: '^([a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$',
  maxLength: 127,
  summary: 'an optional `prefix/` then letters, digits, `.`, `_` and `-`, at most 63 characters',
};

/** Label values: short tokens, since they end up in ZFS user properties and descriptions. */
export const LABEL_VALUE_RULE: ValueRule = {
  code: 'LABEL_VALUE_INVALID',
  pattern: '^[A-Za-z0-9._-]{0,63}$',
  maxLength: 63,
  summary: 'letters, digits, `.`, `_` and `-`, at most 63 characters',
};

/** Annotations are free text for people; only control characters are refused. */
export const TEXT_RULE: ValueRule = {
  code: 'TEXT_INVALID',
  pattern: '^[^\\u0000-\\u001f\\u007f]*$',
  maxLength: 1024,
  summary: 'any text without control characters (no newline, tab or NUL), at most 1024 characters',
};

/** RFC 1123 host names, given to jail(8) as host.hostname. */
export const HOSTNAME_RULE: ValueRule = {
  code: 'HOSTNAME_INVALID',
  pattern:
    '^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?' +
    '(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$',
  maxLength: 253,
  summary: 'dot-separated labels of letters, digits and inner hyphens (RFC 1123)',
};

/** Environment variable names, as sh(1) accepts them. */
export const ENV_NAME_RULE: ValueRule = {
  code: 'ENV_NAME_INVALID',
  pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$',
  maxLength: 128,
  summary: 'a letter or `_`, then letters, digits and `_`, at most 128 characters',
};

/**
 * Environment values. Spaces are allowed (they are common in option strings), but nothing a
 * config language or shell would read: quotes, backquote, `$`, backslash, braces, `;`, `|`,
 * `&`, `<`, `>` and control characters.
 */
export const ENV_VALUE_RULE: ValueRule = {
  code: 'ENV_VALUE_INVALID',
  pattern: '^[^\\u0000-\\u001f\\u007f"\'`$\\\\{};|&<>]*$',
  maxLength: 4096,
  summary:
    'text without control characters, quotes, backquotes, `$`, backslash, braces, `;`, `|`, ' +
    '`&`, `<` or `>`, at most 4096 characters',
};

/** jail(8) parameter names: dotted lowercase words, `allow.raw_sockets`. */
export const PARAMETER_NAME_RULE: ValueRule = {
  code: 'PARAMETER_NAME_INVALID',
  pattern: '^[a-z][a-z0-9_]{0,63}(\\.[a-z][a-z0-9_]{0,63}){0,4}$',
  maxLength: 128,
  summary: 'dot-separated lowercase words (letters, digits, `_`), e.g. `allow.raw_sockets`',
};

/** jail(8) parameter values given as strings: one token, no shell or jail.conf syntax. */
export const PARAMETER_VALUE_RULE: ValueRule = {
  code: 'PARAMETER_VALUE_INVALID',
  pattern: '^[A-Za-z0-9._:/@+,-]{0,256}$',
  maxLength: 256,
  summary: 'letters, digits and `. _ : / @ + , -`, no spaces, at most 256 characters',
};

/**
 * One argv element of a command. Commands are passed as argv arrays, so shell characters are
 * the command's own business, but a NUL or a line break cannot pass through exec.start or a
 * jail.conf line intact.
 */
export const ARGV_RULE: ValueRule = {
  code: 'ARGV_INVALID',
  pattern: '^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$',
  maxLength: 4096,
  summary: 'text without NUL, line breaks or other control characters (tab allowed)',
};

/** Absolute, normalised paths inside a jail; no spaces, since fstab lines split on them. */
export const ABSOLUTE_PATH_RULE: ValueRule = {
  code: 'PATH_INVALID',
  pattern: '^(/(?!\\.\\.?(/|$))[A-Za-z0-9._@+-]{1,255}){1,64}$',
  maxLength: 1024,
  summary:
    'an absolute path of components made of letters, digits and `. _ @ + -`, without `.`, ' +
    '`..`, empty components or a trailing slash',
};

/** Paths of repository files, relative to the manifest folder. */
export const SOURCE_PATH_RULE: ValueRule = {
  code: 'SOURCE_PATH_INVALID',
  pattern:
    '^(?!\\.\\.?(/|$))[A-Za-z0-9._@+-]{1,255}(/(?!\\.\\.?(/|$))[A-Za-z0-9._@+-]{1,255}){0,63}$',
  maxLength: 1024,
  summary:
    'a relative path inside the manifest folder, components made of letters, digits and ' +
    '`. _ @ + -`, without `.` or `..`',
};

/** Byte sizes for ZFS and rctl: a number and an optional binary unit. */
export const SIZE_RULE: ValueRule = {
  code: 'SIZE_INVALID',
  pattern: '^[0-9]{1,15}[KMGT]?$',
  maxLength: 16,
  summary: 'a whole number and an optional unit K, M, G or T (powers of 1024), e.g. `512M`',
};

/** rctl pcpu: percent of one CPU. */
export const PERCENT_RULE: ValueRule = {
  code: 'PERCENT_INVALID',
  pattern: '^[0-9]{1,3}%$',
  maxLength: 4,
  summary: 'a whole percentage of one CPU, 1 to 999, e.g. `50%`',
};

/** Durations for health checks and retention. */
export const DURATION_RULE: ValueRule = {
  code: 'DURATION_INVALID',
  pattern: '^[0-9]{1,9}(ms|s|m|h)$',
  maxLength: 11,
  summary: 'a whole number and a unit `ms`, `s`, `m` or `h`, e.g. `10s`',
};

/** File modes as octal strings. */
export const MODE_RULE: ValueRule = {
  code: 'MODE_INVALID',
  pattern: '^[0-7]{3,4}$',
  maxLength: 4,
  summary: 'three or four octal digits as a string, e.g. `"0644"`',
};

/** IPv4 or IPv6 address text; the CIDR module checks it exactly. */
export const ADDRESS_RULE: ValueRule = {
  code: 'ADDRESS_INVALID',
  pattern: '^[0-9A-Fa-f:.]{2,45}$',
  maxLength: 45,
  summary: 'an IPv4 or IPv6 address without prefix length or zone, e.g. `10.77.1.10`',
};

/** IPv4 or IPv6 prefix text; the CIDR module checks it exactly. */
export const CIDR_RULE: ValueRule = {
  code: 'CIDR_INVALID',
  pattern: '^[0-9A-Fa-f:.]{2,45}/[0-9]{1,3}$',
  maxLength: 49,
  summary: 'an IPv4 or IPv6 prefix, e.g. `10.77.1.0/24` or `fd00:77:1::/64`',
};

/** Release names: they select an archive in the node config and name a dataset. */
export const RELEASE_RULE: ValueRule = {
  code: 'RELEASE_INVALID',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  maxLength: 64,
  summary:
    'letters, digits, `.`, `_` and `-`, starting with a letter or digit, e.g. `14.3-RELEASE`',
};

/** pkg(8) package names or origins; never starting with `-`, so never read as an option. */
export const PACKAGE_RULE: ValueRule = {
  code: 'PACKAGE_INVALID',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._+@-]{0,127})?$',
  maxLength: 256,
  summary: 'a package name or `category/port` origin of letters, digits and `. _ + @ -`',
};

/** cpuset(1) lists. */
export const CPUSET_RULE: ValueRule = {
  code: 'CPUSET_INVALID',
  pattern: '^(all|[0-9]{1,4}(-[0-9]{1,4})?(,[0-9]{1,4}(-[0-9]{1,4})?){0,63})$',
  maxLength: 512,
  summary: 'CPU numbers and ranges separated by commas, e.g. `0-1` or `0,2`, or `all`',
};

/** Paths requested by the HTTP health check. */
export const HTTP_PATH_RULE: ValueRule = {
  code: 'HTTP_PATH_INVALID',
  pattern: '^/[A-Za-z0-9._~%/?=&+-]{0,1023}$',
  maxLength: 1024,
  summary: 'an absolute URL path with an optional query, no spaces or quotes',
};

/** Short names of service ports. */
export const PORT_NAME_RULE: ValueRule = {
  code: 'PORT_NAME_INVALID',
  pattern: '^[a-z]([a-z0-9-]{0,13}[a-z0-9])?$',
  maxLength: 15,
  summary: 'lowercase letters, digits and inner hyphens, at most 15 characters',
};

/** Values of native ZFS properties (`lz4`, `128K`, `off`). */
export const ZFS_VALUE_RULE: ValueRule = {
  code: 'PROPERTY_VALUE_INVALID',
  // Same alphabet as releases; the letter order differs only so each rule's pattern is unique.
  pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$',
  maxLength: 64,
  summary: 'letters, digits, `.`, `_` and `-`, e.g. `lz4` or `128K`',
};

/** Every rule, for lookups by pattern when mapping schema errors. */
export const VALUE_RULES: readonly ValueRule[] = [
  NAME_RULE,
  LABEL_KEY_RULE,
  LABEL_VALUE_RULE,
  TEXT_RULE,
  HOSTNAME_RULE,
  ENV_NAME_RULE,
  ENV_VALUE_RULE,
  PARAMETER_NAME_RULE,
  PARAMETER_VALUE_RULE,
  ARGV_RULE,
  ABSOLUTE_PATH_RULE,
  SOURCE_PATH_RULE,
  SIZE_RULE,
  PERCENT_RULE,
  DURATION_RULE,
  MODE_RULE,
  ADDRESS_RULE,
  CIDR_RULE,
  RELEASE_RULE,
  PACKAGE_RULE,
  CPUSET_RULE,
  HTTP_PATH_RULE,
  PORT_NAME_RULE,
  ZFS_VALUE_RULE,
];

/** The rule whose pattern is `pattern`, if any. */
export function findRuleByPattern(pattern: string): ValueRule | undefined {
  return VALUE_RULES.find((r) => r.pattern === pattern);
}

/**
 * jail(8) parameters a manifest may never set, whatever the node policy says: Stockade sets
 * them itself, or they run host commands (exec.*), or they mount host paths.
 */
export const RESERVED_PARAMETERS: readonly string[] = [
  'jid',
  'name',
  'path',
  'vnet',
  'vnet.interface',
  'host.hostname',
  'ip4.addr',
  'ip6.addr',
  'ip4',
  'ip6',
  'interface',
  'persist',
  'command',
  'depend',
  'mount',
  'mount.fstab',
  'mount.devfs',
  'mount.fdescfs',
  'mount.procfs',
  'ip_hostname',
  'children.max',
];

/** Environment names Stockade sets for a jail's command (STOCKADE_JAIL_IP, ...). */
export const RESERVED_ENV_PATTERN = '^STOCKADE_';

/** Pattern of the pseudo-parameters that run commands: exec.prestart, exec.start, ... */
export const EXEC_PARAMETER_PATTERN = '^exec(\\.|$)';

/** True when `name` is reserved, including every `exec.*` pseudo-parameter. */
export function isReservedParameter(name: string): boolean {
  return new RegExp(EXEC_PARAMETER_PATTERN).test(name) || RESERVED_PARAMETERS.includes(name);
}

/**
 * Why `value` breaks `rule`, naming the first offending character when there is one, or a
 * FreeBSD reason for names (a dot, all digits). Used for messages only.
 */
export function explainValue(rule: ValueRule, value: string): string {
  if (value.length > rule.maxLength) {
    return `is ${value.length} characters long; the limit is ${rule.maxLength}`;
  }
  if (rule === NAME_RULE) {
    const reason = explainName(value);
    if (reason !== undefined) {
      return reason;
    }
  }

  const bad = firstUnsafeCharacter(rule, value);
  const tail = `: must be ${rule.summary}`;
  if (bad !== undefined) {
    return `${describeCharacter(bad)} is not allowed${tail}`;
  }
  return `${quoteValue(value)} is not valid${tail}`;
}

/** A value quoted for a one-line message: JSON escapes, cut to 64 characters. */
export function quoteValue(value: string): string {
  const cut = value.length > 64 ? `${value.slice(0, 64)}...` : value;
  return JSON.stringify(cut);
}

/** Parses a size (`512M`) into bytes; undefined when it does not match SIZE_RULE. */
export function parseSize(text: string): bigint | undefined {
  const m = /^([0-9]{1,15})([KMGT]?)$/.exec(text);
  if (m === null) {
    return undefined;
  }
  const shift = { '': 0n, K: 10n, M: 20n, G: 30n, T: 40n }[m[2] as '' | 'K' | 'M' | 'G' | 'T'];
  return BigInt(m[1] as string) << shift;
}

/** Parses a percentage (`50%`) into a number; undefined when it does not match PERCENT_RULE. */
export function parsePercent(text: string): number | undefined {
  return /^[0-9]{1,3}%$/.test(text) ? Number(text.slice(0, -1)) : undefined;
}

function explainName(value: string): string | undefined {
  if (value.includes('/')) {
    return `${quoteValue(value)} contains a slash; zfs(8) would read it as a path of datasets`;
  }
  if (value.includes('.')) {
    return `${quoteValue(value)} contains a dot; jail(8) would read it as a jail inside another`;
  }
  if (/^[0-9]+$/.test(value)) {
    return `${quoteValue(value)} is all digits; jail(8), jls(8) and jexec(8) would read it as a JID`;
  }
  if (/[A-Z]/.test(value) && /^[A-Za-z0-9-]+$/.test(value)) {
    return `${quoteValue(value)} has uppercase letters; names are lowercase`;
  }
  if (value.startsWith('-') || /^[0-9]/.test(value)) {
    return `${quoteValue(value)} must start with a lowercase letter`;
  }
  if (value.endsWith('-')) {
    return `${quoteValue(value)} must not end with a hyphen`;
  }
  if (value === '') {
    return 'is empty';
  }
  return undefined;
}

// The characters a rule's alphabet admits, to find the first one that is not.
function firstUnsafeCharacter(rule: ValueRule, value: string): string | undefined {
  const alphabet = ALPHABETS.get(rule);
  if (alphabet === undefined) {
    return undefined;
  }
  return Array.from(value).find((ch) => !alphabet.test(ch));
}

/* eslint-disable no-control-regex -- these alphabets name control characters to refuse them */
const ALPHABETS = new Map<ValueRule, RegExp>([
  [NAME_RULE, /^[a-z0-9-]$/],
  [LABEL_KEY_RULE, /^[A-Za-z0-9./_-]$/],
  [LABEL_VALUE_RULE, /^[A-Za-z0-9._-]$/],
  [TEXT_RULE, /^[^\u0000-\u001f\u007f]$/],
  [HOSTNAME_RULE, /^[A-Za-z0-9.-]$/],
  [ENV_NAME_RULE, /^[A-Za-z0-9_]$/],
  [ENV_VALUE_RULE, /^[^\u0000-\u001f\u007f"'`$\\{};|&<>]$/],
  [PARAMETER_NAME_RULE, /^[a-z0-9_.]$/],
  [PARAMETER_VALUE_RULE, /^[A-Za-z0-9._:/@+,-]$/],
  [ARGV_RULE, /^[^\u0000-\u0008\u000a-\u001f\u007f]$/],
  [ABSOLUTE_PATH_RULE, /^[A-Za-z0-9._@+/-]$/],
  [SOURCE_PATH_RULE, /^[A-Za-z0-9._@+/-]$/],
  [RELEASE_RULE, /^[A-Za-z0-9._-]$/],
  [PACKAGE_RULE, /^[A-Za-z0-9._+@/-]$/],
  [HTTP_PATH_RULE, /^[A-Za-z0-9._~%/?=&+-]$/],
  [PORT_NAME_RULE, /^[a-z0-9-]$/],
  [ZFS_VALUE_RULE, /^[A-Za-z0-9._-]$/],
  [SIZE_RULE, /^[0-9KMGT]$/],
  [PERCENT_RULE, /^[0-9%]$/],
  [DURATION_RULE, /^[0-9msh]$/],
  [MODE_RULE, /^[0-7]$/],
  [ADDRESS_RULE, /^[0-9A-Fa-f:.]$/],
  [CIDR_RULE, /^[0-9A-Fa-f:./]$/],
]);
/* eslint-enable no-control-regex */

function describeCharacter(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp < 0x20 || cp === 0x7f) {
    const names: Record<number, string> = {
      0: 'NUL',
      9: 'tab',
      10: 'line feed',
      13: 'carriage return',
    };
    return `control character ${names[cp] ?? hex} (${hex})`;
  }
  if (ch === ' ') {
    return `a space (${hex})`;
  }
  return `character ${JSON.stringify(ch)} (${hex})`;
}
