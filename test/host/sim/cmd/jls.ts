// SPDX-License-Identifier: BSD-2-Clause
// jls(8) of the simulated host: the default table, -N, -v, -n/-q/-s parameter listings,
// selected parameters with -h, and --libxo json in the byte layout of libxo 1.7.5.

import type { Io } from '../state/io.js';
import { findJail, getParam, KERNEL_PARAMS, notFoundText } from '../state/jails.js';
import { readState } from '../state/store.js';
import type { ParamValue, SimJail, SimState } from '../state/types.js';

const USAGE = 'usage: jls [-dhNnqv] [-j jail] [param ...]\n';
const XO_VERSION = '2';

interface Flags {
  dying: boolean;
  header: boolean;
  byName: boolean;
  nameValue: boolean;
  quote: boolean;
  settable: boolean;
  verbose: boolean;
  jail: string | null;
  json: boolean;
  pretty: boolean;
}

/** Runs `jls argv`. */
export function runJls(argv: string[], io: Io): number {
  const f: Flags = {
    dying: false,
    header: false,
    byName: false,
    nameValue: false,
    quote: false,
    settable: false,
    verbose: false,
    jail: null,
    json: false,
    pretty: false,
  };
  const params: string[] = [];
  let i = 0;
  for (; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--libxo' || a.startsWith('--libxo=') || a.startsWith('--libxo:')) {
      const spec = a === '--libxo' ? (argv[++i] ?? '') : a.slice(8);
      const words = spec.split(',');
      f.json = words.includes('json');
      f.pretty = words.includes('pretty');
      continue;
    }
    if (a === '--') {
      i += 1;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (let k = 1; k < a.length; k += 1) {
      const c = a[k] as string;
      switch (c) {
        case 'a':
        case 'd':
          f.dying = true;
          break;
        case 'h':
          f.header = true;
          break;
        case 'N':
          f.byName = true;
          break;
        case 'n':
          f.nameValue = true;
          break;
        case 'q':
          f.quote = true;
          break;
        case 's':
          f.settable = true;
          f.nameValue = true;
          f.quote = true;
          break;
        case 'v':
          f.verbose = true;
          break;
        case 'j': {
          const v = a.slice(k + 1) || argv[++i];
          if (v === undefined) {
            io.err(`jls: option requires an argument -- j\n${USAGE}`);
            return 1;
          }
          f.jail = v;
          k = a.length;
          break;
        }
        default:
          io.err(`jls: illegal option -- ${c}\n${USAGE}`);
          return 1;
      }
    }
  }
  params.push(...argv.slice(i));
  const state = readState();
  let jails = [...state.jails].sort((a, b) => a.jid - b.jid);
  if (f.jail !== null) {
    const j = findJail(state, f.jail);
    if (j === undefined) {
      io.err(`jls: ${notFoundText(f.jail)}\n`);
      return 1;
    }
    jails = [j];
  }
  for (const p of params) {
    if (p !== 'all' && KERNEL_PARAMS[p] === undefined) {
      io.err(`jls: unknown parameter: ${p}\n`);
      return 1;
    }
  }
  if (params.length > 0 || f.nameValue || f.header) {
    let names = params.length === 0 || params.includes('all') ? allParams() : params;
    if (f.settable) {
      names = names.filter((n) => !KERNEL_PARAMS[n]?.readOnly && n !== 'jid');
    }
    if (f.json) {
      io.out(
        jsonDoc(
          jails.map((j) => paramFields(state, j, names)),
          f.pretty,
        ),
      );
      return 0;
    }
    if (f.header && !f.nameValue) io.out(`${names.join(' ')}\n`);
    for (const j of jails) {
      io.out(`${names.map((n) => paramText(state, j, n, f)).join(' ')}\n`);
    }
    return 0;
  }
  if (f.verbose) {
    if (f.json) {
      io.out(
        jsonDoc(
          jails.map((j) => verboseFields(state, j)),
          f.pretty,
        ),
      );
      return 0;
    }
    io.out('   JID  Hostname                      Path\n');
    io.out('        Name                          State\n');
    io.out('        CPUSetID\n');
    io.out('        IP Address(es)\n');
    for (const j of jails) {
      io.out(
        `${String(j.jid).padStart(6)}  ${col(hostname(state, j), 29)} ${j.path.slice(0, 74)}\n`,
      );
      io.out(`        ${col(j.name, 29)} ACTIVE\n`);
      io.out(`        ${j.cpusetId}\n`);
      for (const a of [...list(state, j, 'ip4.addr'), ...list(state, j, 'ip6.addr')]) {
        io.out(`        ${a}\n`);
      }
    }
    return 0;
  }
  if (f.json) {
    const rows = jails.map((j): Field[] => [
      f.byName ? ['name', { s: j.name }] : ['jid', { n: j.jid }],
      ['ipv4', { s: list(state, j, 'ip4.addr')[0] ?? '' }],
      ['hostname', { s: hostname(state, j) }],
      ['path', { s: j.path }],
    ]);
    io.out(jsonDoc(rows, f.pretty));
    return 0;
  }
  io.out(
    f.byName
      ? ' JID             IP Address      Hostname                      Path\n'
      : '   JID  IP Address      Hostname                      Path\n',
  );
  for (const j of jails) {
    const ip = col(list(state, j, 'ip4.addr')[0] ?? '', 15);
    const first = f.byName ? ` ${col(j.name, 15)}` : `${String(j.jid).padStart(6)} `;
    io.out(`${first} ${ip} ${col(hostname(state, j), 29)} ${j.path.slice(0, 74)}\n`);
  }
  return 0;
}

/** A JSON field: a string, a number, a boolean or a list of strings. */
type Field = [string, { s: string } | { n: number } | { b: boolean } | { l: string[] }];

function allParams(): string[] {
  const names = Object.keys(KERNEL_PARAMS);
  const undotted = names.filter((n) => !n.includes('.')).sort();
  const dotted = names.filter((n) => n.includes('.')).sort();
  return [...undotted, ...dotted];
}

function col(text: string, width: number): string {
  return text.slice(0, width).padEnd(width);
}

function hostname(state: SimState, j: SimJail): string {
  return String(getParam(state, j, 'host.hostname'));
}

function list(state: SimState, j: SimJail, name: string): string[] {
  const v = getParam(state, j, name);
  return Array.isArray(v) ? v : [];
}

function quoted(v: string, quote: boolean): string {
  if (v === '') return '""';
  if (!quote) return v;
  if (v.includes("'")) return `"${v}"`;
  if (v.includes('"')) return `'${v}'`;
  if (/[ \t]/.test(v)) return `"${v}"`;
  return v;
}

function paramText(state: SimState, j: SimJail, name: string, f: Flags): string {
  const v: ParamValue = getParam(state, j, name);
  if (typeof v === 'boolean') {
    if (!f.nameValue) return v ? 'true' : 'false';
    if (v) return name;
    const dot = name.lastIndexOf('.');
    return `${name.slice(0, dot + 1)}no${name.slice(dot + 1)}`;
  }
  if (Array.isArray(v)) {
    const text = v.join(',');
    if (!f.nameValue) return text === '' ? '-' : text;
    return `${name}=${text === '' ? (f.quote ? '""' : '') : text}`;
  }
  const text = quoted(v, f.quote);
  return f.nameValue ? `${name}=${text}` : text;
}

function paramFields(state: SimState, j: SimJail, names: string[]): Field[] {
  return names.map((n): Field => {
    const v = getParam(state, j, n);
    if (typeof v === 'boolean') return [n, { b: v }];
    if (Array.isArray(v)) return [n, { l: v }];
    return [n, { s: v }];
  });
}

function verboseFields(state: SimState, j: SimJail): Field[] {
  return [
    ['jid', { n: j.jid }],
    ['hostname', { s: hostname(state, j) }],
    ['path', { s: j.path }],
    ['name', { s: j.name }],
    ['state', { s: 'ACTIVE' }],
    ['cpusetid', { n: j.cpusetId }],
    ['ipv4_addrs', { l: list(state, j, 'ip4.addr') }],
    ['ipv6_addrs', { l: list(state, j, 'ip6.addr') }],
  ];
}

function jstr(s: string): string {
  return JSON.stringify(s);
}

/**
 * libxo's JSON: fields inside an instance joined by `,` with no space, except that an opened
 * list is preceded by `, ` and written as `"name": [..]`; instances joined by `, `.
 */
function jsonDoc(rows: Field[][], pretty: boolean): string {
  if (pretty) {
    return prettyDoc(rows);
  }
  const items = rows.map((fields) => {
    let text = '{';
    fields.forEach(([k, v], idx) => {
      if ('l' in v) {
        text += `${idx > 0 ? ', ' : ''}${jstr(k)}: [${v.l.map(jstr).join(',')}]`;
        return;
      }
      const value = 's' in v ? jstr(v.s) : 'n' in v ? String(v.n) : String(v.b);
      text += `${idx > 0 ? ',' : ''}${jstr(k)}:${value}`;
    });
    return `${text}}`;
  });
  return `{"__version": "${XO_VERSION}", "jail-information": {"jail": [${items.join(', ')}]}}\n`;
}

function prettyDoc(rows: Field[][]): string {
  const ind = (n: number): string => ' '.repeat(n);
  const items = rows.map((fields) => {
    const lines = fields.map(([k, v]) => {
      if ('l' in v) {
        if (v.l.length === 0) return `${ind(8)}${jstr(k)}: [\n${ind(8)}]`;
        return `${ind(8)}${jstr(k)}: [\n${v.l.map((x) => `${ind(10)}${jstr(x)}`).join(',\n')}\n${ind(8)}]`;
      }
      const value = 's' in v ? jstr(v.s) : 'n' in v ? String(v.n) : String(v.b);
      return `${ind(8)}${jstr(k)}: ${value}`;
    });
    return `${ind(6)}{\n${lines.join(',\n')}\n${ind(6)}}`;
  });
  const body = items.length > 0 ? `\n${items.join(',\n')}\n${ind(4)}]` : `\n${ind(4)}]`;
  return `{\n  "__version": "${XO_VERSION}", \n  "jail-information": {\n    "jail": [${body}\n  }\n}\n`;
}
