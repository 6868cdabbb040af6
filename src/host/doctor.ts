// SPDX-License-Identifier: BSD-2-Clause
// The host prerequisites `stockade doctor` checks, as data: each check runs read-only commands
// through the runner and, when something is missing, says how to fix it. Nothing here changes
// the host.

import type { HostContext } from './context.js';

/** The outcome of one check. */
export interface CheckResult {
  id: string;
  title: string;
  ok: boolean;
  /** What was seen, one line. */
  detail: string;
  /** Commands or config lines that fix it; empty when ok. */
  fix: string[];
}

/** One prerequisite: how to probe it, read-only. */
export interface DoctorCheck {
  id: string;
  title: string;
  run(ctx: HostContext): Promise<Omit<CheckResult, 'id' | 'title'>>;
}

/** The lowest Node.js major version Stockade runs on. */
export const MIN_NODE_MAJOR = 20;

/** Every check, in the order they are printed. */
export const CHECKS: DoctorCheck[] = [
  {
    id: 'node',
    title: `Node.js ${MIN_NODE_MAJOR} or newer`,
    run: async () => checkNode(process.versions.node),
  },
  {
    id: 'racct',
    title: 'resource limits enforced (kern.racct.enable=1)',
    run: async (ctx) => {
      const out = await tryRun(ctx, 'sysctl', ['-n', 'kern.racct.enable']);
      if (out.ok && out.stdout.trim() === '1') {
        return pass('kern.racct.enable is 1');
      }
      const detail = out.ok
        ? `kern.racct.enable is ${out.stdout.trim()}: rctl limits are not enforced`
        : out.error;
      return fail(detail, [
        'add kern.racct.enable=1 to /boot/loader.conf',
        'reboot (it is a boot-time tunable)',
      ]);
    },
  },
  {
    id: 'pf',
    title: 'pf loaded and enabled',
    run: async (ctx) => {
      const out = await tryRun(ctx, 'pfctl', ['-s', 'info']);
      if (out.ok && /^Status: Enabled/m.test(out.stdout)) {
        return pass('pf is enabled');
      }
      return fail(out.ok ? 'pf is disabled' : out.error, [
        'sysrc pf_enable=YES',
        'service pf start',
      ]);
    },
  },
  {
    id: 'pf-anchors',
    title: "pf hooks for Stockade's anchors in the main ruleset",
    run: async (ctx) => checkAnchorHooks(ctx),
  },
  moduleCheck('if_bridge', 'if_bridge(4) available'),
  moduleCheck('if_epair', 'epair(4) available'),
  {
    id: 'zfs-root',
    title: "ZFS pool and Stockade's root dataset",
    run: async (ctx) => checkRoot(ctx),
  },
];

/** Runs every check; a check that throws is reported as failed, never aborts the others. */
export async function runChecks(
  ctx: HostContext,
  checks: DoctorCheck[] = CHECKS,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const outcome = await check.run(ctx);
    results.push({ id: check.id, title: check.title, ...outcome });
  }
  return results;
}

/** Compares a Node.js version string with MIN_NODE_MAJOR. */
export function checkNode(version: string): Omit<CheckResult, 'id' | 'title'> {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) {
    return pass(`node ${version}`);
  }
  return fail(`node ${version} is too old`, ['pkg install -y node22']);
}

async function checkAnchorHooks(ctx: HostContext): Promise<Omit<CheckResult, 'id' | 'title'>> {
  const rules = await tryRun(ctx, 'pfctl', ['-s', 'rules']);
  const nat = await tryRun(ctx, 'pfctl', ['-s', 'nat']);
  if (!rules.ok) {
    return fail(rules.error, ['load pf first (see the pf check)']);
  }
  if (!nat.ok) {
    return fail(nat.error, ['load pf first (see the pf check)']);
  }
  const hook = `"${ctx.anchor}/*"`;
  const wanted: [string, string][] = [
    ['nat-anchor', nat.stdout],
    ['rdr-anchor', nat.stdout],
    ['anchor', rules.stdout],
  ];
  const missing = wanted.filter(
    ([kind, text]) => !text.split('\n').some((line) => line.startsWith(`${kind} ${hook}`)),
  );
  if (missing.length === 0) {
    return pass(`nat-anchor, rdr-anchor and anchor ${hook} are loaded`);
  }
  return fail(
    `missing from the loaded ruleset: ${missing.map(([kind]) => `${kind} ${hook}`).join(', ')}`,
    [
      ...missing.map(([kind]) => `add to /etc/pf.conf, in its section: ${kind} ${hook}`),
      'pfctl -nf /etc/pf.conf && service pf reload',
    ],
  );
}

async function checkRoot(ctx: HostContext): Promise<Omit<CheckResult, 'id' | 'title'>> {
  const pool = ctx.root.split('/')[0] ?? ctx.root;
  const zpool = await tryRun(ctx, 'zpool', ['list', '-H', '-o', 'name', pool]);
  if (!zpool.ok) {
    return fail(`pool '${pool}' not found: ${zpool.error}`, [`zpool create ${pool} <device>`]);
  }
  const root = await tryRun(ctx, 'zfs', [
    'get',
    '-H',
    '-p',
    '-o',
    'value',
    'stockade:managed',
    ctx.root,
  ]);
  if (!root.ok) {
    return fail(`dataset '${ctx.root}' not found`, [
      `zfs create -p -o stockade:managed=true -o stockade:role=root ${ctx.root}`,
    ]);
  }
  if (root.stdout.trim() !== 'true') {
    return fail(`dataset '${ctx.root}' is not marked as Stockade's`, [
      `zfs set stockade:managed=true ${ctx.root}`,
    ]);
  }
  return pass(`${ctx.root} exists and is marked`);
}

function moduleCheck(module: string, title: string): DoctorCheck {
  return {
    id: module,
    title,
    run: async (ctx) => {
      const out = await tryRun(ctx, 'kldstat', ['-q', '-m', module]);
      if (out.ok) {
        return pass(`${module} is loaded`);
      }
      return fail(`${module} is not loaded`, [`kldload ${module}`, `sysrc kld_list+=${module}`]);
    },
  };
}

async function tryRun(
  ctx: HostContext,
  tool: Parameters<HostContext['runner']['run']>[0],
  args: string[],
): Promise<{ ok: true; stdout: string } | { ok: false; error: string }> {
  try {
    const { stdout } = await ctx.runner.run(tool, args);
    return { ok: true, stdout };
  } catch (err) {
    // A failing probe is the finding itself, reported in the check's result.
    ctx.logger.debug({ err }, 'doctor probe failed');
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function pass(detail: string): Omit<CheckResult, 'id' | 'title'> {
  return { ok: true, detail, fix: [] };
}

function fail(detail: string, fix: string[]): Omit<CheckResult, 'id' | 'title'> {
  return { ok: false, detail, fix };
}
