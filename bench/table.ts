// SPDX-License-Identifier: BSD-2-Clause
// The pure parts shared by the benchmarks: one row per measured figure, the table `npm run bench`
// prints, and the statistics (median, least-squares slope). No I/O, no timing.

/** One measured figure, with the target it is judged against when there is one. */
export interface BenchRow {
  benchmark: string;
  metric: string;
  /** The figure as printed, already rounded and with its unit. */
  value: string;
  /** The target in words, e.g. '< 50 ms'; empty when the figure is informative only. */
  target: string;
  /** true: met; false: missed; undefined: no target, or it cannot be judged from this row. */
  met?: boolean;
}

/** A benchmark that could not run, and why (printed as one row). */
export function skippedRow(benchmark: string, why: string): BenchRow {
  return { benchmark, metric: 'skipped', value: why, target: '' };
}

const HEADERS = ['benchmark', 'metric', 'value', 'target', 'met'] as const;

/** Renders rows as a plain-text table with one space-padded column per field. */
export function formatTable(rows: readonly BenchRow[]): string {
  const cells = rows.map((r) => [r.benchmark, r.metric, r.value, r.target, verdictOf(r.met)]);
  const widths = HEADERS.map((h, i) =>
    Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)),
  );
  const line = (fields: readonly string[]): string =>
    fields
      .map((f, i) => f.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(HEADERS), rule, ...cells.map(line)].join('\n') + '\n';
}

/** 'yes', 'NO' or '' for a row's verdict. */
export function verdictOf(met: boolean | undefined): string {
  if (met === undefined) return '';
  return met ? 'yes' : 'NO';
}

/** Median of `values`; the mean of the two middle ones for an even count; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;

  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Least-squares slope of y over x; 0 for fewer than two points or no spread in x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) return 0;

  const n = points.length;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY);
    den += (p.x - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Formats milliseconds with one decimal below 100 ms and none above. */
export function formatMs(ms: number): string {
  return ms < 100 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/** Megabytes from bytes, one decimal. */
export function toMb(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** True when this process runs as root (the test host needs it). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
