// One request-log line in the style of the seed article's server log
//   receive a request from: 127.0.0.1:54722 Connection: close
// followed by what the client saw: new or reused connection, silent
// retries, status or error, latency. Pure.

import type { RequestLine } from '../../wire';

export type TagKind = 'ok' | 'warn' | 'bad' | 'muted';

export interface LogParts {
  /** The seed-style text. */
  text: string;
  tags: { text: string; kind: TagKind }[];
}

function ms(v: number): string {
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(2)} ms`;
}

export function logLine(l: RequestLine): LogParts {
  const tags: LogParts['tags'] = [];
  let text: string;
  if (l.clientPort) {
    text = `receive a request from: 127.0.0.1:${l.clientPort} Connection: ${l.connection}`;
    if (!l.connection) tags.push({ text: '(no header)', kind: 'muted' });
  } else {
    text = `${l.method} failed before reaching a connection`;
  }
  if (l.clientPort) {
    if (l.reused) tags.push({ text: l.wasIdle && l.idleMs ? `reused, idle ${ms(l.idleMs)}` : 'reused', kind: 'ok' });
    else tags.push({ text: 'new connection', kind: 'warn' });
  }
  if (l.attempts > 1) tags.push({ text: `retried ×${l.attempts - 1}`, kind: 'warn' });
  if (l.proto && l.proto !== 'HTTP/1.1') tags.push({ text: l.proto, kind: 'muted' });
  if (l.error) tags.push({ text: l.error, kind: 'bad' });
  else if (l.status) tags.push({ text: String(l.status), kind: l.status < 400 ? 'ok' : 'bad' });
  if (l.respClose) tags.push({ text: 'resp.Close', kind: 'muted' });
  tags.push({ text: ms(l.totalMs), kind: 'muted' });
  return { text, tags };
}
