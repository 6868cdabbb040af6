// SPDX-License-Identifier: BSD-2-Clause
// Host interface names for networks and jail attachments. A name is a fixed prefix plus a short
// hash of a stable identity, never a user's name with a prefix, so it always fits the 15 bytes
// of IFNAMSIZ and never carries characters ifconfig or pf would trip on.

import { hashHex, memoize } from './hash.js';

const shortHash = memoize((input) => hashHex(input, 9));

/** Longest interface name FreeBSD accepts (IFNAMSIZ minus the terminating NUL). */
export const MAX_IFACE_NAME = 15;

/** Bridge of a vnet network: `sb` and 8 hex digits. */
export function bridgeName(network: string): string {
  return `sb${shortHash(`bridge:${network}`).slice(0, 8)}`;
}

/** Cloned loopback of a shared network: `sl` and 8 hex digits. */
export function loopbackName(network: string): string {
  return `sl${shortHash(`loopback:${network}`).slice(0, 8)}`;
}

/** Host (`a`) end of the epair joining `jail` to `network`: `se`, 9 hex digits, `a`. */
export function epairName(jail: string, network: string): string {
  return `se${shortHash(`epair:${jail}:${network}`)}a`;
}

/** The jail (`b`) end of an epair whose host end is `hostEnd`. */
export function epairJailEnd(hostEnd: string): string {
  return `${hostEnd.slice(0, -1)}b`;
}

/** Description written on a network interface: the ownership mark and the human name. */
export function netifDescription(network: string): string {
  return `stockade:net:${network}`;
}

/** Description written on an epair: the ownership mark and the human names. */
export function epairDescription(jail: string, network: string): string {
  return `stockade:jail:${jail}:${network}`;
}
