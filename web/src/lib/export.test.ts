import { describe, expect, it } from 'vitest';
import type { Timeline } from '../wire';
import { chartFileName, fileStamp, parseTimelineCSV, timelineCSV, timelineFileName, timelineStates } from './export';
import { STACK_ORDER } from './states';

const tl: Timeline = {
  port: 8080,
  seq0: 5,
  seq: 6,
  t: [1_764_619_985_250, 1_764_619_985_500],
  server: { ESTABLISHED: [3, 2], TIME_WAIT: [12, 13], NEW_STATE: [1, 0] },
  client: { ESTABLISHED: [3, 2] },
};

describe('timeline CSV', () => {
  it('puts the charts’ states first, then any other, sorted', () => {
    expect(timelineStates(tl)).toEqual([...STACK_ORDER, 'NEW_STATE']);
  });

  it('writes one line per poll and side, zeros where a state has no column', () => {
    const csv = timelineCSV(tl);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(['time_ms', 'time_utc', 'side', ...STACK_ORDER, 'NEW_STATE'].join(','));
    expect(lines).toHaveLength(1 + 2 * 2);
    expect(lines[1].startsWith('1764619985250,2025-12-01T20:13:05.250Z,server,3,12,0,')).toBe(true);
    expect(lines[1].endsWith(',1')).toBe(true);
    expect(lines[2].startsWith('1764619985250,2025-12-01T20:13:05.250Z,client,3,0,')).toBe(true);
    expect(csv.endsWith('\n')).toBe(true);
  });

  it('parses back to the same counts', () => {
    const back = parseTimelineCSV(timelineCSV(tl));
    expect(back.rows.map((r) => [r.t, r.side, r.counts.ESTABLISHED, r.counts.TIME_WAIT, r.counts.NEW_STATE])).toEqual([
      [tl.t[0], 'server', 3, 12, 1],
      [tl.t[0], 'client', 3, 0, 0],
      [tl.t[1], 'server', 2, 13, 0],
      [tl.t[1], 'client', 2, 0, 0],
    ]);
  });

  it('writes only the header for an empty timeline', () => {
    expect(timelineCSV({ ...tl, t: [], server: {}, client: {} }).split('\n')).toHaveLength(2);
  });
});

describe('file names', () => {
  const now = new Date(Date.UTC(2026, 11, 1, 20, 13, 5, 250));
  it('stamps them in UTC', () => {
    expect(fileStamp(now)).toBe('20261201T201305Z');
    expect(timelineFileName(8080, 'csv', now)).toBe('connlab-port-8080-timeline-20261201T201305Z.csv');
  });
  it('makes a chart title a file name', () => {
    expect(chartFileName('Server side of port 8080: sockets by state', now)).toBe('connlab-server-side-of-port-8080-sockets-by-state-20261201T201305Z.png');
    expect(chartFileName('???', now)).toBe('connlab-chart-20261201T201305Z.png');
  });
});
