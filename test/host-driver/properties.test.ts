// SPDX-License-Identifier: BSD-2-Clause
// Property tests: records survive the trip through ZFS user properties for any content, and
// rctl rules read back exactly as they are written.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeRecord, encodeRecord, RECORD_CHUNKS } from '../../src/host/marks.js';
import { formatJailRule, parseRctl } from '../../src/host/rctl.js';

describe('record encoding', () => {
  it('decodes what it encodes, every chunk within 8192 bytes', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.string({ maxLength: 3000, unit: 'binary' })),
        (value) => {
          let marks: Record<string, string>;
          try {
            marks = encodeRecord('stockade:jail', value);
          } catch {
            // Values too large for the chunks are refused, which the next assertion covers.
            expect(JSON.stringify(value).length).toBeGreaterThan(RECORD_CHUNKS * 7000);
            return;
          }
          expect(Object.values(marks).every((v) => Buffer.byteLength(v) <= 8192)).toBe(true);
          expect(decodeRecord(marks, 'stockade:jail')).toEqual(value);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('rctl rules', () => {
  it('parse back to the rule that was formatted', () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/);
    const word = fc.stringMatching(/^[a-z]{2,12}$/);
    const amount = fc.bigInt({ min: 0n, max: 2n ** 62n }).map(String);
    fc.assert(
      fc.property(name, word, word, amount, (jail, resource, action, value) => {
        const rule = { resource, action, amount: value };

        const [parsed] = parseRctl(`${formatJailRule(jail, rule)}\n`);

        expect(parsed).toEqual({ subject: 'jail', id: jail, ...rule });
      }),
    );
  });
});
