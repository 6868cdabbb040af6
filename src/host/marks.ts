// SPDX-License-Identifier: BSD-2-Clause
// Stockade's ownership marks and records on the host: ZFS user property names, the encoding of
// the records the driver keeps on a dataset (values are capped at 8192 bytes, so long records
// are split over numbered properties), and interface descriptions.

/** Native ZFS properties observe reports when set locally (Stockade sets them with -o or set). */
export const NATIVE_PROPERTIES = [
  'quota',
  'refquota',
  'reservation',
  'refreservation',
  'compression',
  'recordsize',
  'atime',
  'exec',
  'setuid',
  'readonly',
];

/** Ownership mark: only a local value of `true` makes a dataset Stockade's. */
export const MARK_MANAGED = 'stockade:managed';
/** What the dataset is for (DatasetRole). */
export const MARK_ROLE = 'stockade:role';
/** A volume's reclaim policy. */
export const MARK_RECLAIM = 'stockade:reclaim';
/** The JID of the instance Stockade started, fencing teardown against newer instances. */
export const MARK_JID = 'stockade:jid';
/** Driver records: what tools cannot report back (jail spec, image definition). */
export const RECORD_JAIL = 'stockade:jail';
/** The image definition a built image dataset was made from. */
export const RECORD_IMAGE = 'stockade:build';

/** How many chunks a record may use; 8 x 8000 bytes is far above any sane spec. */
export const RECORD_CHUNKS = 8;
const CHUNK_CHARS = 8000;

/** User properties observe asks `zfs get` for. */
export function markProperties(): string[] {
  const chunked = [RECORD_JAIL, RECORD_IMAGE].flatMap((base) =>
    Array.from({ length: RECORD_CHUNKS }, (_, i) => (i === 0 ? base : `${base}.${i}`)),
  );
  return [
    MARK_MANAGED,
    MARK_ROLE,
    'stockade:image',
    'stockade:spec',
    'stockade:hash',
    MARK_RECLAIM,
    MARK_JID,
    ...chunked,
  ];
}

/**
 * True for marks the driver keeps for itself; they never appear in an observed `marks`. The
 * role is reported in DatasetNode.role instead.
 */
export function isDriverMark(name: string): boolean {
  return (
    name === MARK_ROLE ||
    name === MARK_JID ||
    isRecordChunk(name, RECORD_JAIL) ||
    isRecordChunk(name, RECORD_IMAGE)
  );
}

function isRecordChunk(name: string, base: string): boolean {
  return name === base || new RegExp(`^${base}\\.\\d+$`).test(name);
}

/**
 * Encodes `value` as JSON split into user properties `base`, `base.1`, ... The first chunk starts
 * with the chunk count and `|`, so chunks left over from a longer earlier record are ignored.
 * Non-ASCII characters are escaped so the 8192-byte limit can be counted in characters.
 */
export function encodeRecord(base: string, value: unknown): Record<string, string> {
  const json = JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const count = Math.max(1, Math.ceil((json.length + 2) / CHUNK_CHARS));
  if (count > RECORD_CHUNKS) {
    throw new Error(`record ${base} is ${json.length} bytes, above ${RECORD_CHUNKS * CHUNK_CHARS}`);
  }
  const text = `${count}|${json}`;
  const result: Record<string, string> = {};
  for (let i = 0; i < count; i += 1) {
    result[i === 0 ? base : `${base}.${i}`] = text.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  }
  return result;
}

/** Reads back a record from the marks of one dataset; undefined when absent or unreadable. */
export function decodeRecord<T>(marks: Record<string, string>, base: string): T | undefined {
  const first = marks[base];
  const header = first === undefined ? null : /^(\d)\|/.exec(first);
  if (header === null) {
    return undefined;
  }
  const count = Number(header[1]);
  let text = '';
  for (let i = 0; i < count; i += 1) {
    text += marks[i === 0 ? base : `${base}.${i}`] ?? '';
  }
  try {
    return JSON.parse(text.slice(header[0].length)) as T;
  } catch {
    // A record cut short by a crash between two `zfs set` calls reads as absent: the next
    // apply rewrites it whole.
    return undefined;
  }
}

/** Description prefix of a network's bridge or loopback. */
export const NETIF_PREFIX = 'stockade:net:';
/** Description prefix of a jail's epair ends. */
export const EPAIR_PREFIX = 'stockade:jail:';

/** True when an interface description is one of Stockade's marks. */
export function isOwnedDescription(description: string | undefined): boolean {
  return description !== undefined && description.startsWith('stockade:');
}
