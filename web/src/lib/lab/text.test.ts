import { describe, expect, it } from 'vitest';
import { codeSpans } from './text';

describe('codeSpans', () => {
  it('splits backtick code', () => {
    expect(codeSpans('server saw `Connection: close` on 20 of 20 requests')).toEqual([
      { text: 'server saw ', code: false },
      { text: 'Connection: close', code: true },
      { text: ' on 20 of 20 requests', code: false },
    ]);
    expect(codeSpans('plain')).toEqual([{ text: 'plain', code: false }]);
    expect(codeSpans('`a``b`')).toEqual([
      { text: 'a', code: true },
      { text: 'b', code: true },
    ]);
    expect(codeSpans('')).toEqual([]);
  });

  it('leaves an unmatched backtick as text', () => {
    expect(codeSpans('a `b` c ` d')).toEqual([
      { text: 'a ', code: false },
      { text: 'b', code: true },
      { text: ' c ` d', code: false },
    ]);
  });
});
