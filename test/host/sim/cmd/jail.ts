// SPDX-License-Identifier: BSD-2-Clause
// jail(8) of the simulated host for command-line use: create, modify and remove jails from
// param=value arguments, running exec.* commands and `command=` as real chrooted processes.

import { statSync } from 'node:fs';
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
import { findMount, unmountNullfs } from '../state/mounts.js';
import { buildJailEnv, findJailPids, killJailProcesses, runCommand } from '../state/procs.js';
import { readState, updateState } from '../state/store.js';
import type { ParamValue, SimJail, SimState } from '../state/types.js';
import { runIfconfig } from './ifconfig.js';
import { ConfError, type JailConf, loadJailConf, resolveJail } from './jail-conf.js';
import {
  commandArgv,
  mountFstabLine,
  note,
  reportRun,
  runHostString,
  runSimulatedTool,
} from './jail-exec.js';
import {
  asList,
  JailError,
  kernelAddresses,
  type Parsed,
  parseParams,
  splitArgs,
  UnnamedJailError,
  verboseParams,
} from './jail-params.js';

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
    io.err(`jail: ${error instanceof UnnamedJailError ? '' : note.prefix}${error.message}\n`);
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
    note.prefix = `${name}: `;
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
  note.prefix = '';
  return status;
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
  // The simulator mounts no devfs, but a missing mount point fails as it would on FreeBSD.
  if (parsed.pseudo['mount.devfs'] === true && !isDirectory(`${path}/dev`)) {
    throw new JailError(`mount.devfs: ${path}/dev: No such file or directory`);
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
      io.err(`jail: ${note.prefix}/sbin/ifconfig ${iface} ${fam} ${addr} alias: failed\n`);
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
      io.err(`jail: ${note.prefix}${problem}\n`);
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
    killJailProcesses(jail.jid, 0, jail.path);
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
      io.err(`jail: ${note.prefix}/sbin/ifconfig ${iface} vnet ${jail.jid}: failed\n`);
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
    note.prefix = conf !== null ? `${jail.name}: ` : '';
    if (!removeOne(jail, stop, io)) {
      status = 1;
      continue;
    }
    if (announce) io.out(`${jail.name}: removed\n`);
  }
  note.prefix = '';
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
    killJailProcesses(j.jid, typeof t === 'string' ? Number(t) : DEFAULT_STOP_TIMEOUT, j.path);
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
  if (findJailPids(jail.jid, jail.path).length > 0) {
    killJailProcesses(jail.jid, 0, jail.path);
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
      io.err(`jail: ${note.prefix}umount ${target}: ${problem}\n`);
      ok = false;
    }
  }
  for (const c of asList(stop['exec.release'])) {
    ok = reportRun(c, runHostString(c, clean), io) && ok;
  }
  return ok;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
