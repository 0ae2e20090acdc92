import { describe, expect, it } from 'vitest';
import { line } from './fixtures';
import { logLine } from './logline';

describe('request log line', () => {
  it("reads like the seed's server log", () => {
    const p = logLine(line(1, { clientPort: 54722, respClose: true, totalMs: 0.7 }));
    expect(p.text).toBe('receive a request from: 127.0.0.1:54722 Connection: close');
    expect(p.tags).toEqual([
      { text: 'new connection', kind: 'warn' },
      { text: '200', kind: 'ok' },
      { text: 'resp.Close', kind: 'muted' },
      { text: '0.70 ms', kind: 'muted' },
    ]);
  });

  it('reused, idle, retried, no Connection header', () => {
    const p = logLine(line(2, { connection: '', reused: true, wasIdle: true, idleMs: 50, attempts: 2, totalMs: 123 }));
    expect(p.text.endsWith('Connection: ')).toBe(true);
    expect(p.tags.map((t) => t.text)).toEqual(['(no header)', 'reused, idle 50.00 ms', 'retried ×1', '200', '123 ms']);
  });

  it('errors and protocols', () => {
    const p = logLine(line(3, { clientPort: undefined, conn: undefined, status: undefined, error: 'connection refused', proto: undefined }));
    expect(p.text).toBe('GET failed before reaching a connection');
    expect(p.tags[0]).toEqual({ text: 'connection refused', kind: 'bad' });
    expect(logLine(line(4, { proto: 'HTTP/2.0', status: 503 })).tags.map((t) => t.kind)).toEqual(['warn', 'muted', 'bad', 'muted']);
  });
});
