/** How a series is drawn. */
export type SeriesStyle = 'line' | 'bars' | 'area';

/** One series of a graph. */
export interface SeriesOptions {
  /** Legend label. */
  label: string;
  /** CSS colour. */
  color: string;
  /** @default 'line' */
  style?: SeriesStyle;
}

/** Options of a {@link Graph}. */
export interface GraphOptions {
  /** Title shown at the top left. */
  title: string;
  /** Unit appended to the current value, e.g. "ms". */
  unit: string;
  /** The series to draw (same number of values per push). */
  series: readonly SeriesOptions[];
  /** Samples kept (one per push). @default 240 */
  capacity?: number;
  /** The y axis never shrinks below this maximum. @default 1 */
  minMax?: number;
  /** Draw a zero line in the middle and allow negative values. @default false */
  signed?: boolean;
  /** Formats the current value. @default integer */
  format?: (value: number) => string;
}

/**
 * A live time-series graph on its own canvas: a ring buffer of samples per series, drawn as
 * lines, areas or bars, with a legend showing the latest values. Push one sample per frame.
 */
export class Graph {
  /** The canvas to put in the page. */
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly data: Float64Array[];
  private readonly capacity: number;
  private head = 0;
  private count = 0;

  /**
   * @param options - See {@link GraphOptions}.
   */
  constructor(private readonly options: GraphOptions) {
    this.capacity = options.capacity ?? 240;
    this.data = options.series.map(() => new Float64Array(this.capacity));
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph';
    this.canvas.width = 300;
    this.canvas.height = 74;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2D context unavailable');
    this.ctx = ctx;
  }

  /**
   * Appends one sample per series.
   * @param values - One value per series, in order.
   */
  push(...values: number[]): void {
    for (let s = 0; s < this.data.length; s++) {
      const series = this.data[s];
      if (series) series[this.head] = values[s] ?? 0;
    }
    this.head = (this.head + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Redraws the graph. */
  draw(): void {
    const { ctx, canvas, options } = this;
    const w = canvas.width;
    const h = canvas.height;
    const top = 18;
    const plotH = h - top - 2;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = 'rgba(20, 24, 40, 0.9)';
    ctx.fillRect(0, 0, w, h);

    let max = options.minMax ?? 1;
    for (const series of this.data) {
      for (let i = 0; i < this.count; i++) max = Math.max(max, Math.abs(series[i] ?? 0));
    }
    const signed = options.signed ?? false;
    const zeroY = signed ? top + plotH / 2 : top + plotH;
    const yScale = signed ? plotH / 2 / max : plotH / max;
    const step = w / this.capacity;

    ctx.strokeStyle = 'rgba(255,255,255,0.08)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, zeroY + 0.5);
    ctx.lineTo(w, zeroY + 0.5);
    ctx.stroke();

    options.series.forEach((style, s) => {
      const series = this.data[s];
      if (!series) return;
      ctx.strokeStyle = style.color;
      ctx.fillStyle = style.color;
      const first = this.capacity - this.count;
      const at = (i: number): number => series[(this.head + i) % this.capacity] ?? 0;
      if (style.style === 'bars') {
        for (let i = first; i < this.capacity; i++) {
          const v = at(i);
          if (v !== 0) ctx.fillRect(i * step, zeroY - v * yScale, Math.max(step, 1), v * yScale);
        }
        return;
      }
      ctx.beginPath();
      for (let i = first; i < this.capacity; i++) {
        const x = i * step;
        const y = zeroY - at(i) * yScale;
        if (i === first) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.lineWidth = 1.5;
      ctx.stroke();
      if (style.style === 'area' && this.count > 0) {
        ctx.lineTo((this.capacity - 1) * step, zeroY);
        ctx.lineTo(first * step, zeroY);
        ctx.closePath();
        ctx.globalAlpha = 0.2;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
    });

    const format = options.format ?? ((v: number) => String(Math.round(v)));
    ctx.font = '11px ui-monospace, monospace';
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.fillStyle = '#c5cae9';
    ctx.fillText(options.title, 6, 4);
    ctx.textAlign = 'right';
    let x = w - 6;
    for (let s = options.series.length - 1; s >= 0; s--) {
      const style = options.series[s];
      const series = this.data[s];
      if (!style || !series) continue;
      const latest =
        this.count > 0 ? (series[(this.head - 1 + this.capacity) % this.capacity] ?? 0) : 0;
      const text = `${style.label} ${format(latest)}${options.unit}`;
      ctx.fillStyle = style.color;
      ctx.fillText(text, x, 4);
      x -= ctx.measureText(text).width + 10;
    }
    ctx.fillStyle = 'rgba(197, 202, 233, 0.5)';
    ctx.textAlign = 'left';
    ctx.fillText(`max ${format(max)}`, 6, h - 14);
  }
}
