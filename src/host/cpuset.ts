// SPDX-License-Identifier: BSD-2-Clause
// Adapter for cpuset(1) on jails. cpuset -j reads its argument with atoi(), so callers pass a
// JID they resolved, never a name.

import type { HostContext } from './context.js';

/** Parses `cpuset -g -j JID`: `jail 7 mask: 0, 1`. */
export function parseCpusetMask(text: string): number[] {
  const match = /^jail \d+ mask: (.*)$/m.exec(text);
  if (match === null) {
    return [];
  }
  return (match[1] ?? '')
    .split(',')
    .map((cpu) => Number(cpu.trim()))
    .filter((cpu) => Number.isInteger(cpu));
}

/** Expands a cpuset list (`0-1,4`) into sorted CPU numbers; undefined for `all` or bad input. */
export function expandCpuList(list: string): number[] | undefined {
  const cpus = new Set<number>();
  for (const part of list.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (range === null) {
      return undefined;
    }
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    for (let cpu = from; cpu <= to; cpu += 1) {
      cpus.add(cpu);
    }
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The CPUs jail `jid` may run on. */
export async function getJailMask(ctx: HostContext, jid: number): Promise<number[]> {
  const { stdout } = await ctx.runner.run('cpuset', ['-g', '-j', String(jid)]);
  return parseCpusetMask(stdout);
}

/** `cpuset -l LIST -j JID`. */
export async function setJailMask(ctx: HostContext, jid: number, list: string): Promise<void> {
  await ctx.runner.run('cpuset', ['-l', list, '-j', String(jid)]);
}
