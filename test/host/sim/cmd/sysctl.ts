// SPDX-License-Identifier: BSD-2-Clause
// sysctl(8) and kldstat(8) of the simulated host: the few OIDs and kernel modules a jail
// controller checks (RACCT, release, jail settings, pf/bridge/epair modules).

import type { Io } from '../state/io.js';
import { OS_RELEASE, OS_RELDATE } from '../state/jails.js';
import { readState, updateState } from '../state/store.js';
import type { SimState } from '../state/types.js';

/** OIDs that can only be set as loader tunables. */
const TUNABLES = new Set(['kern.racct.enable']);
/** OIDs that can be written at run time. */
const WRITABLE = new Set([
  'net.inet.ip.forwarding',
  'net.inet6.ip6.forwarding',
  'net.link.bridge.pfil_member',
  'net.link.bridge.pfil_bridge',
  'security.jail.allow_raw_sockets',
  'kern.hostname',
]);

function oids(state: SimState): Record<string, string> {
  const base: Record<string, string> = {
    'kern.ostype': 'FreeBSD',
    'kern.osrelease': OS_RELEASE,
    'kern.osreldate': OS_RELDATE,
    'kern.hostname': process.env['STOCKADE_SIM_HOSTNAME'] ?? 'stockade-test',
    'kern.racct.enable': process.env['STOCKADE_SIM_RACCT'] === '0' ? '0' : '1',
    'hw.ncpu': process.env['STOCKADE_SIM_NCPU'] ?? '2',
    'net.inet.ip.forwarding': '0',
    'net.inet6.ip6.forwarding': '0',
    'net.link.bridge.pfil_member': '1',
    'net.link.bridge.pfil_bridge': '0',
    'security.jail.jailed': '0',
    'security.jail.vnet': '0',
    'security.jail.jail_max_af_ips': '255',
    'security.jail.enforce_statfs': '2',
    'security.jail.allow_raw_sockets': '0',
    'security.jail.children.max': '999999',
    'security.jail.children.cur': String(state.jails.length),
  };
  return { ...base, ...state.sysctls };
}

/** Runs `sysctl argv`. */
export function runSysctl(argv: string[], io: Io): number {
  let valueOnly = false;
  let quiet = false;
  let ignoreUnknown = false;
  const names: string[] = [];
  for (const a of argv) {
    if (/^-[nqiNb]+$/.test(a)) {
      valueOnly ||= a.includes('n');
      quiet ||= a.includes('q');
      ignoreUnknown ||= a.includes('i');
    } else if (a.startsWith('-')) {
      io.err(
        `sysctl: illegal option -- ${a.slice(1)}\nusage: sysctl [-bdehiNnoqTtWx] [ -B <bufsize> ] [-f filename] name[=value] ...\n       sysctl [-bdehNnoqTtWx] [ -B <bufsize> ] -a\n`,
      );
      return 1;
    } else {
      names.push(a);
    }
  }
  let status = 0;
  for (const arg of names) {
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const state = readState();
    const table = oids(state);
    const matching = Object.keys(table)
      .filter((k) => k === name || k.startsWith(`${name}.`))
      .sort();
    if (matching.length === 0) {
      if (!ignoreUnknown) {
        if (!quiet) io.err(`sysctl: unknown oid '${name}'\n`);
        status = 1;
      }
      continue;
    }
    if (eq >= 0) {
      if (TUNABLES.has(name)) {
        io.err(
          `sysctl: oid '${name}' is a read only tunable\nsysctl: Tunable values are set in /boot/loader.conf\n`,
        );
        status = 1;
        continue;
      }
      if (!WRITABLE.has(name)) {
        io.err(`sysctl: oid '${name}' is read only\n`);
        status = 1;
        continue;
      }
      const value = arg.slice(eq + 1);
      const old = table[name] ?? '';
      updateState((s) => {
        s.sysctls[name] = value;
      });
      io.out(valueOnly ? `${value}\n` : `${name}: ${old} -> ${value}\n`);
      continue;
    }
    for (const k of matching) {
      io.out(valueOnly ? `${table[k]}\n` : `${k}: ${table[k]}\n`);
    }
  }
  return status;
}

/** Kernel modules the simulated host has loaded (minus STOCKADE_SIM_NO_KLD). */
export function loadedModules(): string[] {
  const removed = (process.env['STOCKADE_SIM_NO_KLD'] ?? '').split(',');
  return ['pf', 'if_bridge', 'if_epair'].filter((m) => !removed.includes(m));
}

/** Runs `kldstat argv`. */
export function runKldstat(argv: string[], io: Io): number {
  let quiet = false;
  let mod: string | null = null;
  let file: string | null = null;
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i] as string;
    if (a === '-q') quiet = true;
    else if (a === '-m') mod = argv[++i] ?? '';
    else if (a === '-n') file = argv[++i] ?? '';
    else if (a === '-v' || a === '-d') continue;
    else {
      io.err('usage: kldstat [-dhqv] [-i id] [-n filename]\n       kldstat [-dq] [-m modname]\n');
      return 1;
    }
  }
  const mods = loadedModules();
  const files = mods.map((m, idx) => ({ id: idx + 2, name: `${m}.ko`, mod: m }));
  if (mod !== null) {
    const f = files.find((x) => x.mod === mod);
    if (f === undefined) {
      if (!quiet) io.err(`kldstat: can't find module ${mod}: No such file or directory\n`);
      return 1;
    }
    if (!quiet)
      io.out(`Id  Refs Name\n${String(f.id + 500).padStart(3)} ${'1'.padStart(4)} ${mod}\n`);
    return 0;
  }
  const header = 'Id Refs Address                Size Name\n';
  const line = (id: number, refs: number, name: string): string =>
    `${String(id).padStart(2)} ${String(refs).padStart(4)} 0xffffffff${(0x82000000 + id * 0x100000).toString(16)} ${'5a0f0'.padStart(8)} ${name}\n`;
  if (file !== null) {
    const want = file.endsWith('.ko') ? file : `${file}.ko`;
    const f = files.find((x) => x.name === want);
    if (f === undefined) {
      if (!quiet) io.err(`kldstat: can't find file ${file}: No such file or directory\n`);
      return 1;
    }
    if (!quiet) io.out(header + line(f.id, 1, f.name));
    return 0;
  }
  io.out(
    header + line(1, files.length + 1, 'kernel') + files.map((f) => line(f.id, 1, f.name)).join(''),
  );
  return 0;
}
