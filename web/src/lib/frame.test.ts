import { describe, expect, it } from 'vitest';
import { FrameCoalescer } from './frame';

function fakeFrames() {
  let next = 1;
  const queue = new Map<number, () => void>();
  return {
    raf: (cb: () => void) => {
      queue.set(next, cb);
      return next++;
    },
    caf: (id: number) => void queue.delete(id),
    flush() {
      const cbs = [...queue.values()];
      queue.clear();
      cbs.forEach((cb) => cb());
    },
    get size() {
      return queue.size;
    },
  };
}

describe('FrameCoalescer', () => {
  it('runs at most one call per frame, the latest one', () => {
    const f = fakeFrames();
    const c = new FrameCoalescer(f.raf, f.caf);
    const calls: number[] = [];
    for (let i = 0; i < 10; i++) c.schedule(() => calls.push(i));
    expect(f.size).toBe(1);
    expect(calls).toEqual([]);
    f.flush();
    expect(calls).toEqual([9]);
    f.flush();
    expect(calls).toEqual([9]);
    c.schedule(() => calls.push(42));
    f.flush();
    expect(calls).toEqual([9, 42]);
  });

  it('cancel drops the pending call', () => {
    const f = fakeFrames();
    const c = new FrameCoalescer(f.raf, f.caf);
    let n = 0;
    c.schedule(() => n++);
    c.cancel();
    f.flush();
    expect(n).toBe(0);
    expect(c.pending).toBe(false);
  });
});
