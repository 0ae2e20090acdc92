import { describe, expect, it } from 'vitest';
import { chartOptions, relativeAxis, visibleWindow, yMax } from './chart';
import { StackedSeries } from './series';
import { STACK_ORDER } from './states';
import { newestTime, sharedMax, trailingWindow } from './yscale';

const CHROME = { axis: '#fff', grid: '#333', font: '14px sans-serif' };

/** One side of a port: one poll per second from t0 (Unix ms), TIME_WAIT and ESTABLISHED per poll. */
function side(t0: number, polls: [tw: number, est: number][]): StackedSeries {
  const s = new StackedSeries(1000, STACK_ORDER);
  polls.forEach(([tw, est], i) => s.push(t0 + i * 1000, { TIME_WAIT: tw, ESTABLISHED: est }));
  return s;
}

/** The y range a chart built with these options draws, given its own max. */
function yRangeOf(o: ReturnType<typeof chartOptions>, ownMax: number): [number, number] {
  const r = o.scales?.y?.range as (u: unknown, min: number, max: number) => [number, number];
  return r(null, 0, ownMax);
}

describe('one y scale for both sides of a port', () => {
  it('the side that piles up sets both ranges: 248 TIME_WAIT beside 54 draws taller', () => {
    const server = side(0, [
      [100, 2],
      [248, 2],
      [200, 2],
    ]);
    const client = side(0, [
      [20, 2],
      [54, 2],
      [30, 2],
    ]);
    const shared = () => sharedMax([server, client], trailingWindow(180));
    expect(shared()).toBe(250); // 248 TIME_WAIT + 2 ESTABLISHED at the same poll
    const so = chartOptions(STACK_ORDER, 600, 240, 180, CHROME, undefined, shared);
    const co = chartOptions(STACK_ORDER, 600, 240, 180, CHROME, undefined, shared);
    const top = yMax(250);
    expect(yRangeOf(so, server.maxTotal())).toEqual([0, top]);
    expect(yRangeOf(co, client.maxTotal())).toEqual([0, top]);
    // Without a shared max each chart fills its own height (today's behaviour).
    expect(yRangeOf(chartOptions(STACK_ORDER, 600, 240, 180, CHROME), 56)).toEqual([0, yMax(56)]);
  });

  it('counts only the points inside the visible window, ending at the newest point of either side', () => {
    // A peak of 500 at t=0 s, then 10 for 200 s: with a 180 s window the peak has scrolled out.
    const polls: [number, number][] = [[500, 0], ...Array.from({ length: 200 }, (): [number, number] => [10, 0])];
    const server = side(0, polls);
    const client = side(0, [[3, 0]]);
    expect(newestTime([server, client])).toBe(200);
    expect(sharedMax([server, client], trailingWindow(180))).toBe(10);
    expect(sharedMax([server, client], trailingWindow(200))).toBe(500);
    // The client's newest point is older: the window still ends at the server's newest.
    expect(sharedMax([client, server], trailingWindow(180))).toBe(10);
  });

  it('the Lab window (time since the start) holds the whole run', () => {
    const x = relativeAxis(1000, 10);
    const server = side(1_000_000, [
      [0, 1],
      [9, 0],
    ]);
    const client = side(1_000_000, [
      [4, 1],
      [1, 0],
    ]);
    expect(sharedMax([server, client], visibleWindow(0, x))).toBe(9);
  });

  it('empty sides share 0 (the range stays at least 4)', () => {
    const a = new StackedSeries(10, STACK_ORDER);
    const b = new StackedSeries(10, STACK_ORDER);
    expect(newestTime([a, b])).toBeNaN();
    expect(sharedMax([a, b], trailingWindow(180))).toBe(0);
    expect(
      yRangeOf(
        chartOptions(STACK_ORDER, 600, 240, 180, CHROME, undefined, () => 0),
        0,
      ),
    ).toEqual([0, 4]);
  });

  it('never clips a chart whose own max is above the shared one', () => {
    const o = chartOptions(STACK_ORDER, 600, 240, 180, CHROME, undefined, () => 5);
    expect(yRangeOf(o, 40)).toEqual([0, yMax(40)]);
    expect(yRangeOf(o, Number.NaN)).toEqual([0, yMax(5)]);
  });
});
