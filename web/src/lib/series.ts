// Column buffers for one stacked live chart: a fixed window of polls, stored
// columnar in typed arrays and handed to uPlot as zero-copy subarray views
// (uPlot.AlignedData = [x, y1, y2, ...]).
//
// Layout: every column is a Float64Array of up to 2 x capacity (a large
// capacity, such as a port's whole kept history, starts small and doubles as
// points come). Points are appended at `end`; when the buffer is full the
// newest capacity-1 points are copied to the front (copyWithin), so appends
// are amortised O(1) and the visible window is always one contiguous slice
// [start, end) — no shift() per tick as in uPlot's stream-data demo, no
// allocation per tick once grown.
//
// Columns are stacked: y[i] = sum of the counts of states 0..i in `order`,
// ready for uPlot bands between consecutive series.

export type Columns = [Float64Array, ...Float64Array[]];

/** Rows allocated at first for a large capacity (the buffers double up to 2 x capacity). */
const INITIAL_ROWS = 1024;

export class StackedSeries {
  #capacity: number;
  readonly order: readonly string[];
  #x: Float64Array;
  #y: Float64Array[];
  #start = 0;
  #end = 0;
  #latest: Record<string, number> = {};

  /**
   * @param capacity points kept (the window); at least 2
   * @param order state names, bottom of the stack first
   */
  constructor(capacity: number, order: readonly string[]) {
    this.#capacity = Math.max(2, Math.floor(capacity));
    this.order = order;
    const rows = Math.min(this.#capacity, INITIAL_ROWS) * 2;
    this.#x = new Float64Array(rows);
    this.#y = order.map(() => new Float64Array(rows));
  }

  /** Points kept at most. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Changes how many points are kept; a smaller capacity drops the oldest. */
  setCapacity(capacity: number): void {
    this.#capacity = Math.max(2, Math.floor(capacity));
    if (this.length > this.#capacity) this.#start = this.#end - this.#capacity;
    if (this.#x.length > this.#capacity * 2) this.#realloc(this.#capacity * 2);
  }

  get length(): number {
    return this.#end - this.#start;
  }

  /** Counts of the newest point, by state (zeros omitted). */
  get latest(): Readonly<Record<string, number>> {
    return this.#latest;
  }

  /** Time of the newest point in seconds (uPlot's time unit), or NaN. */
  get lastTime(): number {
    return this.length ? this.#x[this.#end - 1] : NaN;
  }

  clear(): void {
    this.#start = 0;
    this.#end = 0;
    this.#latest = {};
  }

  /**
   * Appends one poll. A point not newer than the last one is ignored (the
   * x column must stay sorted for uPlot).
   * @param tMs poll time, Unix ms
   * @param counts state -> count; missing states are 0
   */
  push(tMs: number, counts: Readonly<Record<string, number>>): void {
    const t = tMs / 1000;
    if (this.length && t <= this.#x[this.#end - 1]) return;
    if (this.#end === this.#x.length) {
      if (this.#x.length < this.#capacity * 2) this.#realloc(Math.min(this.#capacity * 2, this.#x.length * 2));
      else this.#compact();
    }
    const i = this.#end;
    this.#x[i] = t;
    let sum = 0;
    for (let s = 0; s < this.order.length; s++) {
      sum += counts[this.order[s]] ?? 0;
      this.#y[s][i] = sum;
    }
    this.#end++;
    if (this.#end - this.#start > this.#capacity) this.#start++;
    this.#latest = pickNonZero(counts);
  }

  /**
   * Replaces the content with a timeline run (wire.Timeline columns for one
   * side): t in Unix ms, one column per state, each as long as t. Only the
   * newest `capacity` rows are kept.
   */
  load(t: readonly number[], cols: Readonly<Record<string, readonly number[]>>): void {
    this.clear();
    const from = Math.max(0, t.length - this.#capacity);
    const row: Record<string, number> = {};
    for (let r = from; r < t.length; r++) {
      for (const name of this.order) row[name] = cols[name]?.[r] ?? 0;
      this.push(t[r], row);
    }
  }

  /** uPlot-ready data: [x, y0, y1, ...] as views on the live window (no copy). */
  data(): Columns {
    const s = this.#start;
    const e = this.#end;
    return [this.#x.subarray(s, e), ...this.#y.map((c) => c.subarray(s, e))];
  }

  /** Time (seconds) of the oldest point kept, or NaN. */
  get firstTime(): number {
    return this.length ? this.#x[this.#start] : NaN;
  }

  /**
   * Highest stacked total in the window (for a stable y scale), or among the
   * points with x (seconds) in [from, to] when given.
   */
  maxTotal(from = -Infinity, to = Infinity): number {
    const top = this.#y[this.#y.length - 1];
    let m = 0;
    for (let i = this.#start; i < this.#end; i++) {
      const x = this.#x[i];
      if (x >= from && x <= to && top[i] > m) m = top[i];
    }
    return m;
  }

  /** States with a non-zero count somewhere in the window (or among the points with x in [from, to]), in stack order. */
  presentStates(from = -Infinity, to = Infinity): string[] {
    const out: string[] = [];
    for (let s = 0; s < this.order.length; s++) {
      const col = this.#y[s];
      const below = s > 0 ? this.#y[s - 1] : null;
      for (let i = this.#start; i < this.#end; i++) {
        const x = this.#x[i];
        if (x >= from && x <= to && col[i] - (below ? below[i] : 0) > 0) {
          out.push(this.order[s]);
          break;
        }
      }
    }
    return out;
  }

  #compact(): void {
    const n = this.#end - this.#start;
    const keep = Math.min(n, this.#capacity - 1);
    const from = this.#end - keep;
    this.#x.copyWithin(0, from, this.#end);
    for (const c of this.#y) c.copyWithin(0, from, this.#end);
    this.#start = 0;
    this.#end = keep;
  }

  /** Moves the points to new buffers of `rows` rows (at least the points held). */
  #realloc(rows: number): void {
    const n = this.#end - this.#start;
    const move = (c: Float64Array) => {
      const next = new Float64Array(Math.max(rows, n));
      next.set(c.subarray(this.#start, this.#end));
      return next;
    };
    this.#x = move(this.#x);
    this.#y = this.#y.map(move);
    this.#start = 0;
    this.#end = n;
  }
}

function pickNonZero(counts: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) if (v) out[k] = v;
  return out;
}
