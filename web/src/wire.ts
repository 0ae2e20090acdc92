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
  /** The connection flow (GET /api/ports/{port} only, not lists). */
  flow?: Flow;
}

/**
 * A port's connection flow: who opens and who closes its connections. Source
 * "ebpf" counts kernel state transitions (exact); "polls" what successive
 * polls differ by (lower bounds; missing says what it cannot see).
 */
export interface Flow {
  source: 'ebpf' | 'polls';
  lowerBound: boolean;
  missing?: string;
  /** RFC3339: when watching began. */
  since: string;
  total: FlowCounts;
  last60s: FlowWindow;
  lifetimeMs: FlowLifetime;
  forecast: FlowForecast;
  untracked?: number;
  /** Kernel events dropped (ring buffer full): counts may be short by as much. */
  lostEvents?: number;
}

/** A watched port's kernel transitions as they happen (eBPF source), batched every few ms; not part of the tick sequence. */
export interface Transitions {
  type: 'transitions';
  port: number;
  events: TransitionEvent[];
  dropped?: number;
  flow?: Flow;
}

/** One state change or reset of one socket of this host. */
export interface TransitionEvent {
  /** Unix ms with a sub-millisecond fraction. */
  at: number;
  side: Side;
  local: string;
  remote: string;
  /** States before and after ("" for a reset). */
  from: string;
  to: string;
  reset?: 'sent' | 'received';
  pid?: number;
  process?: string;
}

/** One connection of a watched port that ended, as the flow saw it. */
export interface FlowConn {
  client: string;
  server: string;
  /** Unix ms; null when the opening was not seen. */
  openedMs: number | null;
  endedMs: number;
  closedFirst: '' | 'server' | 'client' | 'simultaneous';
  reset: boolean;
  /** The ends that are sockets of this host. */
  here: Side[];
}

/** GET /api/ports/{port}/connections: the most recent connections that ended, oldest first. */
export interface FlowConns {
  port: number;
  source: 'ebpf' | 'polls';
  connections: FlowConn[];
}

export interface FlowCounts {
  /** Connections (both ends on this host count once). */
  opened: number;
  /** This host's sockets, by side, seen opening (accepted on the server side, dialed on the client side). */
  openedBy: SidePair;
  closedFirst: ClosedFirst;
  reset: number;
  /** This host's sockets, by side, that entered TIME_WAIT. */
  timeWait: SidePair;
}

/** FlowCounts over the last windowSec seconds (60, less just after watching began). */
export interface FlowWindow extends FlowCounts {
  perSec: number;
  windowSec: number;
}

/** Lifetime quantiles in ms of the connections that ended in the window; null when none or not measured. */
export interface FlowLifetime {
  p50: number | null;
  p99: number | null;
  n: number;
}

export interface FlowForecast {
  /** TIME_WAIT each side holds in steady state at the window's close rate. */
  timeWaitSteady: SideFloat;
  /** Seconds until the client side runs out of ephemeral ports toward one destination; null: never at this rate. */
  ephemeralExhaustSec: number | null;
}

export interface SideFloat {
  server: number;
  client: number;
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
  flow?: Flow;
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
  flow?: Flow;
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
export type ServerMessage = Hello | Snapshot | Tick | Transitions | PortsMessage | ErrorMessage | ExpSnapshot | ExpUpdate;

/** What the browser sends on /ws. */
export interface Request {
  type: 'subscribe' | 'unsubscribe';
  port?: number;
  experiment?: string;
}

/** GET /api/ports/{port}/verdict: the live Watch verdict, the answer first. */
export interface PortVerdict {
  port: number;
  findings: Finding[];
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
  /** Span of timeline each watched port keeps (-history), ms. */
  historyMs: number;
  /** sysctl name -> value as read from /proc/sys; absent where unreadable. */
  knobs: Record<string, string> | null;
  /** Size of ip_local_port_range (0 when unknown). */
  ephemeralPorts: number;
  /** Where Watch learns who opens and closes connections: kernel transitions (exact) or polls (lower bounds). */
  transitions: 'ebpf' | 'polls';
  /** Why eBPF is not in use. */
  transitionsNote?: string;
  /** Effective uid connlab runs as (-1 on Windows). */
  uid: number;
  /** Why the process owning some sockets cannot be named (not root, or no ptrace access); absent when every owner can be. */
  ownersNote?: string;
}

// ---- Lab experiments (internal/wire/experiment.go) ----
// Times inside an experiment are ms since its start (startedAtMs, Unix ms),
// except Timeline.t, which is Unix ms like the Watch timeline.

export type ExpStatus = 'running' | 'completed' | 'stopped' | 'failed';
export type ExpPhase = 'workload' | 'observe' | 'teardown' | 'done';

/** Caps on one exp-update (wire.ExpLogPerUpdate, wire.ExpLanesPerUpdate). */
export const EXP_LOG_PER_UPDATE = 200;
export const EXP_LANES_PER_UPDATE = 500;

/** An element of GET /api/presets. `spec` is the JSON of experiment.Spec. */
export interface PresetInfo {
  name: string;
  question: string;
  lookAt: string;
  spec: SpecJSON;
}

/**
 * experiment.Spec as JSON: the shape GET /api/presets returns and POST
 * /api/experiments accepts. Durations are Go duration strings ("1m30s").
 */
export interface SpecJSON {
  preset: string;
  requests: number;
  duration: string;
  interval: string;
  rate: number;
  concurrency: number;
  method: string;
  bodyBytes: number;
  observe: string;
  server: ServerSpecJSON;
  client: ClientSpecJSON;
}

/** experiment.ServerSpec as JSON. */
export interface ServerSpecJSON {
  keepAlives: boolean;
  idleTimeout: string;
  readTimeout: string;
  readHeaderTimeout: string;
  delay: string;
  framing: string;
  protocol: string;
  restartAfter: number;
}

/** experiment.ClientSpec as JSON. */
export interface ClientSpecJSON {
  disableKeepAlives: boolean;
  body: string;
  maxIdleConnsPerHost: number;
  maxConnsPerHost: number;
  idleConnTimeout: string;
  protocol: string;
  tcpKeepAlive: TCPKeepAliveJSON;
}

/** experiment.TCPKeepAlive as JSON. */
export interface TCPKeepAliveJSON {
  enable: boolean;
  idle: string;
  interval: string;
  count: number;
}

export type SpecFieldKind = 'int' | 'float' | 'duration' | 'bool' | 'enum';

/**
 * GET /api/schema: every settable spec field, in spec order. The Go side is
 * the one source of keys, kinds, defaults, limits, enumerations and units.
 */
export interface SpecSchema {
  fields: SpecField[];
}

/** One spec field. Values are spelled as in SpecJSON (numbers, Go duration strings, booleans, strings). */
export interface SpecField {
  /** The JSON / `-set` key, dotted for nested fields. */
  key: string;
  kind: SpecFieldKind;
  /** experiment.Default()'s value. */
  default: number | string | boolean;
  /** Inclusive bounds of int, float and duration fields. */
  min?: number | string;
  max?: number | string;
  /** The values of an enum field. */
  enum?: string[];
  /** Shown after a numeric value ("B", "/s"). */
  unit?: string;
}

/** POST /api/experiments -> 201. */
export interface ExpCreated {
  id: string;
  port?: number;
  status?: ExpStatus;
}

export interface ExpProgress {
  phase: ExpPhase;
  elapsedMs: number;
  workloadMs: number;
  requestsDone: number;
  /** 0: no requests bound. */
  requestsTarget: number;
  /** 0: no time bound. */
  durationMs: number;
  observeMs: number;
  untilStopped?: boolean;
  /** Why the observe phase ended before observeMs: "drained" (no TIME_WAIT left, nothing happening), "skipped" (asked to). */
  observeEnded?: 'drained' | 'skipped';
}

export interface ExpRequests {
  total: number;
  ok: number;
  errors: number;
  canceled: number;
  reused: number;
  wasIdle: number;
  retried: number;
  respClose: number;
  bodyUnread: number;
  /** Connection request header the server saw (lower-cased, "" absent) -> count. */
  serverSaw: Record<string, number>;
  protos: Record<string, number>;
  framing: Record<string, number>;
  status: Record<string, number>;
  errorSamples?: Record<string, number>;
}

export interface ClosedFirst {
  server: number;
  client: number;
  simultaneous: number;
}

export interface ExpConnections {
  opened: number;
  dialed: number;
  open: number;
  reset: number;
  closedFirst: ClosedFirst;
  serverIdleClosed: number;
  teardown: number;
  /** Accepted connections that carried no request ("never used") / at least one. */
  unused: number;
  carried: number;
  maxRequestsPerConn: number;
  peakOpen: number;
  medianLifetimeMs: number;
  /** Requests the server served on an already-used connection (the server's count of reuse). */
  reusedRequests: number;
  /** Requests the server served (carried + reusedRequests): the population of the reuse ratio. */
  servedRequests: number;
  /** How long the side that did not close first took to close (its CLOSE_WAIT), over FIN-ended connections. */
  closeWaitMedianMs: number;
  closeWaitMaxMs: number;
  /** Passive closes slower than 1 s. */
  closeWaitOver: number;
  /** Connections whose peer had closed and that side never did, at the teardown, by side. */
  leftInCloseWait: SidePair;
  /** TIME_WAIT left by connlab's own teardown, by side. */
  teardownTimeWait: SidePair;
}

export interface SidePair {
  server: number;
  client: number;
}

export interface ExpKernel {
  source?: string;
  polls: number;
  timeWaitPeak: SidePair;
  establishedPeak: SidePair;
  closeWaitPeak: SidePair;
  keepalivePeak: SidePair;
  keepaliveMinMs: SidePair;
  timeWaitEnd: SidePair;
  /** ms after the workload ended when TIME_WAIT reached 0 on both sides; -1 not drained. */
  drainedMs: number;
  last: Counts;
}

export interface ExpLatency {
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  requestsPerSec: number;
}

export type FindingLevel = 'good' | 'info' | 'warn' | 'bad';

export interface Finding {
  id: string;
  level: FindingLevel;
  text: string;
  evidence: string[];
  why?: string;
  change?: string;
  /** The Lab preset that reproduces what the finding describes (Watch findings). */
  lab?: string;
}

export type CloseSide = 'server' | 'client' | 'simultaneous';

/** One connection (client dial paired with server accept by the client port). */
export interface Lane {
  id: number;
  clientPort: number;
  openedMs: number;
  connectMs: number;
  dialed: boolean;
  accepted: boolean;
  requests: number;
  firstReqMs?: number;
  lastReqMs?: number;
  serverState?: string;
  /** Once ended: who called Close first ("" / absent while open). */
  closedBy?: CloseSide | '';
  /** First Close of either side. */
  closedMs?: number;
  /** Both sides done. */
  endedMs?: number;
  end?: 'fin' | 'rst' | '';
  resetBy?: string;
  idleClosed?: boolean;
  teardown?: boolean;
  serverSaw?: string;
  clientSaw?: string;
  /** Whose socket the kernel showed in TIME_WAIT ("" none seen). */
  timeWait?: 'server' | 'client' | 'both' | '';
  /** When TIME_WAIT was first seen, and the countdown then: it lasts until timeWaitMs + timeWaitLeftMs. */
  timeWaitMs?: number;
  timeWaitLeftMs?: number;
  /** A later connection of the run took this client port (tcp_tw_reuse): its TIME_WAIT may never have been polled. */
  portReused?: boolean;
}

/** One request of the request log. */
export interface RequestLine {
  seq: number;
  atMs: number;
  worker: number;
  /** Lane id (0 / absent: never got a connection). */
  conn?: number;
  clientPort?: number;
  method: string;
  proto?: string;
  /** Connection request header the server saw, lower-cased ("" absent). */
  connection: string;
  reused: boolean;
  wasIdle: boolean;
  idleMs?: number;
  attempts: number;
  status?: number;
  framing?: string;
  respClose?: boolean;
  error?: string;
  connectMs?: number;
  ttfbMs?: number;
  totalMs: number;
}

/** The measures the result and the live update share (wire.ExpMeasures, inline in both). */
export interface ExpMeasures {
  progress: ExpProgress;
  requests: ExpRequests;
  connections: ExpConnections;
  kernel: ExpKernel;
  latency: ExpLatency;
  findings: Finding[];
  /** One line answering the preset's question from the measured evidence; set by the verdict. */
  answer?: string;
}

/** GET /api/experiments/{id}, and the result of an exp-snapshot. */
export interface ExperimentResult {
  id: string;
  preset: string;
  go: string;
  port: number;
  status: ExpStatus;
  error?: string;
  spec: SpecJSON;
  startedAt: string;
  startedAtMs: number;
  progress: ExpProgress;
  requests: ExpRequests;
  connections: ExpConnections;
  kernel: ExpKernel;
  latency: ExpLatency;
  findings: Finding[];
  /** One line answering the preset's question from the measured evidence; set by the verdict. */
  answer?: string;
  lanes: Lane[];
  lanesTotal: number;
  log: RequestLine[];
  logTotal: number;
  timeline: Timeline;
}

/**
 * A finished run as saved in the state directory, downloaded from the page,
 * written by `connlab run -o` and replayed by the page or `connlab show`.
 */
export interface RunFile {
  /** Always "connlab-run". */
  format: string;
  /** Bumped when an older reader would misread a newer file. */
  version: number;
  /** RFC3339 (UTC). */
  savedAt: string;
  /** The connlab version that wrote it. */
  connlab: string;
  result: ExperimentResult;
}

/** An element of GET /api/experiments. */
export interface ExpSummary {
  id: string;
  preset: string;
  port: number;
  status: ExpStatus;
  error?: string;
  startedAt: string;
  startedAtMs: number;
  progress: ExpProgress;
  requests: number;
  errors: number;
  connections: number;
  /** The run's one-line answer to its preset's question, when the verdict gave one. */
  answer?: string;
  /** Set when the run is in the state directory: listed and served after a restart too. */
  saved?: boolean;
}

/** Sent once per experiment subscribe: the whole result at seq. */
export interface ExpSnapshot {
  type: 'exp-snapshot';
  id: string;
  seq: number;
  result: ExperimentResult;
}

/**
 * One batch: counters, progress and findings are absolute (replace); lanes
 * are upserts by id; log lines and timeline rows are new since the previous
 * update. The last one has done set.
 */
export interface ExpUpdate {
  type: 'exp-update';
  id: string;
  seq: number;
  /** Unix ms (server clock). */
  at: number;
  status: ExpStatus;
  error?: string;
  done?: boolean;
  progress: ExpProgress;
  requests: ExpRequests;
  connections: ExpConnections;
  kernel: ExpKernel;
  latency: ExpLatency;
  findings: Finding[];
  /** One line answering the preset's question from the measured evidence; set by the verdict. */
  answer?: string;
  lanes: Lane[];
  lanesSkipped?: number;
  log: RequestLine[];
  logSkipped?: number;
  timeline: Timeline;
}
