// SPDX-License-Identifier: BSD-2-Clause
// jail.conf(5) for the simulated jail(8): the lexer (quotes, escapes, comments, adjacent
// pieces), blocks, wildcard defaults, `=`/`+=`, `.include` and `$variable` expansion, as
// REFERENCE.md section 2 describes them.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A piece of a value: literal text, or a `$var`/`${var}` reference to expand per jail. */
interface Piece {
  text: string;
  variable: boolean;
}

/** One `name`, `name = a, b` or `name += a` statement. */
interface Assign {
  name: string;
  values: Piece[][] | null;
  append: boolean;
}

/** Statements in file order, each with the block it belongs to (`*` = every jail). */
export interface JailConf {
  statements: { block: string; assign: Assign }[];
  jails: string[];
}

/** A configuration error, already formatted after `jail: `. */
export class ConfError extends Error {}

/** Reads and parses a jail.conf file (and what it includes). */
export function loadJailConf(file: string): JailConf {
  const conf: JailConf = { statements: [], jails: [] };
  parseFile(file, conf, 0);
  return conf;
}

/**
 * The effective parameters of one jail: wildcard statements before its block are defaults,
 * after it they win; `=` replaces and `+=` appends. Values come back expanded.
 */
export function resolveJail(conf: JailConf, name: string): [string, string[] | null][] {
  const order: string[] = [];
  const values = new Map<string, Piece[][] | null>();
  const vars = new Map<string, Piece[][]>();
  const implied = /^\d+$/.test(name) ? 'jid' : 'name';
  values.set(implied, [[{ text: name, variable: false }]]);
  order.push(implied);
  for (const { block, assign } of conf.statements) {
    if (block !== '*' && block !== name) continue;
    if (assign.name.startsWith('$')) {
      vars.set(assign.name.slice(1), assign.values ?? []);
      continue;
    }
    if (!order.includes(assign.name)) order.push(assign.name);
    const old = values.get(assign.name);
    if (assign.append && old) {
      values.set(assign.name, [...old, ...(assign.values ?? [])]);
    } else {
      values.set(assign.name, assign.values);
    }
  }
  const expand = (param: string, v: Piece[], depth: number): string =>
    v
      .map((p) => {
        if (!p.variable) return p.text;
        if (depth > 10) throw new ConfError(`${name}: ${param}: variable loop`);
        const src = vars.get(p.text) ?? values.get(p.text);
        if (src === undefined || src === null) {
          throw new ConfError(`${name}: ${param}: variable "${p.text}" not found`);
        }
        if (src.length > 1) {
          throw new ConfError(`${name}: ${param}: array cannot be substituted inline`);
        }
        return expand(param, src[0] ?? [], depth + 1);
      })
      .join('');
  return order.map((p) => {
    const v = values.get(p);
    return [p, v === null || v === undefined ? null : v.map((x) => expand(p, x, 0))];
  });
}

function parseFile(file: string, conf: JailConf, depth: number): void {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch {
    throw new ConfError(`${file}: No such file or directory`);
  }
  const toks = lex(text, file);
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  const syntax = (t: Tok | undefined): never => {
    if (t === undefined) throw new ConfError(`${file}: unexpected EOF`);
    throw new ConfError(`${file} line ${t.line}: ${t.raw}: syntax error`);
  };
  const statement = (block: string): void => {
    const nameTok = toks[i];
    if (nameTok === undefined || nameTok.kind !== 'str') syntax(nameTok);
    const name = (nameTok as Tok).pieces.map((p) => (p.variable ? `$${p.text}` : p.text)).join('');
    i += 1;
    let values: Piece[][] | null = null;
    let append = false;
    const op = peek();
    if (op?.kind === '=' || op?.kind === '+=') {
      append = op.kind === '+=';
      i += 1;
      values = [];
      for (;;) {
        const v = peek();
        if (v?.kind !== 'str') syntax(v);
        values.push((v as Tok).pieces);
        i += 1;
        if (peek()?.kind !== ',') break;
        i += 1;
      }
    } else if (op?.kind === 'str') {
      // `name value;` is accepted as `name = value;`.
      values = [op.pieces];
      i += 1;
    }
    if (peek()?.kind !== ';') syntax(peek());
    i += 1;
    conf.statements.push({ block, assign: { name, values, append } });
  };
  while (i < toks.length) {
    const t = toks[i] as Tok;
    if (t.kind === ';') {
      i += 1;
      continue;
    }
    if (t.kind !== 'str') syntax(t);
    const word = t.pieces.map((p) => p.text).join('');
    if (word === '.include') {
      const target = toks[i + 1];
      if (target?.kind !== 'str' || toks[i + 2]?.kind !== ';') syntax(target);
      i += 3;
      if (depth < 8) {
        for (const f of globFiles((target as Tok).pieces.map((p) => p.text).join(''))) {
          parseFile(f, conf, depth + 1);
        }
      }
      continue;
    }
    if (toks[i + 1]?.kind === '{') {
      i += 2;
      if (word !== '*' && !conf.jails.includes(word)) conf.jails.push(word);
      while (peek()?.kind !== '}') {
        if (peek() === undefined) syntax(undefined);
        if (peek()?.kind === ';') {
          i += 1;
          continue;
        }
        statement(word);
      }
      i += 1;
      continue;
    }
    statement('*');
  }
}

interface Tok {
  kind: 'str' | '{' | '}' | ';' | ',' | '=' | '+=';
  pieces: Piece[];
  raw: string;
  line: number;
}

const SIMPLE_ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

function lex(text: string, file: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  const push = (kind: Tok['kind'], raw: string): void => {
    toks.push({ kind, pieces: [], raw, line });
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') {
      line += 1;
      i += 1;
      continue;
    }
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '#' || text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i += 1;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new ConfError(`${file} line ${line}: unterminated comment`);
      line += text.slice(i, end).split('\n').length - 1;
      i = end + 2;
      continue;
    }
    if (text.startsWith('+=', i)) {
      push('+=', '+=');
      i += 2;
      continue;
    }
    if ('{};,='.includes(c)) {
      push(c as Tok['kind'], c);
      i += 1;
      continue;
    }
    // A string: adjacent quoted and bare pieces form one token.
    const startLine = line;
    const pieces: Piece[] = [];
    const literal = (s: string): void => {
      const last = pieces[pieces.length - 1];
      if (last !== undefined && !last.variable) last.text += s;
      else pieces.push({ text: s, variable: false });
    };
    const start = i;
    while (i < text.length) {
      const ch = text[i] as string;
      if (
        /\s/.test(ch) ||
        '{};,=#'.includes(ch) ||
        text.startsWith('+=', i) ||
        text.startsWith('//', i) ||
        text.startsWith('/*', i)
      )
        break;
      if (ch === '"' || ch === "'") {
        const quote = ch;
        i += 1;
        for (;;) {
          if (i >= text.length)
            throw new ConfError(`${file} line ${startLine}: unterminated string`);
          const q = text[i] as string;
          if (q === quote) {
            i += 1;
            break;
          }
          if (q === '\\') {
            i = escape(text, i, literal, () => {
              line += 1;
            });
            continue;
          }
          if (q === '$' && quote === '"') {
            i = variable(text, i, pieces, file, line);
            continue;
          }
          if (q === '\n') line += 1;
          literal(q);
          i += 1;
        }
        continue;
      }
      if (ch === '\\') {
        i = escape(text, i, literal, () => {
          line += 1;
        });
        continue;
      }
      if (ch === '$') {
        i = variable(text, i, pieces, file, line);
        continue;
      }
      literal(ch);
      i += 1;
    }
    toks.push({ kind: 'str', pieces, raw: text.slice(start, i), line: startLine });
  }
  return toks;
}

function escape(
  text: string,
  i: number,
  literal: (s: string) => void,
  newline: () => void,
): number {
  const n = text[i + 1];
  if (n === undefined) return i + 1;
  if (n === '\n') {
    newline();
    return i + 2;
  }
  const simple = SIMPLE_ESCAPES[n];
  if (simple !== undefined) {
    literal(simple);
    return i + 2;
  }
  const oct = /^[0-7]{1,3}/.exec(text.slice(i + 1));
  if (oct !== null) {
    literal(String.fromCharCode(parseInt(oct[0], 8)));
    return i + 1 + oct[0].length;
  }
  const hex = /^x([0-9a-fA-F]{1,2})/.exec(text.slice(i + 1));
  if (hex !== null) {
    literal(String.fromCharCode(parseInt(hex[1] as string, 16)));
    return i + 1 + hex[0].length;
  }
  literal(n);
  return i + 2;
}

function variable(text: string, i: number, pieces: Piece[], file: string, line: number): number {
  if (text[i + 1] === '{') {
    const end = text.indexOf('}', i + 2);
    const name = end < 0 ? '' : text.slice(i + 2, end);
    if (end < 0 || name.includes('\n'))
      throw new ConfError(`${file} line ${line}: unterminated variable`);
    pieces.push({ text: name, variable: true });
    return end + 1;
  }
  const m = /^[A-Za-z_][A-Za-z_0-9]*/.exec(text.slice(i + 1));
  if (m === null) {
    const last = pieces[pieces.length - 1];
    if (last !== undefined && !last.variable) last.text += '$';
    else pieces.push({ text: '$', variable: false });
    return i + 1;
  }
  pieces.push({ text: m[0], variable: true });
  return i + 1 + m[0].length;
}

/** Expands a `*` glob in the last path component (enough for `.include "dir/*.conf"`). */
function globFiles(pattern: string): string[] {
  if (!pattern.includes('*') && !pattern.includes('[')) {
    return existsSync(pattern) ? [pattern] : [];
  }
  const dir = dirname(pattern);
  const re = new RegExp(
    `^${basename(pattern)
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => re.test(e))
    .sort()
    .map((e) => join(dir, e));
}
