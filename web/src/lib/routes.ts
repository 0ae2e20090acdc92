// URL <-> view. One table for every view of the app: Watch ("/watch/8081")
// and Lab ("/lab"; the Lab keeps its spec in the query string, which the
// Lab view reads and writes itself). A new view: add it to VIEWS and NAV,
// and give App.svelte its component.

export const VIEWS = ['watch', 'lab'] as const;
export type View = (typeof VIEWS)[number];

export type Route = { view: 'watch'; port: number | null } | { view: 'lab' } | { view: 'notfound'; path: string };

/** Top navigation entries, in order. */
export const NAV: readonly { view: View; label: string; href: string }[] = [
  { view: 'watch', label: 'Watch', href: '/watch' },
  { view: 'lab', label: 'Lab', href: '/lab' },
];

/** A TCP port number in 1..65535 written as plain digits; null otherwise. */
export function parsePort(s: string): number | null {
  if (!/^\d{1,5}$/.test(s.trim())) return null;
  const n = Number(s.trim());
  return n >= 1 && n <= 65535 ? n : null;
}

/** Parses a pathname ("/", "/watch", "/watch/8081"). */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { view: 'watch', port: null };
  if (parts[0] === 'watch') {
    if (parts.length === 1) return { view: 'watch', port: null };
    if (parts.length === 2) {
      const port = parsePort(parts[1]);
      if (port !== null) return { view: 'watch', port };
    }
  }
  if (parts[0] === 'lab' && parts.length === 1) return { view: 'lab' };
  return { view: 'notfound', path: pathname };
}

/** The canonical path of a route. */
export function routePath(r: Route): string {
  switch (r.view) {
    case 'watch':
      return r.port === null ? '/watch' : `/watch/${r.port}`;
    case 'lab':
      return '/lab';
    case 'notfound':
      return r.path;
  }
}
