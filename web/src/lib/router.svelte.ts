// The current route, kept in step with the address bar (History API).

import { parseRoute, type Route } from './routes';

class Router {
  route = $state<Route>(parseRoute(window.location.pathname));

  constructor() {
    window.addEventListener('popstate', () => {
      this.route = parseRoute(window.location.pathname);
    });
  }

  /** Goes to path (a same-origin pathname); replace keeps the history entry. */
  go(path: string, replace = false): void {
    if (path !== window.location.pathname) {
      if (replace) window.history.replaceState(null, '', path);
      else window.history.pushState(null, '', path);
    }
    this.route = parseRoute(path);
  }

  /** onclick for in-app links: plain left clicks navigate without a reload. */
  link = (e: MouseEvent): void => {
    const a = e.currentTarget as HTMLAnchorElement;
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    this.go(a.pathname);
  };
}

export const router = new Router();
