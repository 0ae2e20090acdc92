// Coalesces redraw requests to at most one call per animation frame: many
// ticks between two frames cost one uPlot.setData. The frame source is
// injected (requestAnimationFrame in the page, a fake in tests).

export type FrameRequest = (cb: () => void) => number;
export type FrameCancel = (id: number) => void;

export class FrameCoalescer {
  #pending: (() => void) | null = null;
  #id: number | null = null;
  readonly #raf: FrameRequest;
  readonly #caf: FrameCancel;

  constructor(raf: FrameRequest, caf: FrameCancel) {
    this.#raf = raf;
    this.#caf = caf;
  }

  /** Runs fn at the next frame; a later schedule before that frame replaces it. */
  schedule(fn: () => void): void {
    this.#pending = fn;
    if (this.#id !== null) return;
    this.#id = this.#raf(() => {
      this.#id = null;
      const f = this.#pending;
      this.#pending = null;
      f?.();
    });
  }

  /** Drops any pending call (component destroyed). */
  cancel(): void {
    if (this.#id !== null) this.#caf(this.#id);
    this.#id = null;
    this.#pending = null;
  }

  get pending(): boolean {
    return this.#id !== null;
  }
}
