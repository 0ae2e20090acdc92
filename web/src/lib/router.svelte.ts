// The current route and query string, kept in step with the address bar
// (History API).

import { parseRoute, type Route } from './routes';

class Router {
  route = $state<Route>(parseRoute(window.location.pathname));
  /** The query string ("?a=1" or ""), for views that keep state there (the Lab). */
  search = $state(window.location.search);

  constructor() {
    window.addEventListener('popstate', () => {
      this.route = parseRoute(window.location.pathname);
      this.search = window.location.search;
    });
  }

  /** Goes to path (a same-origin pathname, maybe with a query); replace keeps the history entry. */
  go(path: string, replace = false): void {
    const url = new URL(path, window.location.origin);
    if (url.pathname + url.search !== window.location.pathname + window.location.search) {
      if (replace) window.history.replaceState(null, '', url.pathname + url.search);
      else window.history.pushState(null, '', url.pathname + url.search);
    }
    this.route = parseRoute(url.pathname);
    this.search = url.search;
  }

  /** Rewrites the query string of the current entry (no new history entry). */
  replaceSearch(search: string): void {
    const s = search && !search.startsWith('?') ? `?${search}` : search;
    if (s === window.location.search) return;
    window.history.replaceState(null, '', window.location.pathname + s);
    this.search = s;
  }

  /** onclick for in-app links: plain left clicks navigate without a reload. */
  link = (e: MouseEvent): void => {
    const a = e.currentTarget as HTMLAnchorElement;
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    this.go(a.pathname + a.search);
  };
}

export const router = new Router();
