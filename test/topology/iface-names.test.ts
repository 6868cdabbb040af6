// SPDX-License-Identifier: BSD-2-Clause
// Interface names: a fixed prefix plus a hash, at most 15 bytes, never built from a user's name.

import { describe, expect, it } from 'vitest';

import {
  bridgeName,
  epairJailEnd,
  epairName,
  loopbackName,
  MAX_IFACE_NAME,
} from '../../src/topology/iface-names.js';

describe('interface names', () => {
  it('fits 15 bytes for any jail and network name', () => {
    const long = 'reportingdb10x1-with-a-name-far-longer-than-ifnamsiz';

    expect(epairName(long, long)).toMatch(/^se[0-9a-f]{9}a$/);
    expect(epairName(long, long).length).toBeLessThanOrEqual(MAX_IFACE_NAME);
    expect(bridgeName(long)).toMatch(/^sb[0-9a-f]{8}$/);
    expect(loopbackName(long)).toMatch(/^sl[0-9a-f]{8}$/);
  });

  it('gives distinct names to long, similar jail names', () => {
    expect(epairName('reportingdb10x1', 'net')).not.toBe(epairName('reportingdb1x1', 'net'));
    expect(epairName('web-0', 'a')).not.toBe(epairName('web-0', 'b'));
  });

  it('never carries characters from the jail name', () => {
    expect(epairName('web.frontend', 'n')).not.toContain('.');
    expect(epairName('web-frontend', 'n').slice(2, -1)).toMatch(/^[0-9a-f]+$/);
  });

  it('gives the jail end of an epair the b suffix', () => {
    const host = epairName('web-0', 'frontend');

    expect(epairJailEnd(host)).toBe(`${host.slice(0, -1)}b`);
  });

  it('is stable across calls', () => {
    expect(epairName('web-0', 'frontend')).toBe(epairName('web-0', 'frontend'));
    expect(bridgeName('frontend')).not.toBe(loopbackName('frontend').replace('sl', 'sb'));
  });
});
