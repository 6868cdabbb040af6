// SPDX-License-Identifier: BSD-2-Clause
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  explainValue,
  findRuleByPattern,
  NAME_RULE,
  parsePercent,
  parseSize,
  SIZE_RULE,
  VALUE_RULES,
} from '../../src/manifest/names.js';

describe('value rules', () => {
  it('have unique patterns and codes, so a schema error maps to exactly one rule', () => {
    expect(new Set(VALUE_RULES.map((r) => r.pattern)).size).toBe(VALUE_RULES.length);
    expect(new Set(VALUE_RULES.map((r) => r.code)).size).toBe(VALUE_RULES.length);
    for (const rule of VALUE_RULES) {
      expect(findRuleByPattern(rule.pattern)).toBe(rule);
    }
  });

  it.each([
    ['web', true],
    ['w', true],
    ['web-2', true],
    ['a'.repeat(32), true],
    ['a'.repeat(33), false],
    ['web.example', false],
    ['42', false],
    ['2web', false],
    ['-web', false],
    ['web-', false],
    ['Web', false],
    ['web_1', false],
    ['', false],
  ])('name %j valid: %s', (name, valid) => {
    expect(new RegExp(NAME_RULE.pattern, 'u').test(name)).toBe(valid);
  });

  it('every accepted name is safe for jail(8), zfs(8), pf and a replica suffix', () => {
    const re = new RegExp(NAME_RULE.pattern, 'u');
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        if (!re.test(s)) return;
        expect(s).not.toMatch(/[^a-z0-9-]/);
        expect(s).not.toMatch(/^[0-9]+$/);
        expect(`${s}-255`.length).toBeLessThanOrEqual(36);
      }),
    );
  });

  it('explains the first offending character or the FreeBSD reason', () => {
    expect(explainValue(NAME_RULE, 'a.b')).toBe(
      '"a.b" contains a dot; jail(8) would read it as a jail inside another',
    );
    expect(explainValue(NAME_RULE, 'a;b')).toMatch(/^character ";" \(U\+003B\) is not allowed: /);
    expect(explainValue(NAME_RULE, 'a\u0000')).toMatch(/^control character NUL \(U\+0000\)/);
    expect(explainValue(SIZE_RULE, '1'.repeat(20))).toBe('is 20 characters long; the limit is 16');
  });

  it('parses sizes in powers of 1024 and percentages', () => {
    expect(parseSize('512M')).toBe(512n * 1024n * 1024n);
    expect(parseSize('1T')).toBe(1n << 40n);
    expect(parseSize('100')).toBe(100n);
    expect(parseSize('1.5G')).toBeUndefined();
    expect(parsePercent('50%')).toBe(50);
    expect(parsePercent('50')).toBeUndefined();
  });
});
