/** A run of bytes that differ between two states: `start` inclusive, `end` exclusive. */
export type ByteRange = {
  /** The first differing byte. */
  readonly start: number;
  /** One past the last differing byte of the run. */
  readonly end: number;
};

/** One value that differs between the two peers' `describe` views. */
export type PathDifference = {
  /** Where in the view, e.g. `players[1].x` (`''` for the root). */
  readonly path: string;
  /** The local value (`undefined` when the path exists only remotely). */
  readonly local: unknown;
  /** The remote value (`undefined` when the path exists only locally). */
  readonly remote: unknown;
  /** For humans: `players[1].x: 10 → 17`. */
  readonly text: string;
};

/** How two peers' states of one tick differ. */
export type DesyncDiff = {
  /** The differing byte runs, in order (at most {@link MAX_DIFF_ENTRIES}). */
  readonly byteRanges: readonly ByteRange[];
  /**
   * The differing paths of the game's `describe` views (at most {@link MAX_DIFF_ENTRIES}), or
   * `null` when the game has no `describe` or it threw.
   */
  readonly paths: readonly PathDifference[] | null;
  /** Whether more ranges or paths differ than are listed. */
  readonly truncated: boolean;
};

/** The most byte ranges, and the most paths, a diff lists. */
export const MAX_DIFF_ENTRIES = 100;
/** How deep a `describe` view is walked. */
const MAX_DEPTH = 32;

/**
 * The runs of differing bytes of two states (a length difference is one run at the end).
 * @returns The runs (at most `max`) and whether more were left out.
 */
export function diffBytes(
  a: Uint8Array,
  b: Uint8Array,
  max = MAX_DIFF_ENTRIES,
): { ranges: ByteRange[]; truncated: boolean } {
  const ranges: ByteRange[] = [];
  const common = Math.min(a.length, b.length);
  let i = 0;
  while (i < common) {
    if (a[i] === b[i]) {
      i++;
      continue;
    }
    const start = i;
    while (i < common && a[i] !== b[i]) i++;
    if (ranges.length === max) return { ranges, truncated: true };
    ranges.push({ start, end: i });
  }
  if (a.length !== b.length) {
    if (ranges.length === max) return { ranges, truncated: true };
    ranges.push({ start: common, end: Math.max(a.length, b.length) });
  }
  return { ranges, truncated: false };
}

/** Shows a value in a path difference: JSON for plain values, `—` for a missing one. */
function show(v: unknown): string {
  if (v === undefined) return '—';
  if (typeof v === 'bigint') return `${v}n`;
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch {
    text = undefined;
  }
  if (text === undefined)
    return typeof v === 'object' ? Object.prototype.toString.call(v) : typeof v;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function asList(v: unknown): readonly unknown[] | null {
  if (Array.isArray(v)) return v as readonly unknown[];
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    return Array.from<unknown>(v as unknown as ArrayLike<unknown>);
  }
  return null;
}

/** Walks two views side by side and collects the leaves that differ. */
class PathWalker {
  readonly found: PathDifference[] = [];
  truncated = false;

  constructor(private readonly max: number) {}

  walk(a: unknown, b: unknown, path: string, depth: number): void {
    if (this.truncated || Object.is(a, b)) return;
    const la = asList(a);
    const lb = asList(b);
    if (depth < MAX_DEPTH && la && lb) {
      const n = Math.max(la.length, lb.length);
      for (let i = 0; i < n; i++) this.walk(la[i], lb[i], childPath(path, i), depth + 1);
      return;
    }
    if (depth < MAX_DEPTH && isRecord(a) && isRecord(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of keys) {
        const own = (o: Record<string, unknown>) => (Object.hasOwn(o, key) ? o[key] : undefined);
        this.walk(own(a), own(b), childPath(path, key), depth + 1);
      }
      return;
    }
    if (show(a) === show(b)) return;
    if (this.found.length === this.max) {
      this.truncated = true;
      return;
    }
    this.found.push({
      path,
      local: a,
      remote: b,
      text: `${path || '(root)'}: ${show(a)} → ${show(b)}`,
    });
  }
}

/**
 * The differing leaves of two JSON-able views (objects by key, arrays and typed arrays by index).
 * @returns The differences (at most `max`) and whether more were left out.
 */
export function diffViews(
  local: unknown,
  remote: unknown,
  max = MAX_DIFF_ENTRIES,
): { paths: PathDifference[]; truncated: boolean } {
  const walker = new PathWalker(max);
  walker.walk(local, remote, '', 0);
  return { paths: walker.found, truncated: walker.truncated };
}

/**
 * Diffs two peers' states of one tick: the differing byte runs, and the differing paths of the
 * game's `describe` views when it has one (a `describe` that throws gives `paths: null`).
 * @param local - The local state.
 * @param remote - The remote state.
 * @param describe - The game's optional `describe`.
 * @returns The diff.
 */
export function diffStates(
  local: Uint8Array,
  remote: Uint8Array,
  describe?: (state: Uint8Array) => unknown,
): DesyncDiff {
  const bytes = diffBytes(local, remote);
  let paths: PathDifference[] | null = null;
  let truncated = bytes.truncated;
  if (describe) {
    try {
      const views = diffViews(describe(local), describe(remote));
      paths = views.paths;
      truncated ||= views.truncated;
    } catch {
      paths = null;
    }
  }
  return { byteRanges: bytes.ranges, paths, truncated };
}
