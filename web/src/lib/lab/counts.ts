// A run's connection counts under the one set of names every view uses —
// the progress panel, Compare, `connlab run`'s text and the JSON fields
// (internal/wire ExpConnections): connections opened (`opened`: the
// listener accepted them), carried requests (`carried`), never used
// (`unused`: ended without carrying one), closed by teardown (`teardown`).
// Once a run is over, opened = carried requests + never used.
//
// Reuse is the server's count over the server's population: requests it
// served on an already-used connection (`reusedRequests`) of the requests
// it served (`servedRequests`). httptrace's `requests.reused` over the
// client's `requests.total` is another population (it also counts new
// connections parked in the idle pool, and failed requests): never mixed
// with these. Pure.

import type { ExpConnections } from '../../wire';

export type ConnCountId = 'opened' | 'carried' | 'unused' | 'teardown';

/** The names, as the progress panel and `connlab run` print them. */
export const CONN_LABELS: Readonly<Record<ConnCountId, string>> = {
  opened: 'connections opened',
  carried: 'carried requests',
  unused: 'never used',
  teardown: 'closed by teardown',
};

export interface ConnCount {
  id: ConnCountId;
  label: string;
  n: number;
}

/** The four counts, in order. Results saved before a field existed read 0. */
export function connCounts(c: ExpConnections): ConnCount[] {
  return (['opened', 'carried', 'unused', 'teardown'] as const).map((id) => ({ id, label: CONN_LABELS[id], n: c[id] ?? 0 }));
}

export interface Reuse {
  /** Requests the server served on an already-used connection. */
  reused: number;
  /** Requests the server served. */
  served: number;
  /** reused / served, 0 when nothing was served. */
  ratio: number;
}

/** The server's reuse: one population for the count and its ratio. */
export function reuseOf(c: ExpConnections): Reuse {
  const reused = c.reusedRequests ?? 0;
  // servedRequests is newer than carried and reusedRequests: a saved
  // result without it has served = carried + reused all the same.
  const served = c.servedRequests ?? (c.carried ?? 0) + reused;
  return { reused, served, ratio: served > 0 ? reused / served : 0 };
}
