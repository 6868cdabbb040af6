// SPDX-License-Identifier: BSD-2-Clause
// pfctl(8) of the simulated host: enable/disable, atomic loads of the main ruleset and of
// anchors, flushes, listings, anchors and tables, with pfctl's prefix-matched option words,
// its fixed order of operations and its stderr messages (REFERENCE.md section 6).

import { readFileSync } from 'node:fs';

import type { Io } from '../state/io.js';
import { blankRuleset, updateState } from '../state/store.js';
import type { PfRuleset, SimState } from '../state/types.js';
import { normaliseHost, parseHost, parsePfConf } from './pf-parse.js';

const USAGE =
  'usage: pfctl [-AdeghMmNnOPqRSrvz] [-a anchor] [-D macro=value] [-F modifier]\n' +
  '\t[-f file] [-i interface] [-K host | network]\n' +
  '\t[-k host | network | gateway | label | id] [-o level] [-p device]\n' +
  '\t[-s modifier] [-t table -T command [address ...]] [-x level]\n';

const SHOW_WORDS = [
  'ether',
  'nat',
  'queue',
  'rules',
  'Anchors',
  'Sources',
  'states',
  'info',
  'Interfaces',
  'labels',
  'timeouts',
  'memory',
  'Tables',
  'osfp',
  'Running',
  'all',
];
const FLUSH_WORDS = [
  'nat',
  'queue',
  'rules',
  'Sources',
  'states',
  'info',
  'Tables',
  'osfp',
  'all',
  'ethernet',
];

/** A fatal pfctl error line (already prefixed) and exit status 1. */
class PfError extends Error {}

interface Opts {
  anchor: string | null;
  enable: boolean;
  disable: boolean;
  file: string | null;
  flush: string | null;
  show: string | null;
  table: string | null;
  tableCmd: string | null;
  noop: boolean;
  quiet: boolean;
  verbose: number;
  rest: string[];
}

/** Runs `pfctl argv`. */
export function runPfctl(argv: string[], io: Io): number {
  const o: Opts = {
    anchor: null,
    enable: false,
    disable: false,
    file: null,
    flush: null,
    show: null,
    table: null,
    tableCmd: null,
    noop: false,
    quiet: false,
    verbose: 0,
    rest: [],
  };
  let i = 0;
  for (; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--') {
      i += 1;
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      o.rest.push(a);
      continue;
    }
    for (let k = 1; k < a.length; k += 1) {
      const c = a[k] as string;
      if ('afFstTDKkopixi'.includes(c)) {
        const v = a.slice(k + 1) || argv[++i];
        if (v === undefined) {
          io.err(`pfctl: option requires an argument -- ${c}\n${USAGE}`);
          return 1;
        }
        k = a.length;
        switch (c) {
          case 'a':
            o.anchor = v;
            break;
          case 'f':
            o.file = v;
            break;
          case 'F': {
            const w = FLUSH_WORDS.find((x) => x.startsWith(v));
            if (w === undefined) {
              io.err(`pfctl: Unknown flush modifier '${v}'\n${USAGE}`);
              return 1;
            }
            o.flush = w;
            break;
          }
          case 's': {
            const w = SHOW_WORDS.find((x) => x.startsWith(v));
            if (w === undefined) {
              io.err(`pfctl: Unknown show modifier '${v}'\n${USAGE}`);
              return 1;
            }
            o.show = w;
            break;
          }
          case 't':
            o.table = v;
            break;
          case 'T':
            o.tableCmd = v;
            break;
          default:
            break;
        }
        continue;
      }
      switch (c) {
        case 'e':
          o.enable = true;
          break;
        case 'd':
          o.disable = true;
          break;
        case 'n':
          o.noop = true;
          break;
        case 'q':
          o.quiet = true;
          break;
        case 'v':
          o.verbose += 1;
          break;
        case 'g':
        case 'N':
        case 'O':
        case 'R':
        case 'r':
        case 'z':
        case 'A':
        case 'm':
        case 'M':
        case 'P':
        case 'S':
        case 'h':
          break;
        default:
          io.err(`pfctl: illegal option -- ${c}\n${USAGE}`);
          return 1;
      }
    }
  }
  o.rest.push(...argv.slice(i));
  if (o.tableCmd !== null && o.table === null) {
    io.err(USAGE);
    return 1;
  }
  const info = (msg: string): void => {
    if (!o.quiet) io.err(msg);
  };
  const modifies =
    o.file !== null || o.flush !== null || (o.tableCmd !== null && o.tableCmd !== 'show');
  if (
    o.anchor !== null &&
    modifies &&
    !o.noop &&
    o.anchor.split('/').some((c) => c.startsWith('_'))
  ) {
    io.err("pfctl: anchor names beginning with '_' cannot be modified from the command line\n");
    return 1;
  }
  if (o.anchor !== null && o.anchor.length >= 1024) {
    io.err(`pfctl: anchor name '${o.anchor}' too long\n`);
    return 1;
  }
  const loaded = !(process.env['STOCKADE_SIM_NO_KLD'] ?? '').split(',').includes('pf');
  if (!loaded && !(o.noop && o.file !== null && !o.enable && !o.disable && o.show === null)) {
    io.err('pfctl: /dev/pf: No such file or directory\n');
    return 1;
  }
  let fileText: string | null = null;
  if (o.file !== null) {
    try {
      fileText = o.file === '-' ? readFileSync(0, 'utf8') : readFileSync(o.file, 'utf8');
    } catch {
      io.err(`pfctl: ${o.file}: No such file or directory\n`);
      return 1;
    }
  }
  try {
    return updateState((state) => {
      let status = 0;
      if (o.disable) {
        if (!state.pf.enabled) throw new PfError('pfctl: pf not enabled');
        state.pf.enabled = false;
        info('pf disabled\n');
      }
      if (o.show !== null) status |= show(state, o, io);
      if (o.flush !== null) flush(state, o, info);
      if (o.tableCmd !== null) status |= tableCommand(state, o, io, info);
      if (fileText !== null) status |= load(state, o, fileText, io);
      if (o.enable && status === 0) {
        if (state.pf.enabled) throw new PfError('pfctl: pf already enabled');
        state.pf.enabled = true;
        info('pf enabled\n');
      }
      return status;
    });
  } catch (error) {
    if (error instanceof PfError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function rulesetFor(
  state: SimState,
  anchor: string | null,
  create: boolean,
): PfRuleset | undefined {
  if (anchor === null || anchor === '' || anchor === '/') return state.pf.main;
  const key = anchor.replace(/^\/+|\/+$/g, '');
  let rs = state.pf.anchors[key];
  if (rs === undefined && create) {
    rs = blankRuleset();
    state.pf.anchors[key] = rs;
  }
  return rs;
}

/** An anchor with nothing in it disappears, as the kernel frees empty rulesets. */
function pruneAnchor(state: SimState, anchor: string | null): void {
  if (anchor === null) return;
  const key = anchor.replace(/^\/+|\/+$/g, '');
  const rs = state.pf.anchors[key];
  if (
    rs !== undefined &&
    rs.rules.length === 0 &&
    rs.nat.length === 0 &&
    Object.keys(rs.tables).length === 0
  ) {
    delete state.pf.anchors[key];
  }
}

/** Every anchor path that exists: loaded ones, their parents and those the main ruleset names. */
function anchorPaths(state: SimState): string[] {
  const paths = new Set<string>();
  const addWithParents = (p: string): void => {
    const parts = p.split('/');
    for (let n = 1; n <= parts.length; n += 1) paths.add(parts.slice(0, n).join('/'));
  };
  for (const p of Object.keys(state.pf.anchors)) addWithParents(p);
  for (const ref of state.pf.main.anchorRefs) {
    addWithParents(ref.endsWith('/*') ? ref.slice(0, -2) : ref);
  }
  return [...paths].sort();
}

function show(state: SimState, o: Opts, io: Io): number {
  const what = o.show as string;
  if (what === 'Anchors') {
    const base = (o.anchor ?? '').replace(/^\/+|\/+$/g, '');
    const all = anchorPaths(state);
    if (base !== '' && !all.includes(base)) {
      io.err(`Anchor '${base}' not found.\n`);
      return 1;
    }
    const prefix = base === '' ? '' : `${base}/`;
    const below = all.filter((p) => p.startsWith(prefix) && p !== base);
    const shown = below.filter((p) => {
      const rel = p.slice(prefix.length);
      if (o.verbose === 0 && rel.includes('/')) return false;
      return o.verbose > 0 || !rel.split('/').some((c) => c.startsWith('_'));
    });
    for (const p of shown) io.out(`  ${p}\n`);
    return 0;
  }
  if (what === 'rules' || what === 'nat' || what === 'all') {
    const recursive = o.anchor !== null && o.anchor.endsWith('/*');
    const base = recursive ? (o.anchor as string).slice(0, -2) : o.anchor;
    const rs = rulesetFor(state, base, false);
    if (rs === undefined && !recursive) {
      io.err('pfctl: DIOCGETRULES: Invalid argument\n');
      return 1;
    }
    const kinds: ('rules' | 'nat')[] = what === 'all' ? ['nat', 'rules'] : [what];
    for (const kind of kinds) {
      for (const r of rs?.[kind] ?? []) io.out(`${r}\n`);
      if (recursive) {
        const prefix = `${base}/`;
        for (const p of anchorPaths(state).filter(
          (x) => x.startsWith(prefix) && !x.slice(prefix.length).includes('/'),
        )) {
          const child = state.pf.anchors[p];
          const lines = child?.[kind] ?? [];
          io.out(
            `${kind === 'rules' ? 'anchor' : 'nat-anchor'} "${p.slice(prefix.length)}" all {\n`,
          );
          for (const r of lines) io.out(`  ${r}\n`);
          io.out('}\n');
        }
      }
    }
    return 0;
  }
  if (what === 'Tables') {
    const rs = rulesetFor(state, o.anchor, false);
    for (const t of Object.keys(rs?.tables ?? {}).sort()) io.out(`${t}\n`);
    return 0;
  }
  if (what === 'info') {
    io.out(
      `Status: ${state.pf.enabled ? 'Enabled' : 'Disabled'} for 0 days 00:00:00           Debug: Urgent\n`,
    );
    return 0;
  }
  if (what === 'Running') {
    io.out(`${state.pf.enabled ? 'Enabled' : 'Disabled'}\n`);
    return state.pf.enabled ? 0 : 1;
  }
  if (what === 'Interfaces') {
    for (const i of state.ifaces.filter((x) => x.vnet === 0)) io.out(`${i.name}\n`);
    return 0;
  }
  if (['states', 'Sources', 'ether', 'queue', 'labels'].includes(what)) {
    return 0;
  }
  throw new PfError(`pfctl: simulator: -s ${what} is not simulated`);
}

function flush(state: SimState, o: Opts, info: (m: string) => void): void {
  const what = o.flush as string;
  const rs = rulesetFor(state, o.anchor, false);
  const clearTables = (): void => {
    const n = rs === undefined ? 0 : Object.keys(rs.tables).length;
    if (rs !== undefined) rs.tables = {};
    info(`${n} tables deleted.\n`);
  };
  if (what === 'all' || what === 'ethernet') info('Ethernet rules cleared\n');
  if (what === 'all' || what === 'rules') {
    if (rs !== undefined) {
      rs.rules = [];
      if (o.anchor === null) rs.anchorRefs = rs.anchorRefs.filter(() => false);
    }
    info('rules cleared\n');
  }
  if (what === 'all' || what === 'nat') {
    if (rs !== undefined) rs.nat = [];
    info('nat cleared\n');
  }
  if (what === 'all' || what === 'Tables') clearTables();
  if (what === 'all' && o.anchor === null) {
    info(
      '0 states cleared\nsource tracking entries cleared\npf: statistics cleared\npf: interface flags reset\n',
    );
  }
  if (what === 'states') info('0 states cleared\n');
  if (what === 'Sources') info('source tracking entries cleared\n');
  if (what === 'info') info('pf: statistics cleared\n');
  pruneAnchor(state, o.anchor);
}

function tableCommand(state: SimState, o: Opts, io: Io, info: (m: string) => void): number {
  const name = o.table as string;
  const cmd = o.tableCmd as string;
  const suffix = o.noop ? ' (dummy)' : '';
  const say = (m: string): void => info(`${m}${suffix}.\n`);
  const addrs: string[] = [];
  for (const a of o.rest) {
    if (parseHost(a) === null) {
      io.err(`pfctl: cannot decode ${a}: Invalid argument\n`);
      return 1;
    }
    const n = normaliseHost(a);
    if (!addrs.includes(n)) addrs.push(n);
  }
  const rs = rulesetFor(state, o.anchor, false);
  const existing = rs?.tables[name];
  const ensure = (): string[] => {
    const target = rulesetFor(state, o.anchor, !o.noop) ?? blankRuleset();
    let t = target.tables[name];
    if (t === undefined) {
      t = [];
      if (!o.noop) target.tables[name] = t;
      say('1 table created');
    }
    return t;
  };
  switch (cmd) {
    case 'show':
      if (existing === undefined) throw new PfError('pfctl: Table does not exist.');
      for (const a of sortAddrs(existing)) io.out(`   ${a}\n`);
      return 0;
    case 'add': {
      const t = ensure();
      const fresh = addrs.filter((a) => !t.includes(a));
      if (!o.noop) t.push(...fresh);
      say(`${fresh.length}/${addrs.length} addresses added`);
      return 0;
    }
    case 'delete': {
      if (existing === undefined) throw new PfError('pfctl: Table does not exist.');
      const gone = addrs.filter((a) => existing.includes(a));
      if (!o.noop) rs!.tables[name] = existing.filter((a) => !gone.includes(a));
      say(`${gone.length}/${addrs.length} addresses deleted`);
      return 0;
    }
    case 'replace': {
      const t = ensure();
      const added = addrs.filter((a) => !t.includes(a));
      const deleted = t.filter((a) => !addrs.includes(a));
      if (!o.noop) {
        t.splice(0, t.length, ...addrs);
      }
      if (added.length > 0) say(`${added.length} addresses added`);
      if (deleted.length > 0) say(`${deleted.length} addresses deleted`);
      if (added.length === 0 && deleted.length === 0) info(`no changes${suffix}.\n`);
      return 0;
    }
    case 'flush': {
      if (existing === undefined) throw new PfError('pfctl: Table does not exist.');
      if (!o.noop) rs!.tables[name] = [];
      say(`${existing.length} addresses deleted`);
      return 0;
    }
    case 'kill': {
      if (existing === undefined) throw new PfError('pfctl: Table does not exist.');
      if (!o.noop) delete rs!.tables[name];
      say('1 table deleted');
      pruneAnchor(state, o.anchor);
      return 0;
    }
    default:
      throw new PfError(`pfctl: Unknown command '${cmd}'.`);
  }
}

function load(state: SimState, o: Opts, text: string, io: Io): number {
  const fileName = o.file === '-' ? 'stdin' : (o.file as string);
  const parsed = parsePfConf(text, fileName);
  if ('lines' in parsed) {
    io.err(parsed.lines.map((l) => `${l}\n`).join(''));
    if (!o.noop) io.err('pfctl: Syntax error in config file: pf rules not loaded\n');
    return 1;
  }
  if (o.verbose > 0) {
    for (const t of Object.keys(parsed.tables)) {
      const list = parsed.tables[t] ?? [];
      io.out(`table <${t}> ${list.length > 0 ? `{ ${list.join(' ')} }` : ''}`.trimEnd() + '\n');
    }
    for (const r of [...parsed.nat, ...parsed.rules]) io.out(`${r}\n`);
  }
  if (o.noop) return 0;
  if (o.anchor === null) {
    const persistTables = state.pf.main.tables;
    state.pf.main = { ...parsed, tables: { ...persistTables, ...parsed.tables } };
    return 0;
  }
  const rs = rulesetFor(state, o.anchor, true) as PfRuleset;
  rs.rules = parsed.rules;
  rs.nat = parsed.nat;
  rs.anchorRefs = parsed.anchorRefs;
  rs.tables = { ...rs.tables, ...parsed.tables };
  pruneAnchor(state, o.anchor);
  return 0;
}

function sortAddrs(list: string[]): string[] {
  const key = (a: string): string =>
    a.includes(':')
      ? `1${a}`
      : `0${(a.split('/')[0] ?? '')
          .split('.')
          .map((x) => x.padStart(3, '0'))
          .join('.')}/${a.split('/')[1] ?? '32'}`;
  return [...list].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}
