// SPDX-License-Identifier: BSD-2-Clause
// rctl(8) of the simulated host: rule syntax checked against the kernel's subject, resource
// and action tables, add/remove/list/usage, and the RACCT-disabled failure that
// STOCKADE_SIM_RACCT=0 selects (REFERENCE.md section 7).

import { readFileSync } from 'node:fs';

import type { Io } from '../state/io.js';
import { findJailPids } from '../state/procs.js';
import { readState, updateState } from '../state/store.js';
import type { RctlRule, SimState } from '../state/types.js';

const USAGE = 'usage: rctl [ -h ] [-a rule | -l filter | -r filter | -u filter | filter]\n';

/** Kernel resource names in RACCT index order. */
export const RESOURCES = [
  'cputime',
  'datasize',
  'stacksize',
  'coredumpsize',
  'memoryuse',
  'memorylocked',
  'maxproc',
  'openfiles',
  'vmemoryuse',
  'pseudoterminals',
  'swapuse',
  'nthr',
  'msgqqueued',
  'msgqsize',
  'nmsgq',
  'nsem',
  'nsemop',
  'nshm',
  'shmsize',
  'wallclock',
  'pcpu',
  'readbps',
  'writebps',
  'readiops',
  'writeiops',
];

const SIGNALS = [
  'sighup',
  'sigint',
  'sigquit',
  'sigill',
  'sigtrap',
  'sigabrt',
  'sigemt',
  'sigfpe',
  'sigkill',
  'sigbus',
  'sigsegv',
  'sigsys',
  'sigpipe',
  'sigalrm',
  'sigterm',
  'sigurg',
  'sigstop',
  'sigtstp',
  'sigchld',
  'sigttin',
  'sigttou',
  'sigio',
  'sigxcpu',
  'sigxfsz',
  'sigvtalrm',
  'sigprof',
  'sigwinch',
  'siginfo',
  'sigusr1',
  'sigusr2',
  'sigthr',
];
const ACTIONS = new Set(['deny', 'log', 'devctl', 'throttle', ...SIGNALS]);
const SUBJECT_ALIASES: Record<string, string> = {
  process: 'process',
  p: 'process',
  user: 'user',
  u: 'user',
  loginclass: 'loginclass',
  l: 'loginclass',
  c: 'loginclass',
  class: 'loginclass',
  jail: 'jail',
  j: 'jail',
};
const SUBJECT_ORDER = ['process', 'loginclass', 'user', 'jail'];
const NOT_DENIABLE = new Set(['cputime', 'wallclock']);
const THROTTLABLE = new Set(['readbps', 'writebps', 'readiops', 'writeiops']);

class Malformed extends Error {}

/** A rule or filter split into its parts; absent parts are null. */
interface Pattern {
  subject: string | null;
  id: string | null;
  resource: string | null;
  action: string | null;
  amount: number | null;
  per: string | null;
}

/** Runs `rctl argv`; the exit status is the number of failed arguments. */
export function runRctl(argv: string[], io: Io): number {
  let mode: 'a' | 'l' | 'r' | 'u' | null = null;
  let human = false;
  let numeric = false;
  let i = 0;
  for (; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--') {
      i += 1;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    for (const c of a.slice(1)) {
      if (c === 'h') human = true;
      else if (c === 'n') numeric = true;
      else if ('alru'.includes(c)) {
        if (mode !== null && mode !== c) {
          io.err('rctl: at most one of -a, -l, -r, or -u may be specified\n');
          return 1;
        }
        mode = c as 'a' | 'l' | 'r' | 'u';
      } else {
        io.err(`rctl: illegal option -- ${c}\n${USAGE}`);
        return 1;
      }
    }
  }
  const args = argv.slice(i);
  if (process.env['STOCKADE_SIM_RACCT'] === '0') {
    io.err('rctl: RACCT/RCTL present, but disabled; enable using kern.racct.enable=1 tunable\n');
    return 1;
  }
  if ((mode === 'a' || mode === 'r' || mode === 'u' || mode === 'l') && args.length === 0) {
    io.err(USAGE);
    return 1;
  }
  void numeric;
  let failed = 0;
  if (mode === null) {
    const state = readState();
    const filters = args.length === 0 ? [':'] : args;
    for (const f of filters) {
      let pat: Pattern;
      try {
        pat = parsePattern(f);
      } catch (error) {
        io.err(`rctl: malformed rule '${f}': ${(error as Error).message}\n`);
        failed += 1;
        continue;
      }
      for (const r of sortRules(state.rctl).filter((x) => matches(x, pat))) {
        io.out(`${formatRule(r, human)}\n`);
      }
    }
    return failed;
  }
  for (const arg of args) {
    try {
      if (mode === 'a') addRule(arg, io);
      else if (mode === 'r') removeRules(arg, io);
      else if (mode === 'u') usage(arg, human, io);
      else listApplicable(arg, human, io);
    } catch (error) {
      if (error instanceof Malformed) {
        io.err(`rctl: malformed rule '${arg}': ${error.message}\n`);
      } else if (error instanceof Failed) {
        io.err(`rctl: ${error.message}\n`);
      } else {
        throw error;
      }
      failed += 1;
    }
  }
  return failed;
}

class Failed extends Error {}

/** Parses a rule or filter: `subject:id:resource:action=amount/per`. */
function parsePattern(text: string): Pattern {
  const [rulePart = '', perPart] = text.split('/');
  const [head = '', amountText] = rulePart.split('=');
  const fields = head.split(':');
  if (fields.length > 4) throw new Malformed('too many fields');
  const [subj = '', id = '', res = '', act = ''] = fields;
  const pat: Pattern = {
    subject: null,
    id: null,
    resource: null,
    action: null,
    amount: null,
    per: null,
  };
  if (subj !== '') {
    const s = SUBJECT_ALIASES[subj.toLowerCase()];
    if (s === undefined) throw new Malformed(`unknown subject '${subj}'`);
    pat.subject = s;
  }
  if (id !== '') {
    if (pat.subject === null) throw new Malformed('missing subject');
    pat.id = id;
    if (pat.subject === 'user' && !/^\d+$/.test(id)) {
      if (!userExists(id)) throw new Malformed(`unknown user '${id}'`);
    }
    if (pat.subject === 'process' && !/^\d+$/.test(id)) {
      throw new Malformed(`invalid pid '${id}'`);
    }
  }
  if (res !== '') pat.resource = res.toLowerCase();
  if (act !== '') pat.action = act.toLowerCase();
  if (amountText !== undefined) {
    pat.amount = expandNumber(amountText);
  }
  if (perPart !== undefined) {
    const p = SUBJECT_ALIASES[perPart.toLowerCase()];
    if (p === undefined) throw new Malformed(`unknown subject '${perPart}'`);
    pat.per = p;
  }
  return pat;
}

/** expand_number(3): a decimal number with an optional binary suffix (k, m, g, t, p, e). */
function expandNumber(text: string): number {
  const m = /^(\d+)([kmgtpeKMGTPE]?)[bB]?$/.exec(text);
  if (m === null) throw new Malformed(`invalid numeric value '${text}'`);
  const power = ' kmgtpe'.indexOf((m[2] ?? '').toLowerCase() || ' ');
  const value = Number(m[1]) * 1024 ** power;
  if (!Number.isSafeInteger(value)) throw new Malformed(`invalid numeric value '${text}'`);
  return value;
}

function userExists(name: string): boolean {
  try {
    return readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .some((l) => l.split(':')[0] === name);
  } catch {
    return false;
  }
}

function addRule(text: string, io: Io): void {
  const p = parsePattern(text);
  void io;
  const fail = (why: string): never => {
    throw new Failed(`failed to add rule '${text}': ${why}`);
  };
  if (
    p.subject === null ||
    p.id === null ||
    p.resource === null ||
    p.action === null ||
    p.amount === null
  ) {
    fail('Invalid argument');
  }
  if (!RESOURCES.includes(p.resource as string) || !ACTIONS.has(p.action as string)) {
    fail('Invalid argument');
  }
  if (p.action === 'deny' && NOT_DENIABLE.has(p.resource as string))
    fail('Operation not supported');
  if (p.action === 'throttle' && !THROTTLABLE.has(p.resource as string))
    fail('Operation not supported');
  const rule: RctlRule = {
    subject: p.subject as string,
    id: p.id as string,
    resource: p.resource as string,
    action: p.action as string,
    amount: p.amount as number,
    per: p.per ?? (p.subject as string),
  };
  updateState((state) => {
    if (rule.action === 'deny') {
      // A deny rule replaces one that differs only in amount.
      const same = state.rctl.find(
        (r) =>
          r.subject === rule.subject &&
          r.id === rule.id &&
          r.resource === rule.resource &&
          r.action === 'deny' &&
          r.per === rule.per,
      );
      if (same !== undefined) {
        same.amount = rule.amount;
        return;
      }
    }
    state.rctl.push(rule);
  });
}

function removeRules(text: string, io: Io): void {
  const p = parsePattern(text);
  void io;
  const removed = updateState((state) => {
    const before = state.rctl.length;
    state.rctl = state.rctl.filter((r) => !matches(r, p));
    return before - state.rctl.length;
  });
  if (removed === 0) {
    throw new Failed(`failed to remove rule '${text}': No such process`);
  }
}

function usage(text: string, human: boolean, io: Io): void {
  const p = parsePattern(text);
  if (p.subject === null || p.id === null) {
    throw new Failed(`failed to get resource usage for '${text}': Invalid argument`);
  }
  const state = readState();
  let procs = 0;
  if (p.subject === 'jail') {
    const jail = state.jails.find((j) => j.name === p.id || String(j.jid) === p.id);
    if (jail === undefined) {
      throw new Failed(`failed to get resource usage for '${text}': No such process`);
    }
    procs = findJailPids(jail.jid, jail.path).length;
  }
  for (const r of RESOURCES) {
    const v = r === 'maxproc' || r === 'nthr' ? procs : 0;
    io.out(`${r}=${human ? humanize(v) : v}\n`);
  }
}

function listApplicable(text: string, human: boolean, io: Io): void {
  const p = parsePattern(text);
  if (p.subject !== 'process' || p.id === null) {
    throw new Failed(`failed to get limits for '${text}': Invalid argument`);
  }
  let environ = '';
  try {
    environ = readFileSync(`/proc/${p.id}/environ`, 'latin1');
  } catch {
    throw new Failed(`failed to get limits for '${text}': No such process`);
  }
  const jidVar = environ.split('\0').find((v) => v.startsWith('STOCKADE_SIM_JID='));
  const state: SimState = readState();
  const jail =
    jidVar === undefined
      ? undefined
      : state.jails.find((j) => String(j.jid) === jidVar.split('=')[1]);
  for (const r of sortRules(state.rctl)) {
    if (
      (r.subject === 'process' && r.id === p.id) ||
      (jail !== undefined && r.subject === 'jail' && r.id === jail.name)
    ) {
      io.out(`${formatRule(r, human)}\n`);
    }
  }
}

function matches(r: RctlRule, p: Pattern): boolean {
  return (
    (p.subject === null || r.subject === p.subject) &&
    (p.id === null || r.id === p.id) &&
    (p.resource === null || r.resource === p.resource) &&
    (p.action === null || r.action === p.action) &&
    (p.amount === null || r.amount === p.amount) &&
    (p.per === null || r.per === p.per)
  );
}

function sortRules(rules: RctlRule[]): RctlRule[] {
  return [...rules].sort(
    (a, b) => SUBJECT_ORDER.indexOf(a.subject) - SUBJECT_ORDER.indexOf(b.subject),
  );
}

function formatRule(r: RctlRule, human: boolean): string {
  const amount = human ? humanize(r.amount) : String(r.amount);
  const per = r.per !== r.subject ? `/${r.per}` : '';
  return `${r.subject}:${r.id}:${r.resource}:${r.action}=${amount}${per}`;
}

/** humanize_number(3) into 6 bytes, autoscaled by 1024, one decimal below 10, no space. */
export function humanize(value: number): string {
  const suffixes = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  if (value < 1000) return String(value);
  let scale = 0;
  let v = value;
  while (v >= 1000 && scale < suffixes.length - 1) {
    v /= 1024;
    scale += 1;
  }
  if (v < 9.95) return `${v.toFixed(1)}${suffixes[scale]}`;
  return `${Math.round(v)}${suffixes[scale]}`;
}
