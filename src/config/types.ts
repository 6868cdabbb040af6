// SPDX-License-Identifier: BSD-2-Clause
// The node's own configuration as the rest of the code sees it, after defaults are applied.

export interface RepositoryConfig {
  url: string;
  branch: string;
  /** Folder inside the repository that holds the manifests. */
  path: string;
  /** HTTP basic or token credentials, read from a file or an environment variable. */
  credentials?: { username?: string; passwordFile?: string; passwordEnv?: string };
  statusBranch: string;
  allowForcePush: boolean;
  /**
   * How to reach the remote: `auto` uses isomorphic-git for HTTP(S) and the system git client
   * for SSH; `cli` uses the system git client for HTTP(S) too, which is several times faster on
   * large repositories (docs/performance.md).
   */
  transport?: 'auto' | 'http' | 'cli';
  /** SSH remotes only: the pinned host keys and the private key the system git client uses. */
  knownHostsFile?: string;
  identityFile?: string;
}

export interface PolicyConfig {
  /** jail(8) parameters manifests may set through `parameters`. */
  allowedParameters: string[];
  /** Host path prefixes manifests may reference (reserved for future host mounts). */
  allowedHostPaths: string[];
  /** Ceilings per jail; a manifest asking for more is refused. */
  maxMemory?: string;
  maxPcpu?: number;
  maxReplicas: number;
  /** Prune guard: the largest share of managed jails one plan may remove, 0..1. */
  maxPruneRatio: number;
  /** Allow a plan that removes every managed jail. */
  allowPruneAll: boolean;
}

export interface NodeConfig {
  name: string;
  labels: Record<string, string>;
  repository: RepositoryConfig;
  pollInterval: number;
  /**
   * Seconds between full runs on a commit already applied. A poll or webhook in between that
   * fetches nothing new ends after the fetch; the health monitor watches the host meanwhile.
   * 0 reads the host and plans on every poll.
   */
  resyncInterval: number;
  webhook?: { listen: string; secretFile?: string; secretEnv?: string; maxBodyBytes: number };
  metrics?: { listen: string };
  zfs: {
    /** Root dataset Stockade owns, e.g. zroot/stockade. */
    root: string;
    /** Where the root dataset is mounted; `/<root>` when absent, as ZFS mounts it by default. */
    mountpoint?: string;
    rollbackPoints: { keep: number; maxAgeSeconds: number };
  };
  pf: { externalInterface: string; anchor: string };
  /** Release archives by name (14.2-RELEASE -> /usr/freebsd-dist/base.txz). */
  releases: Record<string, string>;
  policy: PolicyConfig;
  selfHeal: boolean;
  stateDir: string;
  /** Absolute paths of host tools; defaults to FreeBSD's. */
  tools: Partial<Record<ToolName, string>>;
}

export type ToolName =
  | 'jail'
  | 'jls'
  | 'jexec'
  | 'zfs'
  | 'zpool'
  | 'ifconfig'
  | 'pfctl'
  | 'rctl'
  | 'cpuset'
  | 'mount'
  | 'umount'
  | 'tar'
  | 'sysctl'
  | 'kldstat'
  | 'git';

/** FreeBSD locations of each tool. */
export const DEFAULT_TOOLS: Record<ToolName, string> = {
  jail: '/usr/sbin/jail',
  jls: '/usr/sbin/jls',
  jexec: '/usr/sbin/jexec',
  zfs: '/sbin/zfs',
  zpool: '/sbin/zpool',
  ifconfig: '/sbin/ifconfig',
  pfctl: '/sbin/pfctl',
  rctl: '/usr/bin/rctl',
  cpuset: '/usr/bin/cpuset',
  mount: '/sbin/mount',
  umount: '/sbin/umount',
  tar: '/usr/bin/tar',
  sysctl: '/sbin/sysctl',
  kldstat: '/sbin/kldstat',
  git: '/usr/local/bin/git',
};
