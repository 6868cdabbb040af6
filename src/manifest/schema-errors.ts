// SPDX-License-Identifier: BSD-2-Clause
// Turns Ajv's errors into diagnostics: one stable code per kind of failure, the position of
// the offending key or value, and a message that names the field and what it must be.

import type { ErrorObject } from 'ajv';

import type { Diagnostic } from './diagnostic.js';
import { explainValue, findRuleByPattern, quoteValue } from './names.js';
import { nodeDiag, type ParsedDocument } from './parse-yaml.js';

/** Codes of the schema failures that are not a value rule's own code. */
export const SCHEMA_CODES = {
  unknownField: 'FIELD_UNKNOWN',
  required: 'FIELD_REQUIRED',
  type: 'TYPE_MISMATCH',
  enum: 'VALUE_NOT_ALLOWED',
  tooLong: 'VALUE_TOO_LONG',
  tooShort: 'VALUE_TOO_SHORT',
  range: 'VALUE_OUT_OF_RANGE',
  other: 'SCHEMA_INVALID',
} as const;

/** Most schema errors reported for one document; each needs a walk of the YAML tree. */
export const MAX_ERRORS_PER_DOCUMENT = 100;

/** Longest value still reported under its rule's code rather than as VALUE_TOO_LONG. */
const TYPO_LENGTH = 256;

/**
 * Diagnostics for the errors Ajv reported on `value`, the plain data of `parsed`. When a value
 * is too long, its other failures (a pattern it cannot match anyway) are left out.
 */
export function mapSchemaErrors(
  parsed: ParsedDocument,
  value: unknown,
  errors: readonly ErrorObject[],
): Diagnostic[] {
  // A value both too long and off its pattern gets one diagnostic: the rule's own code when
  // the value is short enough to be a typo, VALUE_TOO_LONG when it is plainly oversized.
  const keyOf = (e: ErrorObject): string =>
    e.instancePath + (e.propertyName === undefined ? '' : `\0${e.propertyName}`);
  const patterned = new Set(errors.filter((e) => e.keyword === 'pattern').map(keyOf));
  const oversized = new Set<string>();
  const drop = new Set<ErrorObject>();
  for (const e of errors) {
    if (!isLengthKeyword(e.keyword)) {
      continue;
    }
    const v = e.propertyName ?? valueAt(value, pointerToSegments(e.instancePath, value));
    if (typeof v === 'string' && v.length <= TYPO_LENGTH && patterned.has(keyOf(e))) {
      drop.add(e);
    } else {
      oversized.add(keyOf(e));
    }
  }

  const kept = errors.filter((e) => {
    const shadowed = oversized.has(keyOf(e)) && !isLengthKeyword(e.keyword);
    return e.keyword !== 'propertyNames' && !drop.has(e) && !shadowed;
  });
  const out = kept.slice(0, MAX_ERRORS_PER_DOCUMENT).map((e) => mapOne(parsed, value, e));
  if (kept.length > MAX_ERRORS_PER_DOCUMENT) {
    const more = kept.length - MAX_ERRORS_PER_DOCUMENT;
    out.push(
      nodeDiag(
        parsed,
        [],
        'DIAGNOSTICS_TRUNCATED',
        `${more} more errors in this document not shown`,
      ),
    );
  }
  return out;
}

function isLengthKeyword(keyword: string): boolean {
  return keyword === 'maxLength' || keyword === 'maxItems' || keyword === 'maxProperties';
}

function mapOne(parsed: ParsedDocument, root: unknown, e: ErrorObject): Diagnostic {
  const segments = pointerToSegments(e.instancePath, root);
  const params = e.params as Record<string, unknown>;

  // Errors about a map key (propertyNames) point at the key itself.
  if (e.propertyName !== undefined) {
    const keyPath = [...segments, e.propertyName];
    return nodeDiag(parsed, keyPath, ...keyMessage(e, e.propertyName), { target: 'key' });
  }

  switch (e.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = knownFields(e);
      const hint = suggest(name, known);
      const message =
        `unknown field ${quoteValue(name)}` +
        (hint === undefined ? '' : `; did you mean '${hint}'?`);
      return nodeDiag(parsed, [...segments, name], SCHEMA_CODES.unknownField, message, {
        target: 'key',
      });
    }
    case 'required': {
      const name = String(params.missingProperty);
      const diag = nodeDiag(
        parsed,
        segments,
        SCHEMA_CODES.required,
        `field '${name}' is required`,
        {
          target: 'key',
        },
      );
      return { ...diag, path: joinPath(diag.path, name) };
    }
    case 'type':
      return nodeDiag(
        parsed,
        segments,
        SCHEMA_CODES.type,
        `must be ${article(String(params.type))}, not ${describeType(valueAt(root, segments))}`,
      );
    case 'const':
      return nodeDiag(
        parsed,
        segments,
        segments.length === 1 && segments[0] === 'apiVersion'
          ? 'API_VERSION_UNSUPPORTED'
          : SCHEMA_CODES.enum,
        `must be ${quoteValue(String(params.allowedValue))}`,
      );
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(', ');
      return nodeDiag(parsed, segments, SCHEMA_CODES.enum, `must be one of ${allowed}`);
    }
    case 'pattern': {
      const rule = findRuleByPattern(String(params.pattern));
      const v = String(valueAt(root, segments));
      if (rule === undefined) {
        return nodeDiag(parsed, segments, SCHEMA_CODES.other, `${quoteValue(v)} is not valid`);
      }
      return nodeDiag(parsed, segments, rule.code, explainValue(rule, v));
    }
    case 'maxLength':
    case 'maxItems':
    case 'maxProperties':
      return nodeDiag(parsed, segments, SCHEMA_CODES.tooLong, lengthMessage(e, root, segments));
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return nodeDiag(parsed, segments, SCHEMA_CODES.tooShort, lengthMessage(e, root, segments));
    case 'minimum':
    case 'maximum':
      return nodeDiag(
        parsed,
        segments,
        SCHEMA_CODES.range,
        `${String(valueAt(root, segments))} must be ${String(params.comparison)} ${String(params.limit)}`,
      );
    default:
      return nodeDiag(parsed, segments, SCHEMA_CODES.other, e.message ?? 'is not valid');
  }
}

function keyMessage(e: ErrorObject, key: string): [string, string] {
  const params = e.params as Record<string, unknown>;
  // `not` on keys marks names manifests may never set: STOCKADE_* variables, and the jail
  // parameters Stockade sets itself.
  if (e.keyword === 'not' && e.schemaPath.includes('/env/')) {
    return [
      'ENV_NAME_RESERVED',
      `variable '${key}' is set by Stockade; names starting with STOCKADE_ are reserved`,
    ];
  }
  if (e.keyword === 'not') {
    return [
      'PARAMETER_RESERVED',
      `jail parameter '${key}' is set by Stockade itself or runs host commands; manifests may ` +
        'not set it',
    ];
  }
  if (e.keyword === 'maxLength') {
    return [
      SCHEMA_CODES.tooLong,
      `key is ${key.length} characters long; the limit is ${String(params.limit)}`,
    ];
  }
  const rule = e.keyword === 'pattern' ? findRuleByPattern(String(params.pattern)) : undefined;
  if (rule === undefined) {
    return [SCHEMA_CODES.other, `key ${quoteValue(key)} is not valid`];
  }
  return [rule.code, `key ${explainValue(rule, key)}`];
}

function lengthMessage(e: ErrorObject, root: unknown, segments: (string | number)[]): string {
  const params = e.params as Record<string, unknown>;
  const v = valueAt(root, segments);
  const limit = String(params.limit);
  if (typeof v === 'string') {
    const bound = e.keyword === 'maxLength' ? 'the limit is' : 'the least is';
    return `is ${v.length} characters long; ${bound} ${limit}`;
  }
  const n = Array.isArray(v) ? v.length : Object.keys(v ?? {}).length;
  const what = Array.isArray(v) ? 'items' : 'entries';
  return e.keyword.startsWith('max')
    ? `has ${n} ${what}; the limit is ${limit}`
    : `has ${n} ${what}; at least ${limit} needed`;
}

function knownFields(e: ErrorObject): string[] {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  return props === undefined ? [] : Object.keys(props);
}

// A close known field name for a typo: edit distance at most 2, or a case-only difference.
function suggest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = k.toLowerCase() === name.toLowerCase() ? 0 : distance(name, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2 || a.length > 64) {
    return 99;
  }
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 99;
}

/** Splits a JSON pointer into keys and list indices, using the data to tell them apart. */
export function pointerToSegments(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') {
    return [];
  }

  const out: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      out.push(Number(key));
      node = node[Number(key)];
    } else {
      out.push(key);
      node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    }
  }
  return out;
}

function valueAt(root: unknown, segments: readonly (string | number)[]): unknown {
  let node = root;
  for (const s of segments) {
    if (Array.isArray(node) && typeof s === 'number') {
      node = node[s];
    } else if (isRecord(node) && Object.hasOwn(node, s)) {
      node = node[String(s)];
    } else {
      return undefined;
    }
  }
  return node;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function joinPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
  };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

function describeType(v: unknown): string {
  if (v === null || v === undefined) {
    return 'empty';
  }
  if (Array.isArray(v)) {
    return 'a list';
  }
  if (typeof v === 'object') {
    return 'a mapping';
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? `the number ${v}` : `the number ${v}`;
  }
  if (typeof v === 'boolean') {
    return `${v}`;
  }
  return `the string ${quoteValue(String(v))}`;
}
