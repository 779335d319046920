/** One row of a comparison: a measurement of rbn and of rollback-netcode, and how they compare. */
export type Row = {
  metric: string;
  rbn: number | string;
  competitor: number | string;
  /** Optional unit shown after the metric name. */
  unit?: string;
  /** Optional target, e.g. '≤ 0.5×'. */
  target?: string;
};

function fmt(v: number | string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(0) : abs >= 1 ? v.toFixed(2) : v.toFixed(4);
}

/**
 * Prints a comparison table: rbn, the competitor (rollback-netcode@0.0.6 unless named), and the
 * ratio rbn ÷ competitor.
 * @param title - The suite's title.
 * @param rows - The measurements.
 * @param competitor - The competitor's column label. @default 'rollback-netcode'
 */
export function printTable(title: string, rows: Row[], competitor = 'rollback-netcode'): void {
  const header = [
    'metric',
    'rbn',
    competitor,
    `ratio rbn/${competitor === 'rollback-netcode' ? 'rn' : competitor}`,
    'target',
  ];
  const body = rows.map((r) => {
    const ratio =
      typeof r.rbn === 'number' && typeof r.competitor === 'number' && r.competitor !== 0
        ? `${(r.rbn / r.competitor).toFixed(3)}×`
        : '—';
    return [
      r.unit ? `${r.metric} (${r.unit})` : r.metric,
      fmt(r.rbn),
      fmt(r.competitor),
      ratio,
      r.target ?? '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
  console.log(`\n## ${title}\n`);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const b of body) console.log(line(b));
}

/**
 * Runs `fn` repeatedly and returns the mean time per call in microseconds (after a warm-up).
 * @param fn - The work to time.
 * @param iterations - Timed calls.
 * @param warmup - Untimed calls first.
 */
export function timeMicros(
  fn: () => void,
  iterations: number,
  warmup = Math.ceil(iterations / 10),
): number {
  for (let i = 0; i < warmup; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

/**
 * The median of a set of measurements (the mean of the middle two for an even count); `NaN`
 * for none. Does not reorder `values`.
 * @param values - The measurements.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
