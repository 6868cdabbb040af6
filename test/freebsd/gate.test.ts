// SPDX-License-Identifier: BSD-2-Clause
// The gate of the FreeBSD-only suite, tested on every platform: it runs only on FreeBSD, as
// root, with a scratch dataset and a release archive, and otherwise names what is missing.

import { describe, expect, it } from 'vitest';

import { skipReason } from './environment.js';

const ready = {
  STOCKADE_FREEBSD_DATASET: 'zroot/stockade-test',
  STOCKADE_FREEBSD_RELEASE: '/usr/freebsd-dist/base.txz',
};

describe('FreeBSD suite gate', () => {
  it('runs on FreeBSD as root with a dataset and a release', () => {
    expect(skipReason({ platform: 'freebsd', uid: 0, vars: ready })).toBeUndefined();
  });

  it('names the platform, the user and each missing variable', () => {
    expect(skipReason({ platform: 'linux', uid: 0, vars: ready })).toBe('not FreeBSD (linux)');
    expect(skipReason({ platform: 'freebsd', uid: 1001, vars: ready })).toBe(
      'not root (jail, zfs and pfctl need root)',
    );
    expect(
      skipReason({ platform: 'freebsd', uid: 0, vars: { ...ready, STOCKADE_FREEBSD_DATASET: '' } }),
    ).toBe('STOCKADE_FREEBSD_DATASET is not set (a scratch dataset, e.g. zroot/stockade-test)');
    expect(
      skipReason({
        platform: 'freebsd',
        uid: 0,
        vars: { ...ready, STOCKADE_FREEBSD_DATASET: 'zroot' },
      }),
    ).toBe("STOCKADE_FREEBSD_DATASET='zroot' is not a dataset below a pool (pool/name)");
    expect(
      skipReason({ platform: 'freebsd', uid: 0, vars: { STOCKADE_FREEBSD_DATASET: 'zroot/t' } }),
    ).toBe('STOCKADE_FREEBSD_RELEASE is not set (a base.txz)');
  });
});
