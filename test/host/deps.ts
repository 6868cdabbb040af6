// SPDX-License-Identifier: BSD-2-Clause
// Finds the Debian packages the test host needs (zfs-fuse, busybox-static, git, xz-utils) and,
// when allowed, installs the missing ones with apt-get. Every command is spawned from an argv
// array; nothing here goes through a shell.

import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import path from 'node:path';

import { execa } from 'execa';

import { TestHostError } from './test-host-error.js';

/** The Debian packages the test host needs, in the order they are reported. */
export const SYSTEM_PACKAGES = ['zfs-fuse', 'busybox-static', 'git', 'xz-utils', 'tar'] as const;

export type SystemPackage = (typeof SYSTEM_PACKAGES)[number];

/** Absolute paths of the real programs the test host runs. */
export interface SystemTools {
  zfs: string;
  zpool: string;
  zfsFuse: string;
  /** A statically linked busybox, so it runs inside a chroot that holds nothing else. */
  busybox: string;
  git: string;
  tar: string;
  xz: string;
}

/** What a look at the machine found: the tools present and the packages to install. */
export interface SystemProbe {
  tools: Partial<SystemTools>;
  missing: SystemPackage[];
}

/**
 * Makes sure every package in SYSTEM_PACKAGES is installed and returns the tools' paths.
 *
 * When packages are missing, `install` is true, the process runs as root and the machine is
 * Debian, it runs `apt-get update` (once per process) and `apt-get install -y` for exactly the
 * missing packages. Otherwise it rejects with TEST_HOST_PACKAGES_MISSING, whose `data.packages`
 * lists what to install.
 */
export async function ensureSystemPackages({
  install,
}: {
  install: boolean;
}): Promise<SystemTools> {
  let probe = await probeSystemTools();
  if (probe.missing.length === 0) return probe.tools as SystemTools;

  const canInstall = install && isRoot() && (await isDebian());
  if (!canInstall) throw missingPackagesError(probe.missing, install);

  await installPackages(probe.missing);
  probe = await probeSystemTools();
  if (probe.missing.length > 0) throw missingPackagesError(probe.missing, install);
  return probe.tools as SystemTools;
}

/** Looks for each tool on PATH and in the system folders, without installing anything. */
export async function probeSystemTools(
  searchPath: string[] = systemSearchPath(),
): Promise<SystemProbe> {
  const tools: Partial<SystemTools> = {};
  const missing = new Set<SystemPackage>();
  const wanted: [keyof SystemTools, string, SystemPackage][] = [
    ['zfsFuse', 'zfs-fuse', 'zfs-fuse'],
    ['zfs', 'zfs', 'zfs-fuse'],
    ['zpool', 'zpool', 'zfs-fuse'],
    ['busybox', 'busybox', 'busybox-static'],
    ['git', 'git', 'git'],
    ['xz', 'xz', 'xz-utils'],
    ['tar', 'tar', 'tar'],
  ];
  for (const [key, program, pkg] of wanted) {
    const found = await findExecutable(program, searchPath);
    // The dynamically linked busybox package installs the same path, but it cannot run in a
    // jail root that holds no shared libraries.
    if (found === undefined || (key === 'busybox' && !(await isStaticElf(found)))) {
      missing.add(pkg);
    } else {
      tools[key] = found;
    }
  }
  return { tools, missing: SYSTEM_PACKAGES.filter((p) => missing.has(p)) };
}

/** The first executable file named `program` in `dirs`, or undefined. */
export async function findExecutable(program: string, dirs: string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = path.join(dir, program);
    try {
      const info = await stat(candidate);
      if (!info.isFile()) continue;
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Absent or not executable here: the next folder may have it.
    }
  }
  return undefined;
}

/** True when `file` is an ELF executable without a program interpreter (statically linked). */
export async function isStaticElf(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const header = Buffer.alloc(64);
    await handle.read(header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return false;

    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (b: Buffer, o: number) => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64
      ? Number(little ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20))
      : u32(header, 0x1c);
    const phentsize = u16(header, is64 ? 0x36 : 0x2a);
    const phnum = u16(header, is64 ? 0x38 : 0x2c);

    const table = Buffer.alloc(phentsize * phnum);
    await handle.read(table, 0, table.length, phoff);
    const PT_INTERP = 3;
    for (let i = 0; i < phnum; i++) {
      if (u32(table, i * phentsize) === PT_INTERP) return false;
    }
    return true;
  } finally {
    await handle.close();
  }
}

/** PATH first, then the usual system folders, since a non-login root shell may lack sbin. */
function systemSearchPath(): string[] {
  const fromEnv = (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  const system = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  return [...new Set([...fromEnv, ...system])];
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

async function isDebian(): Promise<boolean> {
  try {
    await access('/etc/debian_version');
    return true;
  } catch {
    return false;
  }
}

let aptUpdated = false;

async function installPackages(packages: SystemPackage[]): Promise<void> {
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  try {
    if (!aptUpdated) {
      await execa('apt-get', ['update', '-qq'], { env });
      aptUpdated = true;
    }
    await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      env,
    });
  } catch (err) {
    throw new TestHostError(
      'TEST_HOST_PACKAGES_MISSING',
      `failed to install system packages: ${packages.join(' ')}`,
      { data: { packages }, cause: err },
    );
  }
}

function missingPackagesError(packages: SystemPackage[], install: boolean): TestHostError {
  const why = install ? 'installing needs root on Debian' : 'installing was not asked for';
  return new TestHostError(
    'TEST_HOST_PACKAGES_MISSING',
    `the test host needs system packages that are missing (${why}): ` +
      `run apt-get install -y ${packages.join(' ')}`,
    { data: { packages } },
  );
}
