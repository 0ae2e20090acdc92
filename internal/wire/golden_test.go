package wire

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current encoding")

func u32(v uint32) *uint32 { return &v }

func f64(v float64) *float64 { return &v }

// goldens are representative messages; their encoding is the contract with
// the browser and with scripts (GET /api/..., connlab run -json).
var goldens = map[string]any{
	"port_status": PortStatus{Port: 8081, Source: "netlink", At: "2026-11-21T13:00:00.25Z",
		Counts: Counts{Server: map[string]int{"ESTABLISHED": 3, "TIME_WAIT": 20, "LISTEN": 1}, Client: map[string]int{}}},
	"port_status_flow": PortStatus{Port: 8081, Source: "netlink", At: "2026-11-21T13:00:00.25Z",
		Counts: Counts{Server: map[string]int{"LISTEN": 1, "TIME_WAIT": 58}, Client: map[string]int{}},
		Flow: &Flow{Source: "ebpf", Since: "2026-11-21T12:58:00Z",
			Total: FlowCounts{Opened: 120, OpenedBy: SidePair{Server: 120}, ClosedFirst: ClosedFirst{Server: 117, Client: 3}, Reset: 1, TimeWait: SidePair{Server: 116}},
			Last60s: FlowWindow{FlowCounts: FlowCounts{Opened: 58, OpenedBy: SidePair{Server: 58}, ClosedFirst: ClosedFirst{Server: 57, Client: 1}, TimeWait: SidePair{Server: 57}},
				PerSec: 0.97, WindowSec: 60},
			LifetimeMs: FlowLifetime{P50: f64(1.2), P99: f64(4.8), N: 58},
			Forecast:   FlowForecast{TimeWaitSteady: SideFloat{Server: 57}}}},
	"transitions": Transitions{Type: TypeTransitions, Port: 8081, Events: []TransitionEvent{
		{At: 1795352400250.125, Side: "server", Local: "127.0.0.1:8081", Remote: "127.0.0.1:54722", From: "ESTABLISHED", To: "FIN_WAIT1", PID: 4242, Process: "myservice"},
		{At: 1795352400250.25, Side: "client", Local: "127.0.0.1:54722", Remote: "127.0.0.1:8081", Reset: "received"}}},
	"flow_conns": FlowConns{Port: 8081, Source: "ebpf", Connections: []FlowConn{
		{Client: "127.0.0.1:54722", Server: "127.0.0.1:8081", OpenedMs: f64(1795352400249.5), EndedMs: 1795352400250.75, ClosedFirst: "server", Here: []string{"server", "client"}}}},
	"socket": Socket{Local: "127.0.0.1:8081", Remote: "127.0.0.1:54722", Side: "server", State: "ESTABLISHED",
		Timer: "keepalive", TimerMs: 14870, UID: 1000, Inode: 123456, PID: 4242, Process: "myservice", RTTMs: 0.031, Retrans: u32(0)},
	"socket_time_wait": Socket{Local: "127.0.0.1:8081", Remote: "127.0.0.1:54723", Side: "server", State: "TIME_WAIT",
		Timer: "timewait", TimerMs: 59750, Process: "kernel"},
	"tick": Tick{Type: TypeTick, Port: 8081, Seq: 42, At: 1795352400250,
		Counts: Counts{Server: map[string]int{"TIME_WAIT": 1}, Client: map[string]int{}},
		Changes: []Change{{Kind: "changed", From: "ESTABLISHED", Socket: Socket{Local: "127.0.0.1:8081", Remote: "127.0.0.1:54722",
			Side: "server", State: "TIME_WAIT", Timer: "timewait", TimerMs: 60000, Process: "kernel"}}}},
	"snapshot": Snapshot{Type: TypeSnapshot, Port: 8081, Seq: 41, At: 1795352400000, Source: "netlink",
		Counts: Counts{Server: map[string]int{"LISTEN": 1}, Client: map[string]int{}}, Sockets: []Socket{}, SocketsTotal: 0,
		Timeline: Timeline{Port: 8081, Seq0: 40, Seq: 41, T: []int64{1795352399750, 1795352400000},
			Server: map[string][]int32{"LISTEN": {1, 1}, "TIME_WAIT": {0, 0}}, Client: map[string][]int32{"TIME_WAIT": {0, 0}}}},
	"error_body": ErrorBody{Error: Error{Code: "invalid_port", Message: "port must be from 1 to 65535, got 70000", Field: "port"}},
	"system": System{Source: "netlink", OS: "linux", Arch: "amd64", Kernel: "6.18.0", Go: "go1.26.8", Version: "v1.0.0",
		IntervalMs: 250, HistoryMs: 900000, Knobs: map[string]string{"net.ipv4.tcp_tw_reuse": "2"}, EphemeralPorts: 28232, UID: 1000,
		OwnersNote:  "connlab is not root (uid 1000): the process holding another user's socket cannot be named",
		Transitions: "polls", TransitionsNote: "needs root, or CAP_BPF and CAP_PERFMON: kernel TCP events unavailable"},
	"hello": Hello{Type: TypeHello, Source: "netlink", Version: "v1.0.0", Go: "go1.26.8", IntervalMs: 250},
	"exp_summary": ExpSummary{ID: "3f9a", Preset: "keepalive-default", Port: 40001, Status: ExpCompleted,
		StartedAt: "2026-11-21T13:00:00Z", StartedAtMs: 1795352400000, Requests: 20, Connections: 1,
		Answer: "One connection carried the 20 requests", Saved: true,
		Progress: ExpProgress{Phase: PhaseDone, ElapsedMs: 3010, WorkloadMs: 1010, RequestsDone: 20, RequestsTarget: 20, ObserveMs: 2000}},
	"exp_result": ExperimentResult{ID: "3f9a", Preset: "client-disable-keepalive", Go: "go1.26.8", Port: 40001, Status: ExpCompleted,
		Spec: []byte(`{"preset":"client-disable-keepalive","requests":2}`), StartedAt: "2026-11-21T13:00:00Z", StartedAtMs: 1795352400000,
		ExpMeasures: goldenMeasures, Lanes: []Lane{}, LanesTotal: 2, Log: []RequestLine{goldenLine}, LogTotal: 2, Timeline: goldenTimeline},
	"exp_update": ExpUpdate{Type: TypeExpUpdate, ID: "3f9a", Seq: 9, At: 1795352403010, Status: ExpCompleted, Done: true,
		ExpMeasures: goldenMeasures, Lanes: []Lane{}, LanesSkipped: 1, Log: []RequestLine{goldenLine}, LogSkipped: 1, Timeline: goldenTimeline},
	"exp_failed_update": ExpUpdate{Type: TypeExpUpdate, ID: "3f9b", Seq: 2, At: 1795352403010, Status: ExpFailed, Error: "listen again: address in use",
		ExpMeasures: ExpMeasures{Progress: ExpProgress{Phase: PhaseWorkload}, Findings: []Finding{}}, Lanes: []Lane{}, Log: []RequestLine{}, Timeline: Timeline{T: []int64{}}},
	"run_file": RunFile{Format: RunFileFormat, Version: RunFileVersion, SavedAt: "2026-11-21T13:00:03Z", Connlab: "v1.0.0",
		Result: ExperimentResult{ID: "3f9a", Preset: "client-disable-keepalive", Go: "go1.26.8", Port: 40001, Status: ExpCompleted,
			Spec: []byte(`{"preset":"client-disable-keepalive","requests":2}`), StartedAt: "2026-11-21T13:00:00Z", StartedAtMs: 1795352400000,
			ExpMeasures: goldenMeasures, Lanes: []Lane{}, LanesTotal: 2, Log: []RequestLine{goldenLine}, LogTotal: 2, Timeline: goldenTimeline}},
	"lane": Lane{ID: 7, ClientPort: 54722, OpenedMs: 12.5, ConnectMs: 0.1, Dialed: true, Accepted: true, Requests: 1,
		FirstReqMs: 12.6, LastReqMs: 12.6, ServerState: "closed", ClosedBy: "server", ClosedMs: 13, EndedMs: 13.2, End: "fin",
		TimeWait: "server", TimeWaitMs: 250, TimeWaitLeftMs: 59700},
}

func TestGoldenEncoding(t *testing.T) {
	for name, v := range goldens {
		got, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got = append(got, '\n')
		path := filepath.Join("testdata", name+".golden.json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run go test ./internal/wire -update to create it)", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encoding changed: the browser and scripts rely on it.\ngot:\n%s\nwant:\n%s\n(if intended, update web/src/wire.ts and run go test ./internal/wire -update)", name, got, want)
		}
	}
}

// The measures the experiment goldens share.
var (
	goldenMeasures = ExpMeasures{Progress: goldenProgress, Requests: goldenRequests, Connections: goldenConnections,
		Kernel: goldenKernel, Latency: goldenLatency, Findings: goldenFindings}
	goldenProgress = ExpProgress{Phase: PhaseDone, ElapsedMs: 3010, WorkloadMs: 1010, RequestsDone: 2, RequestsTarget: 2, ObserveMs: 2000}
	goldenRequests = ExpRequests{Total: 2, OK: 2, RespClose: 2, ServerSaw: map[string]int{"close": 2}, Protos: map[string]int{"HTTP/1.1": 2},
		Framing: map[string]int{"content-length": 2}, Status: map[string]int{"200": 2}, ErrorSamples: map[string]int{"dial tcp 127.0.0.1:P: connection refused": 1}}
	goldenConnections = ExpConnections{Opened: 2, Dialed: 2, ClosedFirst: ClosedFirst{Server: 2}, Carried: 2, MaxRequestsPerConn: 1, PeakOpen: 1, MedianLifetimeMs: 0.8, ServedRequests: 2}
	goldenKernel      = ExpKernel{Source: "netlink", Polls: 30, TimeWaitPeak: SidePair{Server: 2}, EstablishedPeak: SidePair{Server: 1, Client: 1},
		KeepaliveMinMs: SidePair{Server: 14900}, TimeWaitEnd: SidePair{Server: 2}, DrainedMs: -1,
		Last: Counts{Server: map[string]int{"TIME_WAIT": 2}, Client: map[string]int{}}}
	goldenLatency  = ExpLatency{P50Ms: 0.4, P99Ms: 0.9, MeanMs: 0.5, MaxMs: 0.9, RequestsPerSec: 1.98}
	goldenFindings = []Finding{{ID: "closed-first", Level: "info", Text: "The server closed first", Evidence: []string{"2 of 2"}, Why: "FIN", Change: "keep-alive"}}
	goldenLine     = RequestLine{Seq: 2, AtMs: 500.5, Worker: 1, Conn: 2, ClientPort: 54724, Method: "GET", Proto: "HTTP/1.1", Connection: "close",
		Attempts: 1, Status: 200, Framing: "content-length", RespClose: true, ConnectMs: 0.1, TTFBMs: 0.3, TotalMs: 0.4}
	goldenTimeline = Timeline{Port: 40001, Seq0: 29, Seq: 30, T: []int64{1795352402950, 1795352403000},
		Server: map[string][]int32{"TIME_WAIT": {2, 2}}, Client: map[string][]int32{"TIME_WAIT": {0, 0}}}
)
