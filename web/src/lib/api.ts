// HTTP API client (same origin). Errors come back as ApiError carrying the
// server's {"error":{"code","message","field"}}.

import type { ErrorBody, ExpCreated, ExperimentResult, ExpSummary, FlowConns, PortStatus, PortVerdict, PresetInfo, Socket, SpecJSON, SpecSchema, System, Timeline, WireError } from '../wire';
import { normConns, normCounts, normFlow, normResult, normTimeline, normVerdict } from './messages';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;

  constructor(status: number, e: WireError) {
    super(e.message || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = e.code;
    this.field = e.field;
  }
}

type Fetch = typeof fetch;

async function call<T>(f: Fetch, method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await f(path, {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, { code: 'network', message: `connlab is not reachable (${(err as Error).message})` });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: handled below
  }
  if (!res.ok) {
    const e = (data as ErrorBody | undefined)?.error;
    throw new ApiError(res.status, e && typeof e.message === 'string' ? e : { code: `http_${res.status}`, message: text.trim() || res.statusText || `HTTP ${res.status}` });
  }
  return data as T;
}

function normStatus(p: PortStatus): PortStatus {
  const flow = normFlow(p.flow);
  return { ...p, counts: normCounts(p.counts), ...(flow ? { flow } : {}) };
}

export class Api {
  readonly #f: Fetch;

  constructor(f: Fetch = (...a) => fetch(...a)) {
    this.#f = f;
  }

  async ports(): Promise<PortStatus[]> {
    const list = await call<PortStatus[] | null>(this.#f, 'GET', '/api/ports');
    return (list ?? []).map(normStatus);
  }

  async addPort(port: number): Promise<PortStatus> {
    return normStatus(await call<PortStatus>(this.#f, 'POST', '/api/ports', { port }));
  }

  removePort(port: number): Promise<void> {
    return call<void>(this.#f, 'DELETE', `/api/ports/${port}`);
  }

  async port(port: number): Promise<PortStatus> {
    return normStatus(await call<PortStatus>(this.#f, 'GET', `/api/ports/${port}`));
  }

  async sockets(port: number): Promise<Socket[]> {
    return (await call<Socket[] | null>(this.#f, 'GET', `/api/ports/${port}/sockets`)) ?? [];
  }

  /** A watched port's timeline rows after seq `since` (0: the whole kept history). */
  async timeline(port: number, since = 0): Promise<Timeline> {
    return normTimeline(await call<unknown>(this.#f, 'GET', `/api/ports/${port}/timeline?since=${since}`), port);
  }

  /** The live Watch verdict of a port, the answer first. */
  async verdict(port: number): Promise<PortVerdict> {
    return normVerdict(await call<unknown>(this.#f, 'GET', `/api/ports/${port}/verdict`), port);
  }

  /** The most recent connections of a port that ended, oldest first. */
  async connections(port: number): Promise<FlowConns> {
    return normConns(await call<unknown>(this.#f, 'GET', `/api/ports/${port}/connections`), port);
  }

  system(): Promise<System> {
    return call<System>(this.#f, 'GET', '/api/system');
  }

  // ---- Lab ----

  async presets(): Promise<PresetInfo[]> {
    return (await call<PresetInfo[] | null>(this.#f, 'GET', '/api/presets')) ?? [];
  }

  /** Every spec field's kind, default, limits, enumeration and unit. */
  async schema(): Promise<SpecSchema> {
    const s = await call<SpecSchema | null>(this.#f, 'GET', '/api/schema');
    return { fields: s?.fields ?? [] };
  }

  /** Starts an experiment: a full spec, or {preset, ...overrides}. 400 names the field (ApiError.field). */
  startExperiment(spec: SpecJSON | Record<string, unknown>): Promise<ExpCreated> {
    return call<ExpCreated>(this.#f, 'POST', '/api/experiments', spec);
  }

  async experiments(): Promise<ExpSummary[]> {
    return (await call<ExpSummary[] | null>(this.#f, 'GET', '/api/experiments')) ?? [];
  }

  async experiment(id: string): Promise<ExperimentResult> {
    return normResult(await call<unknown>(this.#f, 'GET', `/api/experiments/${encodeURIComponent(id)}`));
  }

  stopExperiment(id: string): Promise<void> {
    return call<void>(this.#f, 'DELETE', `/api/experiments/${encodeURIComponent(id)}`);
  }

  /** Ends a run's observe phase now (or skips it, during the workload). */
  skipObserve(id: string): Promise<void> {
    // An empty JSON body: writes must be application/json (server/ports.go, jsonOnlyForWrites).
    return call<void>(this.#f, 'POST', `/api/experiments/${encodeURIComponent(id)}/skip-observe`, {});
  }
}
