// SPDX-License-Identifier: BSD-2-Clause
// Parameters of the simulated jail(8): param=value arguments and jail.conf values checked
// against the kernel and pseudo-parameter tables, with jail(8)'s own error texts.

import { KERNEL_PARAMS, PSEUDO_PARAMS } from '../state/jails.js';
import type { ParamValue } from '../state/types.js';

/** A failure reported as one stderr line (without the `jail: ` prefix). */
export class JailError extends Error {}

/** A failure jail(8) reports without the jail's name even for config jails. */
export class UnnamedJailError extends JailError {}

export interface Parsed {
  kernel: [string, ParamValue][];
  pseudo: Record<string, ParamValue>;
  /** Kernel params in command-line order as -v prints them. */
  order: string[];
}

export function splitArgs(args: string[]): [string, string | null][] {
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
export function negatedBool(name: string): string | null {
  const dot = name.lastIndexOf('.');
  const head = name.slice(0, dot + 1);
  const tail = name.slice(dot + 1);
  if (!tail.startsWith('no')) return null;
  const base = head + tail.slice(2);
  const spec = KERNEL_PARAMS[base];
  if (spec?.type === 'bool' || PSEUDO_PARAMS[base] === 'bool') return base;
  return null;
}

export function parseBool(name: string, value: string): boolean {
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  if (/^-?\d+$/.test(value)) return Number(value) !== 0;
  throw new JailError(`${name}: unknown boolean value "${value}"`);
}

export function parseParams(items: [string, string | null][]): Parsed {
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
export function kernelAddresses(
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

export function verboseParams(parsed: Parsed): string {
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

export function quoteValue(v: string): string {
  if (v === '') return '""';
  if (!/[\s"'\\]/.test(v)) return v;
  const q = v.includes('"') && !v.includes("'") ? "'" : '"';
  return q + v.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`) + q;
}

export function asList(v: ParamValue | undefined): string[] {
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
