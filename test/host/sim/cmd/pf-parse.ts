// SPDX-License-Identifier: BSD-2-Clause
// The pf.conf parser of the simulated pfctl: the legacy 14.x subset a jail controller needs
// (macros, tables, nat, rdr, pass, block, anchors, a few set options), producing rules in the
// normalised text that `pfctl -s rules` / `-s nat` print. Anything else is a syntax error.

/** A parsed ruleset in printed form. */
export interface ParsedRuleset {
  rules: string[];
  nat: string[];
  anchorRefs: string[];
  tables: Record<string, string[]>;
}

/** One error line (`FILE:LINE: message`). */
export interface ParseFailure {
  lines: string[];
}

/** FreeBSD /etc/services names for the ports pfctl prints by name (tcp and udp alike). */
const SERVICES: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  kerberos: 88,
  pop3: 110,
  sunrpc: 111,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submission: 587,
  ldaps: 636,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
  postgresql: 5432,
  'http-alt': 8080,
};
const PORT_NAMES = new Map(Object.entries(SERVICES).map(([n, p]) => [p, n]));
const PROTOS = new Set([
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'esp',
  'ah',
  'gre',
  'ipv6',
  'sctp',
  'carp',
  'pfsync',
]);
const SET_OPTIONS = new Set([
  'skip',
  'block-policy',
  'state-policy',
  'loginterface',
  'optimization',
  'timeout',
  'limit',
  'ruleset-optimization',
  'debug',
  'hostid',
  'require-order',
  'fingerprints',
  'reassemble',
  'syncookies',
  'keepcounters',
  'fail-policy',
  'state-defaults',
]);

class Fail extends Error {}

interface Tok {
  t: string;
  quoted: boolean;
}

/** Parses a whole file; `file` is the name used in error lines (`stdin` for `-`). */
export function parsePfConf(text: string, file: string): ParsedRuleset | ParseFailure {
  const out: ParsedRuleset = { rules: [], nat: [], anchorRefs: [], tables: {} };
  const macros: Record<string, string> = {};
  const errors: string[] = [];
  // 0 options, 1 normalization, 2 queueing, 3 translation, 4 filtering.
  let stage = 0;
  const physical = text.split('\n');
  let logical = '';
  let startLine = 0;
  for (let n = 0; n < physical.length; n += 1) {
    let line = physical[n] as string;
    if (logical === '') startLine = n + 1;
    const hash = findComment(line);
    if (hash >= 0) line = line.slice(0, hash);
    if (line.endsWith('\\')) {
      logical += `${line.slice(0, -1)} `;
      continue;
    }
    logical += line;
    const lineNo = n + 1;
    const current = logical;
    logical = '';
    if (current.trim() === '') continue;
    void startLine;
    const err = (msg: string): void => {
      errors.push(`${file}:${lineNo}: ${msg}`);
    };
    try {
      const def = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(current);
      if (def !== null && !/^(pass|block|nat|rdr|table|set|anchor|scrub)$/.test(def[1] as string)) {
        const v = def[2] as string;
        const m = /^"(.*)"$/.exec(v);
        if (m === null && /\s/.test(v)) throw new Fail('syntax error');
        macros[def[1] as string] = expandMacros(m !== null ? (m[1] as string) : v, macros, err);
        continue;
      }
      const toks = tokenize(expandMacros(current, macros, err));
      const p = new Parser(toks);
      const kind = p.peek();
      const stageOf: Record<string, number> = {
        set: 0,
        scrub: 1,
        nat: 3,
        rdr: 3,
        'nat-anchor': 3,
        'rdr-anchor': 3,
        binat: 3,
        pass: 4,
        block: 4,
        anchor: 4,
      };
      const want = stageOf[kind ?? ''];
      if (want !== undefined) {
        if (want < stage) {
          throw new Fail(
            'Rules must be in order: options, normalization, queueing, translation, filtering',
          );
        }
        stage = want;
      }
      switch (kind) {
        case 'set':
          parseSet(p);
          break;
        case 'table':
          parseTable(p, out);
          break;
        case 'pass':
        case 'block':
          out.rules.push(...parseFilter(p));
          break;
        case 'nat':
        case 'rdr':
          out.nat.push(...parseTranslation(p));
          break;
        case 'anchor':
        case 'nat-anchor':
        case 'rdr-anchor': {
          p.next();
          const name = p.next();
          if (name === undefined || name.t === '') throw new Fail('syntax error');
          if (p.peek() === 'all') p.next();
          p.end();
          const printed = `${kind} "${name.t}" all`;
          if (kind === 'anchor') out.rules.push(printed);
          else out.nat.push(printed);
          if (!out.anchorRefs.includes(name.t)) out.anchorRefs.push(name.t);
          break;
        }
        case 'scrub':
          out.rules.push(parseScrub(p));
          break;
        default:
          throw new Fail('syntax error');
      }
    } catch (error) {
      if (!(error instanceof Fail)) throw error;
      err(error.message);
      if (error.message !== 'syntax error' && /not defined/.test(errors.at(-2) ?? '')) {
        // A missing macro leaves the rule broken as well.
      }
    }
  }
  if (errors.length > 0) return { lines: errors };
  return out;
}

function findComment(line: string): number {
  let inQuote = false;
  for (let i = 0; i < line.length; i += 1) {
    if (line[i] === '"') inQuote = !inQuote;
    if (line[i] === '#' && !inQuote) return i;
  }
  return -1;
}

function expandMacros(s: string, macros: Record<string, string>, err: (m: string) => void): string {
  let missing = false;
  const res = s.replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    const v = macros[name];
    if (v === undefined) {
      err(`macro '${name}' not defined`);
      missing = true;
      return '';
    }
    return v;
  });
  if (missing) throw new Fail('syntax error');
  return res;
}

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (/\s/.test(c)) {
      i += 1;
      continue;
    }
    if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) throw new Fail('syntax error');
      toks.push({ t: s.slice(i + 1, end), quoted: true });
      i = end + 1;
      continue;
    }
    const two = s.slice(i, i + 2);
    if (['->', '!=', '<=', '>=', '<>', '><'].includes(two)) {
      toks.push({ t: two, quoted: false });
      i += 2;
      continue;
    }
    if (c === '<') {
      const m = /^<([A-Za-z0-9_-]+)>/.exec(s.slice(i));
      if (m !== null) {
        toks.push({ t: `<${m[1]}>`, quoted: false });
        i += m[0].length;
        continue;
      }
    }
    if ('{}(),!=<>'.includes(c)) {
      toks.push({ t: c, quoted: false });
      i += 1;
      continue;
    }
    const m = /^[A-Za-z0-9_.:/*%-]+/.exec(s.slice(i));
    if (m === null) throw new Fail('syntax error');
    toks.push({ t: m[0], quoted: false });
    i += m[0].length;
  }
  return toks;
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}
  peek(): string | undefined {
    return this.toks[this.pos]?.t;
  }
  next(): Tok | undefined {
    const t = this.toks[this.pos];
    this.pos += 1;
    return t;
  }
  accept(word: string): boolean {
    if (this.peek() === word && !this.toks[this.pos]?.quoted) {
      this.pos += 1;
      return true;
    }
    return false;
  }
  expect(word: string): void {
    if (!this.accept(word)) throw new Fail('syntax error');
  }
  word(): string {
    const t = this.next();
    if (t === undefined) throw new Fail('syntax error');
    return t.t;
  }
  end(): void {
    if (this.pos < this.toks.length) throw new Fail('syntax error');
  }
  /** A single item or a `{ a, b }` list. */
  list(item: () => string): string[] {
    if (!this.accept('{')) return [item()];
    const items: string[] = [];
    while (!this.accept('}')) {
      if (this.peek() === undefined) throw new Fail('syntax error');
      items.push(item());
      this.accept(',');
    }
    if (items.length === 0) throw new Fail('syntax error');
    return items;
  }
}

function parseSet(p: Parser): void {
  p.expect('set');
  const opt = p.word();
  if (!SET_OPTIONS.has(opt)) throw new Fail('syntax error');
  if (opt === 'skip') p.expect('on');
  if (p.peek() === undefined) throw new Fail('syntax error');
  p.list(() => p.word());
  while (p.peek() !== undefined) p.word();
}

function parseTable(p: Parser, out: ParsedRuleset): void {
  p.expect('table');
  const name = p.word();
  const m = /^<([A-Za-z0-9_-]+)>$/.exec(name);
  if (m === null) throw new Fail('syntax error');
  while (p.peek() === 'persist' || p.peek() === 'const' || p.peek() === 'counters') p.next();
  let addrs: string[] = [];
  if (p.peek() === '{') {
    addrs = p.list(() => {
      const a = p.word();
      if (parseHost(a) === null) throw new Fail(`cannot parse address ${a}`);
      return normaliseHost(a);
    });
  }
  p.end();
  out.tables[m[1] as string] = addrs;
}

function parseScrub(p: Parser): string {
  p.expect('scrub');
  let text = 'scrub';
  if (p.accept('in')) text += ' in';
  else if (p.accept('out')) text += ' out';
  if (p.accept('on')) text += ` on ${p.word()}`;
  p.expect('all');
  text += ' all';
  while (p.peek() !== undefined) {
    const w = p.word();
    if (w === 'fragment') {
      p.expect('reassemble');
      text += ' fragment reassemble';
    } else if (w === 'no-df' || w === 'random-id') {
      text += ` ${w}`;
    } else {
      throw new Fail('syntax error');
    }
  }
  return text;
}

interface Host {
  text: string;
  any: boolean;
  af: 'inet' | 'inet6' | null;
}

interface PortSpec {
  text: string;
}

/** Parses `from ... to ...` (or `all`), returning the cartesian product of lists. */
function parseHosts(
  p: Parser,
  proto: string | null,
): { from: Host[]; fromPort: PortSpec[]; to: Host[]; toPort: PortSpec[] } {
  const anyHost: Host = { text: 'any', any: true, af: null };
  const res = {
    from: [anyHost],
    fromPort: [] as PortSpec[],
    to: [anyHost],
    toPort: [] as PortSpec[],
  };
  if (p.accept('all')) return res;
  let seen = false;
  if (p.accept('from')) {
    seen = true;
    res.from = hostList(p);
    if (p.accept('port')) res.fromPort = portList(p, proto);
  }
  if (p.accept('to')) {
    seen = true;
    if (p.peek() === 'port') res.to = [anyHost];
    else res.to = hostList(p);
    if (p.accept('port')) res.toPort = portList(p, proto);
  }
  if (!seen) return res;
  return res;
}

function hostList(p: Parser): Host[] {
  const neg = p.accept('!');
  const one = (): string => {
    const w = p.word();
    if (w === '(') {
      const ifname = p.word();
      p.expect(')');
      return `(${ifname})`;
    }
    return w;
  };
  return p.list(one).map((w) => {
    if (w === 'any') return { text: neg ? '! any' : 'any', any: !neg, af: null };
    if (/^<[A-Za-z0-9_-]+>$/.test(w) || /^\([A-Za-z0-9_.-]+\)$/.test(w)) {
      return { text: `${neg ? '! ' : ''}${w}`, any: false, af: null };
    }
    const host = parseHost(w);
    if (host === null) throw new Fail(`host ${w} not found`);
    return { text: `${neg ? '! ' : ''}${normaliseHost(w)}`, any: false, af: host };
  });
}

/** The family of an address or CIDR, or null if it is not one. */
export function parseHost(w: string): 'inet' | 'inet6' | null {
  const [addr = '', prefix] = w.split('/');
  if (prefix !== undefined && !/^\d+$/.test(prefix)) return null;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(addr) && addr.split('.').every((o) => Number(o) <= 255)) {
    return prefix === undefined || Number(prefix) <= 32 ? 'inet' : null;
  }
  if (/^[0-9a-fA-F:]+$/.test(addr) && addr.includes(':') && addr.split('::').length <= 2) {
    return prefix === undefined || Number(prefix) <= 128 ? 'inet6' : null;
  }
  return null;
}

/** Host addresses print without a full-length mask. */
export function normaliseHost(w: string): string {
  const [addr = '', prefix] = w.split('/');
  const full = addr.includes(':') ? '128' : '32';
  return prefix === undefined || prefix === full
    ? addr.toLowerCase()
    : `${addr.toLowerCase()}/${prefix}`;
}

function portNumber(w: string): number {
  if (/^\d+$/.test(w)) {
    const n = Number(w);
    if (n > 65535) throw new Fail(`illegal port value ${n}`);
    return n;
  }
  const n = SERVICES[w];
  if (n === undefined) throw new Fail(`unknown port ${w}`);
  return n;
}

function portList(p: Parser, proto: string | null): PortSpec[] {
  if (proto !== 'tcp' && proto !== 'udp') throw new Fail('port only applies to tcp/udp');
  return p
    .list(() => {
      const ops = ['=', '!=', '<', '<=', '>', '>='];
      const first = p.word();
      if (ops.includes(first)) {
        const n = portNumber(p.word());
        const name = first === '=' || first === '!=' ? (PORT_NAMES.get(n) ?? String(n)) : String(n);
        return `${first} ${name}`;
      }
      if (first.includes(':')) {
        const [a = '', b = ''] = first.split(':');
        return `${portNumber(a)}:${portNumber(b)}`;
      }
      const n = portNumber(first);
      if (p.peek() === '><' || p.peek() === '<>') {
        const op = p.word();
        return `${n} ${op} ${portNumber(p.word())}`;
      }
      return `= ${PORT_NAMES.get(n) ?? String(n)}`;
    })
    .map((text) => ({ text }));
}

interface Common {
  af: 'inet' | 'inet6' | null;
  protos: (string | null)[];
  ifaces: string[];
}

function parseCommon(p: Parser): Common {
  const c: Common = { af: null, protos: [null], ifaces: [] };
  if (p.accept('on')) {
    c.ifaces = p.list(() => p.word());
  }
  if (p.accept('inet')) c.af = 'inet';
  else if (p.accept('inet6')) c.af = 'inet6';
  if (p.accept('proto')) {
    c.protos = p.list(() => {
      const w = p.word();
      if (!PROTOS.has(w) && !/^\d+$/.test(w)) throw new Fail(`unknown protocol ${w}`);
      return w;
    });
  }
  return c;
}

function fromTo(
  from: Host,
  fromPort: PortSpec | undefined,
  to: Host,
  toPort: PortSpec | undefined,
): string {
  if (from.any && to.any && fromPort === undefined && toPort === undefined) return 'all';
  let s = `from ${from.text}`;
  if (fromPort !== undefined) s += ` port ${fromPort.text}`;
  s += ` to ${to.text}`;
  if (toPort !== undefined) s += ` port ${toPort.text}`;
  return s;
}

/** The rule's family, or 'skip' when its addresses disagree (pfctl drops that combination). */
function inferAf(af: Common['af'], hosts: Host[]): Common['af'] | 'skip' {
  let result = af;
  for (const h of hosts) {
    if (h.af === null) continue;
    if (result !== null && result !== h.af) return 'skip';
    result = h.af;
  }
  return result;
}

function requireSome(rules: string[]): string[] {
  if (rules.length === 0) throw new Fail('rule expands to no valid combination');
  return rules;
}

function orNone<T>(list: T[]): (T | undefined)[] {
  return list.length === 0 ? [undefined] : list;
}

function parseFilter(p: Parser): string[] {
  const action = p.word();
  let head = action;
  if (action === 'block') {
    if (p.accept('return')) head = 'block return';
    else {
      p.accept('drop');
      head = 'block drop';
    }
  }
  let dir = '';
  if (p.accept('in')) dir = ' in';
  else if (p.accept('out')) dir = ' out';
  const log = p.accept('log') ? ' log' : '';
  const quick = p.accept('quick') ? ' quick' : '';
  const c = parseCommon(p);
  const rules: string[] = [];
  const portable = c.protos.every((x) => x === 'tcp' || x === 'udp');
  const h = parseHosts(p, portable ? 'tcp' : null);
  let flags: string | null = null;
  let state: string | null = null;
  while (p.peek() !== undefined) {
    const w = p.word();
    if (w === 'flags') {
      const f = p.word();
      if (f !== 'any' && !/^[FSRPAUEW]*\/[FSRPAUEW]+$/.test(f)) throw new Fail('syntax error');
      flags = f;
    } else if (w === 'keep' || w === 'modulate' || w === 'synproxy') {
      p.expect('state');
      state = `${w} state`;
    } else if (w === 'no') {
      p.expect('state');
      state = 'no state';
    } else {
      throw new Fail('syntax error');
    }
  }
  for (const proto of c.protos) {
    for (const iface of orNone(c.ifaces)) {
      for (const from of h.from) {
        for (const fp of orNone(h.fromPort)) {
          for (const to of h.to) {
            for (const tp of orNone(h.toPort)) {
              const af = inferAf(c.af, [from, to]);
              if (af === 'skip') continue;
              let r = `${head}${dir}${log}${quick}`;
              if (iface !== undefined) r += ` on ${iface}`;
              if (af !== null) r += ` ${af}`;
              if (proto !== null) r += ` proto ${proto}`;
              r += ` ${fromTo(from, fp, to, tp)}`;
              if (action === 'pass') {
                const tcpish = proto === null || proto === 'tcp';
                if (flags !== null && flags !== 'any') r += ` flags ${flags}`;
                else if (flags === null && tcpish && state !== 'no state') r += ' flags S/SA';
                r += ` ${state ?? 'keep state'}`;
              } else if (state !== null) {
                if (flags !== null && flags !== 'any') r += ` flags ${flags}`;
                r += ` ${state}`;
              }
              rules.push(r);
            }
          }
        }
      }
    }
  }
  return requireSome(rules);
}

function parseTranslation(p: Parser): string[] {
  const kind = p.word();
  const pass = p.accept('pass') ? ' pass' : '';
  const log = p.accept('log') ? ' log' : '';
  const c = parseCommon(p);
  const proto = c.protos[0] ?? null;
  if (c.protos.length > 1) throw new Fail('syntax error');
  const h = parseHosts(p, proto);
  p.expect('->');
  const targets = hostList(p);
  let rport: string | null = null;
  if (p.accept('port')) {
    if (proto !== 'tcp' && proto !== 'udp') throw new Fail('port only applies to tcp/udp');
    const w = p.word();
    if (w.endsWith(':*')) {
      rport = `${portNumber(w.slice(0, -2))}:*`;
    } else if (w.includes(':')) {
      const [a = '', b = ''] = w.split(':');
      rport = `${portNumber(a)}:${portNumber(b)}`;
    } else {
      rport = String(portNumber(w));
    }
  }
  let pool: string | null = null;
  let staticPort = false;
  while (p.peek() !== undefined) {
    const w = p.word();
    if (w === 'round-robin' || w === 'random' || w === 'source-hash' || w === 'bitmask') {
      pool = w;
      if (p.peek() === 'sticky-address') {
        p.next();
        pool += ' sticky-address';
      }
    } else if (w === 'static-port' && kind === 'nat') {
      staticPort = true;
    } else {
      throw new Fail('syntax error');
    }
  }
  const dynamic = targets.some((t) => t.text.startsWith('(') || t.text.startsWith('<'));
  if (targets.length > 1 && pool !== null && !pool.startsWith('round-robin')) {
    throw new Fail('only round-robin valid for multiple redirection addresses');
  }
  if (pool === null && (targets.length > 1 || dynamic)) pool = 'round-robin';
  const redirect =
    targets.length > 1 ? `{ ${targets.map((t) => t.text).join(', ')} }` : (targets[0]?.text ?? '');
  const out: string[] = [];
  for (const iface of orNone(c.ifaces)) {
    for (const from of h.from) {
      for (const fp of orNone(h.fromPort)) {
        for (const to of h.to) {
          for (const tp of orNone(h.toPort)) {
            const af = inferAf(c.af, [from, to, ...targets]);
            if (af === 'skip') continue;
            let r = `${kind}${pass}${log}`;
            if (iface !== undefined) r += ` on ${iface}`;
            if (af !== null) r += ` ${af}`;
            if (proto !== null) r += ` proto ${proto}`;
            r += ` ${fromTo(from, fp, to, tp)} -> ${redirect}`;
            if (rport !== null) r += ` port ${rport}`;
            if (pool !== null) r += ` ${pool}`;
            if (staticPort) r += ' static-port';
            out.push(r);
          }
        }
      }
    }
  }
  return requireSome(out);
}
