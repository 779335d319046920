/** One row of a comparison: a measurement of rbn and of rollback-netcode, and how they compare. */
export type Row = {
  metric: string;
  rbn: number | string;
  competitor: number | string;
  /** Optional unit shown after the metric name. */
  unit?: string;
  /** Optional target, e.g. '≤ 0.5×'. */
  target?: string;
  /** Optional third measurement: an ideal model's (adds an "ideal" column). */
  ideal?: number | string;
  /** Show rbn ÷ ideal in the ratio column instead of rbn ÷ competitor. */
  vsIdeal?: boolean;
  /** Whether rbn meets the target (adds a "pass" column). */
  pass?: boolean;
};

function fmt(v: number | string): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  return abs >= 100 ? v.toFixed(0) : abs >= 1 ? v.toFixed(2) : v.toFixed(4);
}

/**
 * Prints a comparison table: rbn, the competitor (rollback-netcode@0.0.6 unless named), and the
 * ratio rbn ÷ competitor; an "ideal" column and a "pass" column appear when a row has them.
 * @param title - The suite's title.
 * @param rows - The measurements.
 * @param competitor - The competitor's column label. @default 'rollback-netcode'
 */
export function printTable(title: string, rows: Row[], competitor = 'rollback-netcode'): void {
  const withIdeal = rows.some((r) => r.ideal !== undefined);
  const withPass = rows.some((r) => r.pass !== undefined);
  const short = competitor === 'rollback-netcode' ? 'rn' : competitor;
  const header = [
    'metric',
    'rbn',
    competitor,
    ...(withIdeal ? ['ideal'] : []),
    withIdeal ? `ratio rbn/${short} (or /ideal)` : `ratio rbn/${short}`,
    'target',
    ...(withPass ? ['pass'] : []),
  ];
  const body = rows.map((r) => {
    const base = r.vsIdeal ? r.ideal : r.competitor;
    const ratio =
      typeof r.rbn === 'number' && typeof base === 'number' && base !== 0
        ? `${(r.rbn / base).toFixed(3)}×${r.vsIdeal ? ' ideal' : ''}`
        : '—';
    return [
      r.unit ? `${r.metric} (${r.unit})` : r.metric,
      fmt(r.rbn),
      fmt(r.competitor),
      ...(withIdeal ? [r.ideal === undefined ? '' : fmt(r.ideal)] : []),
      ratio,
      r.target ?? '',
      ...(withPass ? [r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL'] : []),
    ];
  });
  printGrid(title, header, body);
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

/**
 * Prints a grid of cells under a header, as a Markdown table.
 * @param title - The table's title.
 * @param header - Column names.
 * @param rows - One array of cells per row.
 */
export function printGrid(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ') + ' |';
  console.log(`\n## ${title}\n`);
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const b of rows) console.log(line(b));
}
