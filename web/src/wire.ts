// Hand-written mirror of internal/wire/wire.go: the JSON the Go server sends
// over HTTP and the websocket. Keep field names and optionality in step with
// the Go struct tags (`omitempty` fields are optional here).

/** Sides of a watched port: server = local port is P, client = remote port is P. */
export type Side = 'server' | 'client';

/** Counts by side, then by state name as `ss` spells it; zero counts omitted. */
export interface Counts {
  server: Record<string, number>;
  client: Record<string, number>;
}

/** Armed timer kind ("" when none). */
export type TimerKind = '' | 'retransmit' | 'keepalive' | 'timewait' | 'probe';

/** One socket row (GET /api/ports/{port}/sockets, snapshots and changes). */
export interface Socket {
  local: string;
  remote: string;
  side: Side;
  state: string;
  timer?: TimerKind;
  /** Time left on timer, in ms, at the moment the poll ran. */
  timerMs?: number;
  uid: number;
  inode?: number;
  pid?: number;
  /** "kernel" for TIME_WAIT sockets (no process owns them). */
  process?: string;
  rttMs?: number;
  retrans?: number;
}

/** GET /api/ports/{port} and an element of GET /api/ports. */
export interface PortStatus {
  port: number;
  source: string;
  /** RFC3339Nano time of the last poll ("" before the first). */
  at: string;
  counts: Counts;
  experiment?: string;
}

/** A run of the per-port ring: columns per state, as long as t (Unix ms). */
export interface Timeline {
  port: number;
  seq0: number;
  seq: number;
  t: number[];
  server: Record<string, number[]>;
  client: Record<string, number[]>;
}

export type ChangeKind = 'opened' | 'changed' | 'gone';

export interface Change {
  kind: ChangeKind;
  socket: Socket;
  /** Previous state, for "changed" (and "gone": the last state seen). */
  from?: string;
}

export interface Hello {
  type: 'hello';
  source: string;
  version: string;
  go: string;
  intervalMs: number;
}

/** Caps on what one message carries (wire.SnapshotLimit, wire.ChangesLimit). */
export const SNAPSHOT_LIMIT = 2000;
export const CHANGES_LIMIT = 1000;

export interface Snapshot {
  type: 'snapshot';
  port: number;
  seq: number;
  /** Unix ms of the poll at seq (0 before the first). */
  at: number;
  source: string;
  counts: Counts;
  sockets: Socket[];
  socketsTotal: number;
  timeline: Timeline;
  experiment?: string;
}

export interface Tick {
  type: 'tick';
  port: number;
  seq: number;
  /** Unix ms of the poll. */
  at: number;
  counts: Counts;
  changes: Change[] | null;
  truncated?: boolean;
}

export interface PortsMessage {
  type: 'ports';
  ports: PortStatus[];
}

/** Body of every HTTP error ({"error":{...}}) and payload of a websocket error. */
export interface WireError {
  code: string;
  message: string;
  field?: string;
}

export interface ErrorBody {
  error: WireError;
}

export interface ErrorMessage {
  type: 'error';
  error: WireError;
}

/** Every message the server sends on /ws. */
export type ServerMessage = Hello | Snapshot | Tick | PortsMessage | ErrorMessage;

/** What the browser sends on /ws. */
export interface Request {
  type: 'subscribe' | 'unsubscribe';
  port?: number;
  experiment?: string;
}

/** GET /api/system. */
export interface System {
  source: string;
  sourceNote?: string;
  os: string;
  arch: string;
  kernel: string;
  go: string;
  version: string;
  intervalMs: number;
  /** sysctl name -> value as read from /proc/sys; absent where unreadable. */
  knobs: Record<string, string> | null;
  /** Size of ip_local_port_range (0 when unknown). */
  ephemeralPorts: number;
}
