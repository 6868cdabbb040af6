// SPDX-License-Identifier: BSD-2-Clause
// Renders the pf rules of Stockade's anchors in the translation syntax FreeBSD 14.x accepts
// (nat/rdr rules, not match ... nat-to). Rules name interfaces literally because an anchor loaded
// with `pfctl -a` cannot see the main ruleset's macros. Pure.

import type { NetworkDoc, ServiceDoc } from '../manifest/types.js';
import { parsePrefix } from './addresses.js';
import { hashHex } from './hash.js';
import type { AnchorNode } from './types.js';

/** pf keeps table names in PF_TABLE_NAME_SIZE (32) bytes including the NUL. */
const MAX_TABLE_NAME = 31;

/** Anchor path of a network: `<anchor>/net-<network>`. */
export function networkAnchorPath(anchor: string, network: string): string {
  return `${anchor}/net-${network}`;
}

/** Anchor path of a published service: `<anchor>/svc-<service>`. */
export function serviceAnchorPath(anchor: string, service: string): string {
  return `${anchor}/svc-${service}`;
}

/** The pf table holding a service's endpoints: `svc_<service>`, hashed when too long for pf. */
export function serviceTableName(service: string): string {
  const name = `svc_${service}`;
  return name.length <= MAX_TABLE_NAME ? name : `svc_${hashHex(service, 16)}`;
}

/**
 * Rules of a network's anchor: outbound NAT through the external interface when `nat`, then,
 * when isolated (the default), a quick block of traffic into this network from every other
 * network of the same family that is not listed in `allowFrom`. Undefined when there are none.
 */
export function renderNetworkAnchor(
  network: NetworkDoc,
  all: NetworkDoc[],
  options: { anchor: string; externalInterface: string },
): AnchorNode | undefined {
  const own = parsePrefix(network.spec.cidr);
  const family = own.family === 4 ? 'inet' : 'inet6';
  const ext = options.externalInterface;
  const rules: string[] = [];
  if (network.spec.nat === true) {
    rules.push(`nat on ${ext} ${family} from ${network.spec.cidr} to any -> (${ext})`);
  }

  if (network.spec.isolated !== false) {
    const allowed = new Set(network.spec.allowFrom ?? []);
    const others = all
      .filter((n) => n.metadata.name !== network.metadata.name && !allowed.has(n.metadata.name))
      .sort((a, b) => compareText(a.metadata.name, b.metadata.name));
    for (const other of others) {
      if (parsePrefix(other.spec.cidr).family !== own.family) continue;
      rules.push(`block drop quick ${family} from ${other.spec.cidr} to ${network.spec.cidr}`);
    }
  }

  if (rules.length === 0) return undefined;
  return { path: networkAnchorPath(options.anchor, network.metadata.name), rules };
}

/**
 * Rules of a service's anchor for every port with a hostPort: an rdr from the external
 * interface's address to the service table with round-robin, the same rdr on lo0 so that the
 * host itself reaches the published port at its external address (needs
 * net.pf.filter_local=1 and no `set skip on lo0`), and pass rules for the translated packets.
 * Undefined when the service publishes nothing.
 */
export function renderServiceAnchor(
  service: ServiceDoc,
  options: { anchor: string; externalInterface: string; families: (4 | 6)[] },
): AnchorNode | undefined {
  const published = service.spec.ports.filter((p) => p.hostPort !== undefined);
  if (published.length === 0) return undefined;

  const ext = options.externalInterface;
  const table = `<${serviceTableName(service.metadata.name)}>`;
  const translation: string[] = [];
  const filter: string[] = [];
  for (const family of options.families.map((f) => (f === 4 ? 'inet' : 'inet6'))) {
    for (const port of published) {
      const proto = port.protocol ?? 'tcp';
      const target = port.targetPort ?? port.port;
      const match = `${family} proto ${proto} from any to (${ext}) port ${port.hostPort}`;
      const redirect = `-> ${table} port ${target} round-robin`;
      translation.push(`rdr on ${ext} ${match} ${redirect}`);
      translation.push(`rdr on lo0 ${match} ${redirect}`);
      const pass = `${family} proto ${proto} from any to ${table} port ${target} keep state`;
      filter.push(`pass in on ${ext} ${pass}`);
      filter.push(`pass in on lo0 ${pass}`);
    }
  }

  // Translation rules come before filter rules, as pf requires inside a ruleset.
  const path = serviceAnchorPath(options.anchor, service.metadata.name);
  return { path, rules: [...translation, ...filter] };
}

/** Byte-order comparison, independent of the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
