// SPDX-License-Identifier: BSD-2-Clause
// jail(8) of the simulated host for command-line use: create, modify and remove jails from
// param=value arguments, running exec.* commands and `command=` as real chrooted processes.

import { lstatSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

import type { Io } from '../state/io.js';
import {
  dropJail,
  findJail,
  getParam,
  isVnet,
  KERNEL_PARAMS,
  parentName,
  PSEUDO_PARAMS,
} from '../state/jails.js';
import { findMount, mountNullfs, unmountNullfs } from '../state/mounts.js';
import { buildJailEnv, findJailPids, killJailProcesses, runCommand } from '../state/procs.js';
import type { RunResult } from '../state/procs.js';
import { readState, updateState } from '../state/store.js';
import type { ParamValue, SimJail, SimState } from '../state/types.js';
import { processIo } from '../state/io.js';
import { runCpuset } from './cpuset.js';
import { runIfconfig, runRoute } from './ifconfig.js';
import { runMount, runUmount } from './mount.js';
import { runPfctl } from './pfctl.js';
import { runRctl } from './rctl.js';
import { ConfError, type JailConf, loadJailConf, resolveJail } from './jail-conf.js';

const USAGE =
  'usage: jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n' +
  '            -[cmr] param=value ... [command=command ...]\n' +
  '       jail [-dqv] [-f file] -[cmr] [jail]\n' +
  "       jail [-qv] [-f file] -[rR] ['*' | jail ...]\n" +
  '       jail [-dhilqv] [-J jid_file] [-u username] [-U username]\n' +
  '            [-n jailname] [-s securelevel]\n' +
  '            path hostname ip[,...] command ...\n' +
  '       jail [-f file] -e separator\n';

const DEFAULT_STOP_TIMEOUT = 10;
const SHELL_META = /[!"$&'()*;<>?[\\\]`{|}~]/;

/** A failure reported as one stderr line (without the `jail: ` prefix). */
class JailError extends Error {}

/** A failure jail(8) reports without the jail's name even for config jails. */
class UnnamedJailError extends JailError {}

/**
 * `NAME: ` for jails that come from a config file, '' for command-line jails: jail(8) only
 * names jails in its messages when they have a config name.
 */
let notePrefix = '';

interface Options {
  create: boolean;
  modify: boolean;
  remove: boolean;
  removeNoConf: boolean;
  quiet: boolean;
  printJid: boolean;
  verbose: boolean;
  extra: [string, string | null][];
  confFile: string | null;
}

/** Runs `jail argv`; returns the exit status (0 or 1, as jail(8)). */
export function runJail(argv: string[], io: Io): number {
  const opts: Options = {
    create: false,
    modify: false,
    remove: false,
    removeNoConf: false,
    quiet: false,
    printJid: false,
    verbose: false,
    extra: [],
    confFile: null,
  };
  let i = 0;
  for (; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '--') {
      i += 1;
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      break;
    }
    for (let k = 1; k < a.length; k += 1) {
      const c = a[k] as string;
      const takesArg = 'JuUnsfpe'.includes(c);
      let value: string | undefined;
      if (takesArg) {
        value = a.slice(k + 1) || argv[++i];
        if (value === undefined) {
          io.err(`jail: option requires an argument -- ${c}\n${USAGE}`);
          return 1;
        }
        k = a.length;
      }
      switch (c) {
        case 'c':
          opts.create = true;
          break;
        case 'm':
          opts.modify = true;
          break;
        case 'r':
          opts.remove = true;
          break;
        case 'R':
          opts.removeNoConf = true;
          break;
        case 'q':
          opts.quiet = true;
          break;
        case 'i':
          opts.printJid = true;
          opts.quiet = true;
          break;
        case 'v':
          opts.verbose = true;
          break;
        case 'd':
          opts.extra.push(['allow.dying', null]);
          break;
        case 'h':
          opts.extra.push(['ip_hostname', null]);
          break;
        case 'l':
          opts.extra.push(['exec.clean', null]);
          break;
        case 'n':
          opts.extra.push(['name', value ?? '']);
          break;
        case 's':
          opts.extra.push(['securelevel', value ?? '']);
          break;
        case 'u':
          opts.extra.push(['exec.jail_user', value ?? '']);
          break;
        case 'U':
          opts.extra.push(['exec.jail_user', value ?? '']);
          break;
        case 'J':
        case 'p':
          break;
        case 'f':
          opts.confFile = value ?? '';
          break;
        case 'e':
          io.err('jail: simulator: -e is not simulated\n');
          return 1;
        default:
          io.err(`jail: illegal option -- ${c}\n${USAGE}`);
          return 1;
      }
    }
  }
  const args = argv.slice(i);
  try {
    if (opts.removeNoConf || (opts.remove && !opts.create && !opts.modify)) {
      if (opts.create || opts.modify || args.length === 0 || args.some((x) => x.includes('='))) {
        io.err(USAGE);
        return 1;
      }
      const conf = opts.removeNoConf || opts.confFile === null ? null : loadJailConf(opts.confFile);
      return removeJails(args, opts, io, conf);
    }
    if (!opts.create && !opts.modify) {
      io.err(USAGE);
      return 1;
    }
    if (args.length === 0 || !(args[0] as string).includes('=')) {
      return runFromConf(args, opts, io);
    }
    return createOrModify(parseParams([...opts.extra, ...splitArgs(args)]), opts, io);
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: Io): number {
  if (error instanceof ConfError) {
    io.err(`jail: ${error.message}\n`);
    return 1;
  }
  if (error instanceof JailError) {
    io.err(`jail: ${error instanceof UnnamedJailError ? '' : notePrefix}${error.message}\n`);
    return 1;
  }
  throw error;
}

/** `jail [-f FILE] -c|-m|-rc [NAME...]`: jails defined in a jail.conf file. */
function runFromConf(names: string[], opts: Options, io: Io): number {
  const conf = loadJailConf(opts.confFile ?? '/etc/jail.conf');
  const targets = names.length > 0 ? names : conf.jails;
  let status = 0;
  for (const name of targets) {
    notePrefix = `${name}: `;
    try {
      if (!conf.jails.includes(name) && findJail(readState(), name) === undefined) {
        throw new UnnamedJailError(`"${name}" not found`);
      }
      const items = resolveJail(conf, name).flatMap(([k, v]): [string, string | null][] => {
        if (v === null) return [[k, null]];
        const listy = PSEUDO_PARAMS[k] === 'list' || k === 'ip4.addr' || k === 'ip6.addr';
        return listy ? v.map((x): [string, string] => [k, x]) : [[k, v.join(',')]];
      });
      const parsed = parseParams([...opts.extra, ...items]);
      const path = parsed.kernel.find(([k]) => k === 'path')?.[1];
      if (typeof path === 'string' && !path.startsWith('/')) {
        throw new JailError(`path ${path}: not an absolute pathname`);
      }
      const running = findJail(readState(), name);
      if (opts.remove && running !== undefined) {
        removeJails([name], { ...opts, quiet: true }, io, conf);
        if (!opts.quiet) io.out(`${name}: removed\n`);
      } else if (running !== undefined && !opts.modify) {
        throw new UnnamedJailError(`"${name}" already exists`);
      }
      const now = findJail(readState(), name);
      const code =
        now !== undefined
          ? modifyJail(now.jid, parsed, opts, io)
          : createJail(parsed, { ...opts, create: true }, io);
      if (code !== 0) {
        status = 1;
        continue;
      }
      if (!opts.quiet) io.out(`${name}: ${now !== undefined ? 'updated' : 'created'}\n`);
    } catch (error) {
      status |= reportError(error, io);
    }
  }
  notePrefix = '';
  return status;
}

interface Parsed {
  kernel: [string, ParamValue][];
  pseudo: Record<string, ParamValue>;
  /** Kernel params in command-line order as -v prints them. */
  order: string[];
}

function splitArgs(args: string[]): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i] as string;
    const eq = a.indexOf('=');
    if (eq < 0) {
      out.push([a, null]);
      continue;
    }
    const name = a.slice(0, eq);
    if (name === 'command') {
      // command= takes the rest of the command line as its argv.
      out.push(['command', JSON.stringify([a.slice(eq + 1), ...args.slice(i + 1)])]);
      break;
    }
    out.push([name, a.slice(eq + 1)]);
  }
  return out;
}

/** Resolves a possibly `no`-prefixed boolean name to [name, false], or null. */
function negatedBool(name: string): string | null {
  const dot = name.lastIndexOf('.');
  const head = name.slice(0, dot + 1);
  const tail = name.slice(dot + 1);
  if (!tail.startsWith('no')) return null;
  const base = head + tail.slice(2);
  const spec = KERNEL_PARAMS[base];
  if (spec?.type === 'bool' || PSEUDO_PARAMS[base] === 'bool') return base;
  return null;
}

function parseBool(name: string, value: string): boolean {
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  if (/^-?\d+$/.test(value)) return Number(value) !== 0;
  throw new JailError(`${name}: unknown boolean value "${value}"`);
}

function parseParams(items: [string, string | null][]): Parsed {
  const parsed: Parsed = { kernel: [], pseudo: {}, order: [] };
  const setKernel = (name: string, value: ParamValue, append: boolean): void => {
    const idx = parsed.kernel.findIndex(([n]) => n === name);
    if (idx >= 0) {
      const old = parsed.kernel[idx] as [string, ParamValue];
      if (append && Array.isArray(old[1]) && Array.isArray(value)) {
        old[1] = [...old[1], ...value];
      } else {
        old[1] = value;
      }
    } else {
      parsed.kernel.push([name, value]);
      parsed.order.push(name);
    }
  };
  for (const [rawName, value] of items) {
    let name = rawName;
    let boolValue: boolean | null = null;
    if (KERNEL_PARAMS[name] === undefined && PSEUDO_PARAMS[name] === undefined) {
      const base = negatedBool(name);
      if (base === null) {
        throw new JailError(`unknown parameter: ${name}`);
      }
      if (value !== null) {
        throw new JailError(`${name}: unknown parameter`);
      }
      name = base;
      boolValue = false;
    }
    const spec = KERNEL_PARAMS[name];
    if (spec !== undefined) {
      if (spec.readOnly) {
        throw new JailError(`${name}: parameter is read-only`);
      }
      switch (spec.type) {
        case 'bool':
          setKernel(name, boolValue ?? (value === null ? true : parseBool(name, value)), false);
          break;
        case 'jailsys': {
          const v = value ?? 'new';
          const allowed = name === 'vnet' ? ['new', 'inherit'] : ['new', 'inherit', 'disable'];
          if (!allowed.includes(v)) {
            throw new JailError(`${name}: unknown jailsys value "${v}"`);
          }
          setKernel(name, v, false);
          break;
        }
        case 'int':
          if (value === null || !/^-?\d+$/.test(value)) {
            throw new JailError(`${name}: non-integer value "${value ?? ''}"`);
          }
          setKernel(name, String(Number(value)), false);
          break;
        case 'ip4':
        case 'ip6': {
          const list = (value ?? '').split(',').filter((x) => x !== '');
          setKernel(name, list, true);
          break;
        }
        default:
          setKernel(name, value ?? '', false);
      }
      continue;
    }
    const ptype = PSEUDO_PARAMS[name];
    if (ptype === 'bool') {
      parsed.pseudo[name] = boolValue ?? (value === null ? true : parseBool(name, value));
    } else if (ptype === 'int') {
      if (value === null || !/^-?\d+$/.test(value)) {
        throw new JailError(`${name}: non-integer value "${value ?? ''}"`);
      }
      parsed.pseudo[name] = value;
    } else if (ptype === 'list') {
      const old = parsed.pseudo[name];
      const add = name === 'command' ? (JSON.parse(value ?? '[]') as string[]) : [value ?? ''];
      if (name === 'command') {
        parsed.pseudo[name] = add;
      } else {
        parsed.pseudo[name] = [...(Array.isArray(old) ? old : []), ...add];
      }
    } else {
      parsed.pseudo[name] = value ?? '';
    }
  }
  return parsed;
}

/** Splits ip4.addr/ip6.addr extended entries into kernel addresses and host aliases. */
function kernelAddresses(
  parsed: Parsed,
  family: 'ip4' | 'ip6',
): { addrs: string[]; aliases: [string, string][] } {
  const entry = parsed.kernel.find(([n]) => n === `${family}.addr`);
  const list = entry === undefined ? [] : (entry[1] as string[]);
  const defIf = parsed.pseudo['interface'];
  const addrs: string[] = [];
  const aliases: [string, string][] = [];
  for (const raw of list) {
    let rest = raw;
    let iface = typeof defIf === 'string' ? defIf : null;
    const bar = rest.indexOf('|');
    if (bar >= 0) {
      iface = rest.slice(0, bar);
      rest = rest.slice(bar + 1);
    }
    const addrWithMask = rest.split(' ')[0] ?? '';
    const addr = addrWithMask.split('/')[0] ?? '';
    const ok = family === 'ip4' ? /^\d{1,3}(\.\d{1,3}){3}$/.test(addr) : addr.includes(':');
    if (!ok) {
      throw new JailError(
        `${family}.addr: not an ${family === 'ip4' ? 'IPv4' : 'IPv6'} address: ${addr}`,
      );
    }
    addrs.push(addr);
    if (iface !== null) {
      const withMask = addrWithMask.includes('/')
        ? addrWithMask
        : `${addr}/${family === 'ip4' ? 32 : 128}`;
      aliases.push([iface, withMask]);
    }
  }
  return { addrs, aliases };
}

function createOrModify(parsed: Parsed, opts: Options, io: Io): number {
  const nameEntry = parsed.kernel.find(([n]) => n === 'name');
  const jidEntry = parsed.kernel.find(([n]) => n === 'jid');
  const key = (nameEntry?.[1] as string | undefined) ?? (jidEntry?.[1] as string | undefined);
  if (key === undefined) {
    throw new JailError('no jail specified');
  }
  const existing = findJail(readState(), key);
  if (existing !== undefined && opts.remove && opts.create) {
    // -rc: restart, i.e. remove then create.
    if (!removeOne(existing, {}, io)) return 1;
    return createJail(parsed, opts, io);
  }
  if (existing !== undefined) {
    if (!opts.modify) {
      throw new UnnamedJailError(`"${key}" already exists`);
    }
    return modifyJail(existing.jid, parsed, opts, io);
  }
  if (!opts.create) {
    throw new UnnamedJailError(`"${key}" not found`);
  }
  return createJail(parsed, opts, io);
}

function modifyJail(jid: number, parsed: Parsed, opts: Options, io: Io): number {
  updateState((state) => {
    const jail = state.jails.find((j) => j.jid === jid);
    if (jail === undefined) {
      throw new JailError(`"${jid}" not found`);
    }
    for (const [name, value] of parsed.kernel) {
      if (name === 'name' || name === 'jid') continue;
      const spec = KERNEL_PARAMS[name];
      const current = getParam(state, jail, name);
      if (spec?.createOnly && JSON.stringify(current) !== JSON.stringify(value)) {
        throw new JailError(`${name} cannot be changed after creation`);
      }
    }
    for (const [name, value] of parsed.kernel) {
      if (name !== 'name' && name !== 'jid' && name !== 'path') jail.params[name] = value;
    }
  });
  if (opts.verbose) {
    io.out(`jail_set(JAIL_UPDATE)${verboseParams(parsed)}\nupdated\n`);
  }
  return 0;
}

function verboseParams(parsed: Parsed): string {
  return parsed.order
    .map((n) => {
      const v = parsed.kernel.find(([k]) => k === n)?.[1];
      if (v === true) return ` ${n}`;
      if (v === false) {
        const dot = n.lastIndexOf('.');
        return ` ${n.slice(0, dot + 1)}no${n.slice(dot + 1)}`;
      }
      const text = Array.isArray(v) ? v.join(',') : String(v);
      return ` ${n}=${quoteValue(text)}`;
    })
    .join('');
}

function quoteValue(v: string): string {
  if (v === '') return '""';
  if (!/[\s"'\\]/.test(v)) return v;
  const q = v.includes('"') && !v.includes("'") ? "'" : '"';
  return q + v.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`) + q;
}

function createJail(parsed: Parsed, opts: Options, io: Io): number {
  const kernel = Object.fromEntries(parsed.kernel) as Record<string, ParamValue>;
  const commands = [
    ...asList(parsed.pseudo['exec.start']).map((c) => ({ cmd: c, argv: null as string[] | null })),
    ...(Array.isArray(parsed.pseudo['command'])
      ? [
          {
            cmd: (parsed.pseudo['command'] as string[]).join(' '),
            argv: parsed.pseudo['command'] as string[],
          },
        ]
      : []),
  ];
  const userPersist = kernel['persist'] === true;
  if (
    !userPersist &&
    commands.length === 0 &&
    asList(parsed.pseudo['exec.poststart']).length === 0
  ) {
    throw new JailError('new jail must persist or attach');
  }
  const path = resolve(typeof kernel['path'] === 'string' ? kernel['path'] : '/');
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new JailError(`path ${path}: No such file or directory`);
  }
  if (!st.isDirectory()) {
    throw new JailError(`path ${path}: Not a directory`);
  }
  const ip4 = kernelAddresses(parsed, 'ip4');
  const ip6 = kernelAddresses(parsed, 'ip6');
  const vnetIfaces = asList(parsed.pseudo['vnet.interface']);
  const consolelog =
    typeof parsed.pseudo['exec.consolelog'] === 'string'
      ? (parsed.pseudo['exec.consolelog'] as string)
      : null;
  if (consolelog !== null && !consolelog.startsWith('/')) {
    throw new JailError(`exec.consolelog: ${consolelog}: not an absolute pathname`);
  }
  const clean = parsed.pseudo['exec.clean'] === true;
  const timeout = Number(parsed.pseudo['exec.timeout'] ?? 0);

  // Host-side steps that come before the kernel create.
  for (const [iface, addr] of [...ip4.aliases, ...ip6.aliases]) {
    const fam = addr.includes(':') ? 'inet6' : 'inet';
    if (runIfconfig([iface, fam, addr, 'alias'], io) !== 0) {
      io.err(`jail: ${notePrefix}/sbin/ifconfig ${iface} ${fam} ${addr} alias: failed\n`);
      return 1;
    }
  }
  const undoAliases = (): void => {
    for (const [iface, addr] of [...ip4.aliases, ...ip6.aliases].reverse()) {
      const fam = addr.includes(':') ? 'inet6' : 'inet';
      runIfconfig([iface, fam, addr.split('/')[0] ?? '', '-alias'], {
        out: () => {},
        err: () => {},
      });
    }
  };
  const mounted: string[] = [];
  const undoMounts = (): void => {
    for (const target of mounted.reverse()) {
      updateState((state) => {
        const m = findMount(state, target);
        if (m !== undefined) unmountNullfs(state, m, true);
      });
    }
  };
  for (const line of asList(parsed.pseudo['mount'])) {
    const problem = mountFstabLine(line, path);
    if (typeof problem === 'string') {
      io.err(`jail: ${notePrefix}${problem}\n`);
      undoMounts();
      undoAliases();
      return 1;
    }
    mounted.push(problem.target);
  }
  for (const c of asList(parsed.pseudo['exec.prepare']).concat(
    asList(parsed.pseudo['exec.prestart']),
  )) {
    if (!reportRun(c, runHostString(c, clean), io)) {
      undoMounts();
      undoAliases();
      return 1;
    }
  }

  let jail: SimJail;
  try {
    jail = updateState((state) => {
      const name = typeof kernel['name'] === 'string' ? kernel['name'] : undefined;
      const jidWanted = typeof kernel['jid'] === 'string' ? Number(kernel['jid']) : undefined;
      if (jidWanted !== undefined && state.jails.some((j) => j.jid === jidWanted)) {
        throw new JailError(`jail ${jidWanted} already exists`);
      }
      if (name !== undefined && findJail(state, name) !== undefined) {
        throw new JailError(`jail "${name}" already exists`);
      }
      let jid = jidWanted ?? state.nextJid;
      while (jidWanted === undefined && state.jails.some((j) => j.jid === jid)) jid += 1;
      const finalName = name ?? String(jid);
      if (/^\d+$/.test(finalName) && Number(finalName) !== jid) {
        throw new JailError('name cannot be numeric (unless it is the jid)');
      }
      checkParent(state, finalName);
      if (jidWanted === undefined) state.nextJid = jid + 1;
      const params: Record<string, ParamValue> = {};
      for (const [k, v] of parsed.kernel) {
        if (k !== 'name' && k !== 'jid' && k !== 'path') params[k] = v;
      }
      if (ip4.addrs.length > 0) params['ip4.addr'] = ip4.addrs;
      if (ip6.addrs.length > 0) params['ip6.addr'] = ip6.addrs;
      // jail(8) sets persist itself while it starts the jail's commands.
      params['persist'] = true;
      const created: SimJail = {
        jid,
        name: finalName,
        path,
        params,
        pseudo: {
          ...parsed.pseudo,
          _userPersist: userPersist,
          _mounts: mounted,
          _aliases: [...ip4.aliases, ...ip6.aliases].map(([a, b]) => `${a}|${b}`),
        },
        cpusetId: state.nextCpusetId,
        movedIn: [],
      };
      state.nextCpusetId += 1;
      state.jails.push(created);
      return created;
    });
  } catch (error) {
    undoMounts();
    undoAliases();
    throw error;
  }
  if (opts.verbose) {
    const addedPersist = userPersist ? '' : ' persist';
    io.out(`jail_set(JAIL_CREATE)${addedPersist}${verboseParams(parsed)}\n`);
  }

  const fail = (): number => {
    killJailProcesses(jail.jid, 0);
    updateState((state) => {
      const j = state.jails.find((x) => x.jid === jail.jid);
      if (j !== undefined) dropJail(state, j);
    });
    undoMounts();
    undoAliases();
    return 1;
  };
  for (const c of asList(parsed.pseudo['exec.created'])) {
    if (!reportRun(c, runHostString(c, clean), io)) return fail();
  }
  for (const iface of vnetIfaces) {
    if (runIfconfig([iface, 'vnet', String(jail.jid)], io) !== 0) {
      io.err(`jail: ${notePrefix}/sbin/ifconfig ${iface} vnet ${jail.jid}: failed\n`);
      return fail();
    }
  }
  const env = buildJailEnv(jail.jid, clean);
  for (const c of commands) {
    const spec = c.argv !== null ? { argv: c.argv, background: false } : commandArgv(c.cmd);
    const res =
      runSimulatedTool(spec.argv, isVnet(jail) ? jail.jid : -1, false) ??
      runCommand({
        argv: spec.argv,
        root: path,
        env,
        logFile: consolelog,
        background: spec.background,
        ...(timeout > 0 ? { timeoutSec: timeout } : {}),
      });
    if (!reportRun(c.cmd, res, io)) return fail();
  }
  for (const c of asList(parsed.pseudo['exec.poststart'])) {
    if (!reportRun(c, runHostString(c, clean), io)) return fail();
  }
  if (!userPersist) {
    updateState((state) => {
      const j = state.jails.find((x) => x.jid === jail.jid);
      if (j !== undefined) {
        j.params['persist'] = false;
      }
    });
  }
  if (opts.printJid) {
    io.out(`${jail.jid}\n`);
  } else if (opts.verbose) {
    io.out('created\n');
  }
  return 0;
}

/**
 * Mounts one fstab(5) line of the `mount` pseudo-parameter (nullfs only). Returns the target
 * or the error text after `jail: NAME: `.
 */
function mountFstabLine(line: string, jailPath: string): { target: string } | string {
  const fields = line.trim().split(/\s+/).map(unvis);
  if (fields.length < 3) return `mount: ${line}: missing information`;
  const [source = '', target = '', type = '', opts = ''] = fields;
  if (!target.startsWith('/')) return `mount: ${target}: not an absolute pathname`;
  if (target.startsWith(`${jailPath}/`)) {
    let cur = jailPath;
    for (const part of target.slice(jailPath.length + 1).split('/')) {
      cur = `${cur}/${part}`;
      try {
        if (lstatSync(cur).isSymbolicLink()) return `mount: ${cur} is a symbolic link`;
      } catch {
        break;
      }
    }
  }
  if (type !== 'nullfs') return `mount: ${line}: simulator mounts only nullfs`;
  const options = opts === '' ? [] : opts.split(',').filter((o) => o !== 'rw');
  const problem = updateState((state) => mountNullfs(state, source, target, options));
  if (problem !== null) return `mount_nullfs: ${problem}`;
  return { target: realpathSync(target) };
}

/** strunvis(3) for the escapes fstab lines use (`\040` for a space). */
function unvis(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function checkParent(state: SimState, name: string): void {
  const parent = parentName(name);
  if (parent === null) return;
  const pj = state.jails.find((j) => j.name === parent);
  if (pj === undefined) {
    throw new JailError(`jail "${parent}" not found`);
  }
  const max = Number(getParam(state, pj, 'children.max'));
  const cur = state.jails.filter((j) => parentName(j.name) === parent).length;
  if (cur >= max) {
    throw new JailError('prison limit exceeded');
  }
}

function asList(v: ParamValue | undefined): string[] {
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** exec.* strings: shell when a metacharacter is present, else whitespace-split argv. */
function commandArgv(cmd: string): { argv: string[]; background: boolean } {
  let text = cmd.trim();
  let background = false;
  if (/\s&$/.test(text) || (text.endsWith('&') && !text.endsWith('&&'))) {
    const stripped = text.slice(0, -1).trim();
    if (!SHELL_META.test(stripped)) {
      text = stripped;
      background = true;
    }
  }
  if (SHELL_META.test(text)) {
    return { argv: ['/bin/sh', '-c', cmd], background: false };
  }
  return { argv: text.split(/\s+/).filter((x) => x !== ''), background };
}

function runHostString(cmd: string, clean: boolean): RunResult {
  const spec = commandArgv(cmd);
  const simulated = runSimulatedTool(spec.argv, 0, true);
  if (simulated !== null) return simulated;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  void clean;
  return runCommand({ argv: spec.argv, root: null, env, background: spec.background });
}

/**
 * Commands naming a simulated tool are answered by the simulator instead of a Linux binary:
 * on the host (`vnet` 0, every simulated tool, so /sbin/ifconfig never reaches the real
 * network) and inside a vnet jail (`vnet` = JID, only ifconfig and route, the jail's own
 * stack). A `vnet` of -1 means a jail without its own stack: nothing is simulated there.
 * Returns null when the command is not one of them.
 */
function runSimulatedTool(argv: string[], vnet: number, host: boolean): RunResult | null {
  const prog = argv[0];
  if (prog === undefined || vnet < 0) return null;
  const m = /^(?:\/(?:usr\/)?s?bin\/)?([a-z]+)$/.exec(prog);
  const name = m?.[1];
  if (name === undefined) return null;
  const io: Io = processIo;
  const args = argv.slice(1);
  let status: number | null = null;
  if (name === 'ifconfig') status = runIfconfig(args, io, vnet);
  else if (name === 'route') status = runRoute(args, io, vnet);
  else if (host && name === 'pfctl') status = runPfctl(args, io);
  else if (host && name === 'mount') status = runMount(args, io);
  else if (host && name === 'umount') status = runUmount(args, io);
  else if (host && name === 'rctl') status = runRctl(args, io);
  else if (host && name === 'cpuset') status = runCpuset(args, io);
  return status === null ? null : { kind: 'exited', status };
}

/** Prints jail(8)'s line for a failed command; true when the command succeeded. */
function reportRun(cmd: string, res: RunResult, io: Io): boolean {
  switch (res.kind) {
    case 'exited':
      if (res.status === 0) return true;
      io.err(`jail: ${notePrefix}${cmd}: failed\n`);
      return false;
    case 'signaled':
      io.err(`jail: ${notePrefix}${cmd}: exited on signal ${res.signal}\n`);
      return false;
    case 'timeout':
      io.err(`jail: ${notePrefix}${cmd}: timed out\n`);
      return false;
    case 'noexec':
      io.err(`jail: ${notePrefix}exec ${commandArgv(cmd).argv[0] ?? cmd}: ${res.error}\n`);
      return false;
  }
}

function removeJails(args: string[], opts: Options, io: Io, conf: JailConf | null): number {
  const state = readState();
  let targets: SimJail[] = [];
  let status = 0;
  const wildcard = args.includes('*') || args.some((a) => a.endsWith('.*'));
  for (const a of args) {
    if (a === '*') {
      targets.push(...state.jails.filter((j) => parentName(j.name) === null));
      continue;
    }
    if (a.endsWith('.*')) {
      const prefix = a.slice(0, -1);
      targets.push(...state.jails.filter((j) => j.name.startsWith(prefix)));
      continue;
    }
    const j = findJail(state, a);
    if (j === undefined) {
      io.err(`jail: "${a}" not found\n`);
      status = 1;
      continue;
    }
    targets.push(j);
  }
  targets = targets.filter((j, idx) => targets.indexOf(j) === idx);
  const announce = !opts.quiet && (wildcard || args.length > 1 || conf !== null);
  for (const jail of targets) {
    const stop = conf !== null && conf.jails.includes(jail.name) ? stopParams(conf, jail.name) : {};
    notePrefix = conf !== null ? `${jail.name}: ` : '';
    if (!removeOne(jail, stop, io)) {
      status = 1;
      continue;
    }
    if (announce) io.out(`${jail.name}: removed\n`);
  }
  notePrefix = '';
  return status;
}

/** The stop-side pseudo-parameters of a config jail (jail(8) reads them at -r time). */
function stopParams(conf: JailConf, name: string): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of resolveJail(conf, name)) {
    if (PSEUDO_PARAMS[k] === undefined) continue;
    out[k] = v === null ? true : PSEUDO_PARAMS[k] === 'list' ? v : v.join(',');
  }
  return out;
}

/**
 * Stops a jail: exec.prestop and exec.stop from the config (if any), then kills its processes
 * (children first) and drops it, then exec.poststop, unmounts and exec.release.
 */
function removeOne(jail: SimJail, stop: Record<string, ParamValue>, io: Io): boolean {
  const clean = stop['exec.clean'] === true;
  for (const c of asList(stop['exec.prestop'])) {
    if (!reportRun(c, runHostString(c, clean), io)) return false;
  }
  const consolelog = typeof stop['exec.consolelog'] === 'string' ? stop['exec.consolelog'] : null;
  for (const c of asList(stop['exec.stop'])) {
    const spec = commandArgv(c);
    const res =
      runSimulatedTool(spec.argv, isVnet(jail) ? jail.jid : -1, false) ??
      runCommand({
        argv: spec.argv,
        root: jail.path,
        env: buildJailEnv(jail.jid, clean),
        logFile: consolelog,
        background: spec.background,
      });
    if (!reportRun(c, res, io)) return false;
  }
  const tree = readState().jails.filter(
    (j) => j.jid === jail.jid || j.name.startsWith(`${jail.name}.`),
  );
  for (const j of tree.reverse()) {
    const t = stop['stop.timeout'] ?? j.pseudo['stop.timeout'];
    // The simulator keeps stop.timeout from creation so tests can shorten the wait.
    killJailProcesses(j.jid, typeof t === 'string' ? Number(t) : DEFAULT_STOP_TIMEOUT);
  }
  updateState((state) => {
    const j = state.jails.find((x) => x.jid === jail.jid);
    if (j === undefined) return;
    const aliases = asList(j.pseudo['_aliases']);
    dropJail(state, j);
    for (const entry of aliases) {
      const [iface = '', addr = ''] = entry.split('|');
      const ifc = state.ifaces.find((x) => x.name === iface && x.vnet === 0);
      const bare = addr.split('/')[0];
      if (ifc !== undefined) {
        ifc.inet = ifc.inet.filter((x) => x.addr !== bare);
        ifc.inet6 = ifc.inet6.filter((x) => x.addr !== bare);
      }
    }
  });
  if (findJailPids(jail.jid).length > 0) {
    killJailProcesses(jail.jid, 0);
  }
  let ok = true;
  for (const c of asList(stop['exec.poststop'])) {
    ok = reportRun(c, runHostString(c, clean), io) && ok;
  }
  const mounts = asList(jail.pseudo['_mounts']);
  for (const target of [...mounts].reverse()) {
    const problem = updateState((state) => {
      const m = findMount(state, target);
      return m === undefined ? `${target}: not a mount point` : unmountNullfs(state, m, false);
    });
    if (problem !== null) {
      io.err(`jail: ${notePrefix}umount ${target}: ${problem}\n`);
      ok = false;
    }
  }
  for (const c of asList(stop['exec.release'])) {
    ok = reportRun(c, runHostString(c, clean), io) && ok;
  }
  return ok;
}

/** Whether a jail has a network stack of its own (re-exported for jexec). */
export { isVnet };
