// SPDX-License-Identifier: BSD-2-Clause
// The table formatter and the statistics the benchmarks report with.

import { describe, expect, it } from 'vitest';

import {
  formatMs,
  formatTable,
  median,
  skippedRow,
  slope,
  toMb,
  verdictOf,
} from '../../bench/table.js';

describe('formatTable', () => {
  it('pads every column to its widest cell and prints the verdicts', () => {
    const text = formatTable([
      { benchmark: 'plan', metric: 'median', value: '12.0 ms', target: '< 50 ms', met: true },
      { benchmark: 'git', metric: 'ratio', value: '3x', target: '<= 2x', met: false },
      skippedRow('parallel-apply', 'needs root'),
    ]);

    expect(text).toBe(
      [
        'benchmark       metric   value       target   met',
        '--------------  -------  ----------  -------  ---',
        'plan            median   12.0 ms     < 50 ms  yes',
        'git             ratio    3x          <= 2x    NO',
        'parallel-apply  skipped  needs root',
        '',
      ].join('\n'),
    );
  });

  it('prints only the header and the rule for no rows', () => {
    expect(formatTable([])).toBe(
      'benchmark  metric  value  target  met\n---------  ------  -----  ------  ---\n',
    );
  });
});

describe('verdictOf', () => {
  it('leaves a figure without a target blank', () => {
    expect([verdictOf(true), verdictOf(false), verdictOf(undefined)]).toEqual(['yes', 'NO', '']);
  });
});

describe('median', () => {
  it('takes the middle value of an odd count, unsorted input', () => {
    expect(median([9, 1, 5])).toBe(5);
  });

  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('is NaN for no values and leaves the input unsorted', () => {
    const input = [3, 1, 2];
    median(input);

    expect(median([])).toBeNaN();
    expect(input).toEqual([3, 1, 2]);
  });
});

describe('slope', () => {
  it('is the least-squares slope of the points', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBe(2);
    expect(
      slope([
        { x: 0, y: 0 },
        { x: 1, y: 2 },
        { x: 2, y: 1 },
      ]),
    ).toBeCloseTo(0.5, 10);
  });

  it('is 0 for flat data, one point, or no spread in x', () => {
    expect(
      slope([
        { x: 0, y: 7 },
        { x: 5, y: 7 },
      ]),
    ).toBe(0);
    expect(slope([{ x: 3, y: 1 }])).toBe(0);
    expect(
      slope([
        { x: 2, y: 1 },
        { x: 2, y: 9 },
      ]),
    ).toBe(0);
  });
});

describe('formatMs and toMb', () => {
  it('keeps one decimal below 100 ms and rounds above', () => {
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(273.6)).toBe('274 ms');
  });

  it('converts bytes to megabytes with one decimal', () => {
    expect(toMb(150 * 1024 * 1024)).toBe(150);
    expect(toMb(1.26 * 1024 * 1024)).toBe(1.3);
  });
});
