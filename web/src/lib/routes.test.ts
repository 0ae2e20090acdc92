import { describe, expect, it } from 'vitest';
import { parsePort, parseRoute, routePath } from './routes';

describe('routes', () => {
  it('parses watch deep links', () => {
    expect(parseRoute('/')).toEqual({ view: 'watch', port: null });
    expect(parseRoute('/watch')).toEqual({ view: 'watch', port: null });
    expect(parseRoute('/watch/')).toEqual({ view: 'watch', port: null });
    expect(parseRoute('/watch/8081')).toEqual({ view: 'watch', port: 8081 });
    expect(parseRoute('/watch/0')).toEqual({ view: 'notfound', path: '/watch/0' });
    expect(parseRoute('/watch/70000')).toEqual({ view: 'notfound', path: '/watch/70000' });
    expect(parseRoute('/watch/8081/x')).toEqual({ view: 'notfound', path: '/watch/8081/x' });
    expect(parseRoute('/nope')).toEqual({ view: 'notfound', path: '/nope' });
  });

  it('parses the Lab', () => {
    expect(parseRoute('/lab')).toEqual({ view: 'lab' });
    expect(parseRoute('/lab/')).toEqual({ view: 'lab' });
    expect(parseRoute('/lab/x')).toEqual({ view: 'notfound', path: '/lab/x' });
    expect(routePath({ view: 'lab' })).toBe('/lab');
  });

  it('round-trips', () => {
    for (const p of ['/watch', '/watch/1', '/watch/65535']) expect(routePath(parseRoute(p))).toBe(p);
  });

  it('parses ports strictly', () => {
    expect(parsePort('8081')).toBe(8081);
    expect(parsePort(' 22 ')).toBe(22);
    for (const s of ['', '0', '65536', '-1', '1e3', '80.5', 'http', '080000']) expect(parsePort(s)).toBeNull();
  });
});
