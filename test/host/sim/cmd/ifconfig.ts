// SPDX-License-Identifier: BSD-2-Clause
// ifconfig(8) and the in-jail route(8) of the simulated host: cloning epairs, bridges and
// loopbacks, renames, descriptions, addresses, groups, bridge membership and vnet moves, with
// the output and error lines of REFERENCE.md section 5 and SAMPLES.md.

import { findJail, isVnet, notFoundText } from '../state/jails.js';
import type { Io } from '../state/io.js';
import { blankIface, updateState } from '../state/store.js';
import type { SimIface, SimState } from '../state/types.js';

const IFNAMSIZ = 16;
const CLONERS = ['bridge', 'epair', 'lo'];

const FLAG_NAMES: [number, string][] = [
  [0x1, 'UP'],
  [0x2, 'BROADCAST'],
  [0x4, 'DEBUG'],
  [0x8, 'LOOPBACK'],
  [0x10, 'POINTOPOINT'],
  [0x20, 'NEEDSEPOCH'],
  [0x40, 'RUNNING'],
  [0x80, 'NOARP'],
  [0x100, 'PROMISC'],
  [0x200, 'ALLMULTI'],
  [0x400, 'OACTIVE'],
  [0x800, 'SIMPLEX'],
  [0x1000, 'LINK0'],
  [0x2000, 'LINK1'],
  [0x4000, 'LINK2'],
  [0x8000, 'MULTICAST'],
  [0x1000000, 'LOWER_UP'],
];

/** A failure that ends the command: the whole stderr line and the exit status. */
class IfError extends Error {
  constructor(readonly line: string) {
    super(line);
  }
}

/**
 * Runs `ifconfig argv` against the interfaces of one vnet: 0 is the host, a JID is that
 * jail's own stack (used by jexec for vnet jails).
 */
export function runIfconfig(argv: string[], io: Io, vnet = 0): number {
  // Each ifconfig step is its own ioctl on FreeBSD, so steps done before an error stay done.
  return updateState((state) => {
    try {
      return ifconfig(state, argv, io, vnet);
    } catch (error) {
      if (error instanceof IfError) {
        io.err(`ifconfig: ${error.line}\n`);
        return 1;
      }
      throw error;
    }
  });
}

/**
 * Runs `route argv` in a vnet: only the default route is simulated (`add`, `delete`,
 * `change`, `get`), which is what a jail's network setup needs.
 */
export function runRoute(argv: string[], io: Io, vnet = 0): number {
  return updateState((state) => route(state, argv, io, vnet));
}

/** Formats one interface exactly as ifconfig prints it. */
export function formatIface(state: SimState, ifc: SimIface): string {
  const flags = ifaceFlags(ifc);
  let text = `${ifc.name}: flags=${flags.toString(16)}<${flagNames(flags)}> metric 0 mtu ${ifc.mtu}\n`;
  if (ifc.description !== null) {
    text += `\tdescription: ${ifc.description}\n`;
  }
  text += `\toptions=${optionsOf(ifc)}\n`;
  if (ifc.ether !== null) {
    text += `\tether ${ifc.ether}\n`;
  }
  for (const a of ifc.inet) {
    text += `\tinet ${a.addr} netmask 0x${maskHex(a.prefix)}`;
    if (ifc.kind !== 'loopback') {
      text += ` broadcast ${broadcastOf(a.addr, a.prefix)}`;
    }
    text += '\n';
  }
  for (const a of ifc.inet6) {
    text += `\tinet6 ${a.addr} prefixlen ${a.prefix}\n`;
  }
  if (ifc.kind === 'bridge') {
    const mac = ifc.ether ?? '00:00:00:00:00:00';
    text += `\tid ${mac} priority 32768 hellotime 2 fwddelay 15\n`;
    text += '\tmaxage 20 holdcnt 6 proto rstp maxaddr 2000 timeout 1200\n';
    text += `\troot id ${mac} priority 32768 ifcost 0 port 0\n`;
    for (const m of ifc.members) {
      const member = state.ifaces.find((i) => i.name === m && i.vnet === ifc.vnet);
      text += `\tmember: ${m} flags=143<LEARNING,DISCOVER,AUTOEDGE,AUTOPTP>\n`;
      text += `\t        ifmaxaddr 0 port ${member?.index ?? 0} priority 128 path cost 2000\n`;
    }
  }
  if (ifc.groups.length > 0) {
    text += `\tgroups: ${ifc.groups.join(' ')}\n`;
  }
  if (ifc.kind === 'epair') {
    text += '\tmedia: Ethernet 10Gbase-T (10Gbase-T <full-duplex>)\n\tstatus: active\n';
  } else if (ifc.kind === 'ether') {
    text += '\tmedia: Ethernet autoselect (1000baseT <full-duplex>)\n\tstatus: active\n';
  }
  text += `\tnd6 options=${nd6Of(ifc)}\n`;
  return text;
}

function ifconfig(state: SimState, argv: string[], io: Io, vnet: number): number {
  const local = (): SimIface[] =>
    state.ifaces.filter((i) => i.vnet === vnet).sort((a, b) => a.index - b.index);
  const first = argv[0];
  if (first === undefined || first === '-a') {
    io.out(
      local()
        .map((i) => formatIface(state, i))
        .join(''),
    );
    return 0;
  }
  if (first === '-l') {
    const mode = argv[1];
    const names = local()
      .filter((i) => (mode === '-u' ? i.up : mode === '-d' ? !i.up : true))
      .map((i) => i.name);
    io.out(`${names.join(' ')}\n`);
    return 0;
  }
  if (first === '-C') {
    io.out(`${CLONERS.join(' ')}\n`);
    return 0;
  }
  if (first === '-g') {
    const group = argv[1] ?? '';
    for (const i of local().filter((x) => x.groups.includes(group))) {
      io.out(`${i.name}\n`);
    }
    return 0;
  }
  if (first.startsWith('-')) {
    io.err(
      'usage: ifconfig [-j jail] [-f type:format] [-L] [-C] [-g groupname] interface address_family\n',
    );
    return 1;
  }
  const requested = first;
  let rest = argv.slice(1);
  let ifc: SimIface;
  let printName = false;
  let created = false;
  if (rest[0] === 'create' || rest[0] === 'plumb') {
    ifc = cloneIface(state, requested, vnet);
    printName = ifc.name !== requested;
    created = true;
    rest = rest.slice(1);
  } else if (rest[0] === '-vnet') {
    // The interface lives in the jail, so it is looked up there, not in the caller's vnet.
    const key = rest[1];
    if (key === undefined) {
      throw new IfError("'-vnet' requires argument");
    }
    const jail = findJail(state, key);
    if (jail === undefined) {
      throw new IfError(notFoundText(key));
    }
    const moved = state.ifaces.find((i) => i.name === requested && i.vnet === jail.jid);
    if (moved === undefined || !isVnet(jail)) {
      throw new IfError(`SIOCSIFRVNET(${jail.jid}, ${requested}): Invalid argument`);
    }
    moveIface(state, moved, vnet);
    jail.movedIn = jail.movedIn.filter((n) => n !== requested);
    return 0;
  } else {
    const found = state.ifaces.find((i) => i.name === requested && i.vnet === vnet);
    if (found === undefined) {
      throw new IfError(`interface ${requested} does not exist`);
    }
    ifc = found;
  }
  if (rest.length === 0 && !created) {
    io.out(formatIface(state, ifc));
  }
  let addrOp: 'destroyed' | 'ok';
  try {
    addrOp = applyCommands(state, ifc, rest, vnet, io, () => {
      printName = true;
    });
  } catch (error) {
    if (printName) {
      // The clone exists whatever failed after it (a failed rename leaks it).
      io.out(`${ifc.name}\n`);
    }
    throw error;
  }
  if (addrOp === 'destroyed') {
    return 0;
  }
  if (printName) {
    io.out(`${ifc.name}\n`);
  }
  return 0;
}

function applyCommands(
  state: SimState,
  ifc: SimIface,
  args: string[],
  vnet: number,
  io: Io,
  onRename: () => void,
): 'destroyed' | 'ok' {
  let af: 'inet' | 'inet6' | null = null;
  let addr: string | null = null;
  let netmask: number | null = null;
  let alias = false;
  let remove = false;
  const need = (i: number, what: string): string => {
    const v = args[i + 1];
    if (v === undefined) {
      throw new IfError(`'${what}' requires argument`);
    }
    return v;
  };
  for (let i = 0; i < args.length; i += 1) {
    const a = args[i] as string;
    switch (a) {
      case 'destroy':
      case 'unplumb':
        destroyIface(state, ifc);
        return 'destroyed';
      case 'name': {
        renameIface(state, ifc, need(i, a), vnet);
        onRename();
        i += 1;
        break;
      }
      case 'description':
      case 'descr':
        ifc.description = need(i, a);
        i += 1;
        break;
      case '-description':
      case '-descr':
        ifc.description = null;
        break;
      case 'up':
        ifc.up = true;
        break;
      case 'down':
        ifc.up = false;
        break;
      case 'mtu': {
        const v = need(i, a);
        if (!/^\d+$/.test(v) || Number(v) < 72 || Number(v) > 65535) {
          throw new IfError('ioctl SIOCSIFMTU (set mtu): Invalid argument');
        }
        if (ifc.memberOf !== null) {
          throw new IfError('ioctl SIOCSIFMTU (set mtu): Operation not supported');
        }
        ifc.mtu = Number(v);
        i += 1;
        break;
      }
      case 'addm':
        addMember(state, ifc, need(i, a), vnet);
        i += 1;
        break;
      case 'deletem':
        deleteMember(state, ifc, need(i, a), vnet);
        i += 1;
        break;
      case 'group': {
        const g = need(i, a);
        if (/\d$/.test(g)) {
          throw new IfError('setifgroup: group names may not end in a digit');
        }
        if (g.length >= IFNAMSIZ) {
          throw new IfError('setifgroup: group name too long');
        }
        if (!ifc.groups.includes(g)) {
          ifc.groups.push(g);
        }
        i += 1;
        break;
      }
      case '-group': {
        const g = need(i, a);
        if (!ifc.groups.includes(g)) {
          throw new IfError('setifgroup: SIOCDIFGROUP: No such file or directory');
        }
        ifc.groups = ifc.groups.filter((x) => x !== g);
        i += 1;
        break;
      }
      case 'vnet': {
        vnetMove(state, ifc, need(i, a), vnet);
        i += 1;
        break;
      }
      case 'inet':
      case 'inet6':
        af = a;
        break;
      case 'alias':
      case 'add':
        alias = true;
        break;
      case '-alias':
      case 'delete':
        remove = true;
        break;
      case 'netmask': {
        netmask = parseNetmask(need(i, a));
        i += 1;
        break;
      }
      case 'prefixlen': {
        const v = need(i, a);
        if (!/^\d+$/.test(v) || Number(v) > 128) {
          throw new IfError(`${v}: bad value`);
        }
        netmask = Number(v);
        i += 1;
        break;
      }
      case 'broadcast':
        i += 1;
        break;
      default:
        if (addr === null && !a.startsWith('-')) {
          addr = a;
          af ??= a.includes(':') ? 'inet6' : 'inet';
          break;
        }
        throw new IfError(`${a}: bad value`);
    }
  }
  if (addr !== null && af !== null) {
    changeAddress(state, ifc, af, addr, netmask, alias, remove, vnet);
  } else if (remove) {
    throw new IfError("ioctl (SIOCDIFADDR): Can't assign requested address");
  }
  void io;
  return 'ok';
}

function cloneIface(state: SimState, requested: string, vnet: number): SimIface {
  if (requested.length >= IFNAMSIZ) {
    throw new IfError(`${requested}: cloning name too long`);
  }
  if (state.ifaces.some((i) => i.name === requested && i.vnet === vnet)) {
    throw new IfError(`interface ${requested} already exists`);
  }
  const m = /^(bridge|epair|lo)(\d*)$/.exec(requested);
  if (m === null || (m[2] !== '' && m[2] !== String(Number(m[2])))) {
    throw new IfError('SIOCIFCREATE2: Invalid argument');
  }
  const cloner = m[1] as string;
  const used = new Set(state.ifaces.filter((i) => i.cloner === cloner).map((i) => i.unit));
  let unit: number;
  if (m[2] !== '') {
    unit = Number(m[2]);
    if (used.has(unit)) {
      throw new IfError('SIOCIFCREATE2: File exists');
    }
  } else {
    unit = 0;
    while (used.has(unit)) {
      unit += 1;
    }
  }
  const make = (name: string, kind: SimIface['kind']): SimIface => {
    const ifc = blankIface(name, state.nextIfIndex, kind);
    state.nextIfIndex += 1;
    ifc.cloner = cloner;
    ifc.unit = unit;
    ifc.vnet = vnet;
    ifc.groups = [cloner];
    state.ifaces.push(ifc);
    return ifc;
  };
  if (cloner === 'epair') {
    const a = make(`epair${unit}a`, 'epair');
    const b = make(`epair${unit}b`, 'epair');
    const hex = (unit & 0xff).toString(16).padStart(2, '0');
    const hi = ((unit >> 8) & 0xff).toString(16).padStart(2, '0');
    a.ether = `02:5c:7e:${hi}:${hex}:0a`;
    b.ether = `02:5c:7e:${hi}:${hex}:0b`;
    a.peer = b.name;
    b.peer = a.name;
    return a;
  }
  if (cloner === 'bridge') {
    const br = make(`bridge${unit}`, 'bridge');
    const idx = br.index.toString(16).padStart(4, '0');
    br.ether = `58:9c:fc:10:${idx.slice(0, 2)}:${idx.slice(2)}`;
    return br;
  }
  const lo = make(`lo${unit}`, 'loopback');
  lo.mtu = 16384;
  lo.nd6Disabled = false;
  return lo;
}

function destroyIface(state: SimState, ifc: SimIface): void {
  if (ifc.cloner === null || (ifc.cloner === 'lo' && ifc.unit === 0)) {
    throw new IfError('SIOCIFDESTROY: Invalid argument');
  }
  const gone = [ifc];
  if (ifc.kind === 'epair' && ifc.peer !== null) {
    // Destroying either end destroys the pair, wherever the other end is.
    const peer = state.ifaces.find((i) => i.cloner === 'epair' && i.unit === ifc.unit && i !== ifc);
    if (peer !== undefined) {
      gone.push(peer);
    }
  }
  for (const g of gone) {
    if (g.memberOf !== null) {
      const br = state.ifaces.find((i) => i.name === g.memberOf && i.vnet === g.vnet);
      if (br !== undefined) {
        br.members = br.members.filter((n) => n !== g.name);
      }
    }
    if (g.kind === 'bridge') {
      // Members are detached, not destroyed.
      for (const m of state.ifaces.filter((i) => i.memberOf === g.name && i.vnet === g.vnet)) {
        m.memberOf = null;
      }
    }
    for (const jail of state.jails) {
      jail.movedIn = jail.movedIn.filter((n) => !(n === g.name && g.vnet === jail.jid));
    }
  }
  state.ifaces = state.ifaces.filter((i) => !gone.includes(i));
}

function renameIface(state: SimState, ifc: SimIface, newName: string, vnet: number): void {
  if (newName.length >= IFNAMSIZ) {
    throw new IfError('ioctl SIOCSIFNAME (set name): File name too long');
  }
  if (state.ifaces.some((i) => i.name === newName && i.vnet === vnet)) {
    throw new IfError('ioctl SIOCSIFNAME (set name): File exists');
  }
  const old = ifc.name;
  for (const i of state.ifaces.filter((x) => x.vnet === vnet)) {
    if (i.peer === old) i.peer = newName;
    i.members = i.members.map((n) => (n === old ? newName : n));
    if (i.memberOf === old) i.memberOf = newName;
  }
  for (const i of state.ifaces) {
    if (i.peer === old && i.cloner === 'epair' && i.unit === ifc.unit) i.peer = newName;
  }
  ifc.name = newName;
}

function addMember(state: SimState, br: SimIface, name: string, vnet: number): void {
  const m = state.ifaces.find((i) => i.name === name && i.vnet === vnet);
  if (br.kind !== 'bridge') {
    throw new IfError(`BRDGADD ${name}: Invalid argument`);
  }
  if (m === undefined) {
    throw new IfError(`BRDGADD ${name}: No such file or directory`);
  }
  if (m.memberOf === br.name) {
    throw new IfError(`BRDGADD ${name}: File exists`);
  }
  if (m.memberOf !== null || m.kind === 'bridge' || m.kind === 'loopback') {
    throw new IfError(
      `BRDGADD ${name}: ${m.memberOf !== null ? 'Device busy' : 'Invalid argument'}`,
    );
  }
  m.memberOf = br.name;
  m.mtu = br.members.length === 0 ? m.mtu : br.mtu;
  if (br.members.length === 0) br.mtu = m.mtu;
  br.members.unshift(m.name);
}

function deleteMember(state: SimState, br: SimIface, name: string, vnet: number): void {
  const m = state.ifaces.find((i) => i.name === name && i.vnet === vnet);
  if (br.kind !== 'bridge') {
    throw new IfError(`BRDGDEL ${name}: Invalid argument`);
  }
  if (m === undefined || m.memberOf !== br.name) {
    throw new IfError(`BRDGDEL ${name}: No such file or directory`);
  }
  m.memberOf = null;
  br.members = br.members.filter((n) => n !== name);
}

function vnetMove(state: SimState, ifc: SimIface, key: string, vnet: number): void {
  const jail = findJail(state, key);
  if (jail === undefined) {
    throw new IfError(notFoundText(key));
  }
  if (!isVnet(jail) || jail.jid === vnet) {
    // A jail without its own stack shares the host's, so the interface is already there.
    throw new IfError('SIOCSIFVNET: File exists');
  }
  moveIface(state, ifc, jail.jid);
  if (!jail.movedIn.includes(ifc.name)) {
    jail.movedIn.push(ifc.name);
  }
}

/** Moving to another vnet detaches the interface: no addresses, no bridge, down. */
function moveIface(state: SimState, ifc: SimIface, to: number): void {
  if (state.ifaces.some((i) => i.name === ifc.name && i.vnet === to)) {
    throw new IfError('SIOCSIFVNET: File exists');
  }
  if (ifc.memberOf !== null) {
    const br = state.ifaces.find((i) => i.name === ifc.memberOf && i.vnet === ifc.vnet);
    if (br !== undefined) br.members = br.members.filter((n) => n !== ifc.name);
    ifc.memberOf = null;
  }
  ifc.vnet = to;
  ifc.inet = [];
  ifc.inet6 = [];
  ifc.up = false;
}

function changeAddress(
  state: SimState,
  ifc: SimIface,
  af: 'inet' | 'inet6',
  spec: string,
  netmask: number | null,
  alias: boolean,
  remove: boolean,
  vnet: number,
): void {
  const [addrText = '', prefixText] = spec.split('/');
  if (af === 'inet') {
    if (
      !isIPv4(addrText) ||
      (prefixText !== undefined && !/^\d+$/.test(prefixText)) ||
      Number(prefixText) > 32
    ) {
      throw new IfError(`${spec}: bad value`);
    }
    const prefix =
      prefixText !== undefined ? Number(prefixText) : (netmask ?? classfulPrefix(addrText));
    if (remove) {
      const before = ifc.inet.length;
      ifc.inet = ifc.inet.filter((x) => x.addr !== addrText);
      if (ifc.inet.length === before) {
        throw new IfError("ioctl (SIOCDIFADDR): Can't assign requested address");
      }
      return;
    }
    if (
      state.ifaces.some(
        (i) => i !== ifc && i.vnet === vnet && i.inet.some((x) => x.addr === addrText),
      )
    ) {
      throw new IfError('ioctl (SIOCAIFADDR): File exists');
    }
    const existing = ifc.inet.find((x) => x.addr === addrText);
    if (existing !== undefined) {
      existing.prefix = prefix;
    } else if (!alias && ifc.inet.length > 0) {
      ifc.inet[0] = { addr: addrText, prefix };
    } else {
      ifc.inet.push({ addr: addrText, prefix });
    }
    ifc.up = true;
    return;
  }
  if (
    !isIPv6(addrText) ||
    (prefixText !== undefined && (!/^\d+$/.test(prefixText) || Number(prefixText) > 128))
  ) {
    throw new IfError(`${spec}: bad value`);
  }
  const prefix = prefixText !== undefined ? Number(prefixText) : (netmask ?? 64);
  const norm = addrText.toLowerCase();
  if (remove) {
    const before = ifc.inet6.length;
    ifc.inet6 = ifc.inet6.filter((x) => x.addr !== norm);
    if (ifc.inet6.length === before) {
      throw new IfError("ioctl (SIOCDIFADDR_IN6): Can't assign requested address");
    }
    return;
  }
  const existing = ifc.inet6.find((x) => x.addr === norm);
  if (existing !== undefined) {
    existing.prefix = prefix;
  } else {
    ifc.inet6.push({ addr: norm, prefix });
  }
  ifc.nd6Disabled = false;
  ifc.up = true;
}

function route(state: SimState, argv: string[], io: Io, vnet: number): number {
  const inet6 = argv.includes('-inet6') || argv.includes('-6');
  const args = argv.filter((a) => !['-n', '-q', '-net', '-inet', '-inet6', '-4', '-6'].includes(a));
  const [verb, dest, gw] = args;
  // Each family has its own default route in each vnet.
  const key = inet6 ? `${vnet}:inet6` : String(vnet);
  if (dest !== 'default' && dest !== '0.0.0.0/0' && dest !== '::/0') {
    io.err('route: simulator supports only the default route\n');
    return 1;
  }
  if (verb === 'add' || verb === 'change') {
    if (gw === undefined || (inet6 ? !isIPv6(gw.split('%')[0] ?? '') : !isIPv4(gw))) {
      io.err(`route: bad address: ${gw ?? ''}\n`);
      return 1;
    }
    if (verb === 'add' && state.routes[key] !== undefined) {
      io.out(`add net default: gateway ${gw} fib 0: route already in table\n`);
      return 1;
    }
    if (verb === 'change' && state.routes[key] === undefined) {
      io.out(`change net default: gateway ${gw} fib 0: not in table\n`);
      return 1;
    }
    if (routeInterface(state, vnet, gw, inet6) === undefined) {
      io.out(`${verb} net default: gateway ${gw} fib 0: Network is unreachable\n`);
      return 1;
    }
    state.routes[key] = gw;
    io.out(`${verb} net default: gateway ${gw}\n`);
    return 0;
  }
  if (verb === 'delete') {
    const cur = state.routes[key];
    if (cur === undefined) {
      io.out('delete net default: not in table\n');
      return 1;
    }
    delete state.routes[key];
    io.out(`delete net default: gateway ${cur}\n`);
    return 0;
  }
  if (verb === 'get') {
    const cur = state.routes[key];
    if (cur === undefined) {
      io.err('route: route has not been found\n');
      return 1;
    }
    const via = routeInterface(state, vnet, cur, inet6);
    io.out(
      '   route to: default\ndestination: default\n       mask: default\n' +
        `    gateway: ${cur}\n        fib: 0\n  interface: ${via?.name ?? ''}\n` +
        '      flags: <UP,GATEWAY,DONE,STATIC>\n' +
        ' recvpipe  sendpipe  ssthresh  rtt,msec    mtu        weight    expire\n' +
        `       0         0         0         0      ${String(via?.mtu ?? 1500).padEnd(5)}` +
        '         1         0 \n',
    );
    return 0;
  }
  io.err('usage: route [-46dnqtv] command [[modifiers] args]\n');
  return 1;
}

/** The up interface whose network holds the gateway (IPv6: any up interface with inet6). */
function routeInterface(
  state: SimState,
  vnet: number,
  gw: string,
  inet6: boolean,
): SimIface | undefined {
  return state.ifaces.find(
    (i) =>
      i.vnet === vnet &&
      i.up &&
      (inet6 ? i.inet6.length > 0 : i.inet.some((a) => sameNet(a.addr, gw, a.prefix))),
  );
}

function ifaceFlags(ifc: SimIface): number {
  let f = ifc.kind === 'loopback' ? 0x8 | 0x8000 : 0x2 | 0x800 | 0x8000;
  if (ifc.up) f |= 0x1 | 0x40 | 0x1000000;
  if (ifc.memberOf !== null) f |= 0x100;
  return f;
}

function flagNames(flags: number): string {
  return FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0)
    .map(([, n]) => n)
    .join(',');
}

function optionsOf(ifc: SimIface): string {
  if (ifc.kind === 'loopback') return '680003<RXCSUM,TXCSUM,LINKSTATE,RXCSUM_IPV6,TXCSUM_IPV6>';
  if (ifc.kind === 'bridge') return '0';
  if (ifc.kind === 'epair') return '8<VLAN_MTU>';
  return '481009b<RXCSUM,TXCSUM,VLAN_MTU,VLAN_HWTAGGING,VLAN_HWCSUM,LINKSTATE,VLAN_HWFILTER>';
}

function nd6Of(ifc: SimIface): string {
  if (ifc.kind === 'loopback') return '21<PERFORMNUD,AUTO_LINKLOCAL>';
  if (ifc.kind === 'bridge') return ifc.nd6Disabled ? '9<PERFORMNUD,IFDISABLED>' : '1<PERFORMNUD>';
  return ifc.nd6Disabled
    ? '29<PERFORMNUD,IFDISABLED,AUTO_LINKLOCAL>'
    : '21<PERFORMNUD,AUTO_LINKLOCAL>';
}

/** Whether a string is a dotted-quad IPv4 address. */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

/** Whether a string is an IPv6 address (textual check, enough for the simulator). */
export function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const dbl = s.split('::').length - 1;
  if (dbl > 1) return false;
  const groups = s.split(':').filter((g) => g !== '');
  if (groups.some((g) => g.length > 4 && !isIPv4(g))) return false;
  return dbl === 1 ? groups.length <= 7 : groups.length === 8;
}

function ipToInt(s: string): number {
  return s.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function maskInt(prefix: number): number {
  return prefix === 0 ? 0 : 0xffffffff - (2 ** (32 - prefix) - 1);
}

function maskHex(prefix: number): string {
  return maskInt(prefix).toString(16).padStart(8, '0');
}

function broadcastOf(addr: string, prefix: number): string {
  const host = 2 ** (32 - prefix) - 1;
  return intToIp(ipToInt(addr) - (ipToInt(addr) % (host + 1)) + host);
}

function sameNet(a: string, b: string, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(ipToInt(a) / size) === Math.floor(ipToInt(b) / size);
}

function classfulPrefix(addr: string): number {
  const first = Number(addr.split('.')[0]);
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

function parseNetmask(v: string): number {
  let n: number;
  if (/^0x[0-9a-fA-F]{1,8}$/.test(v)) {
    n = parseInt(v.slice(2), 16);
  } else if (isIPv4(v)) {
    n = ipToInt(v);
  } else {
    throw new IfError(`${v}: bad value`);
  }
  const bits = n.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(bits)) {
    throw new IfError(`${v}: bad value`);
  }
  return bits.indexOf('0') < 0 ? 32 : bits.indexOf('0');
}
