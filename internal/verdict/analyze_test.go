package verdict

import (
	"encoding/json"
	"fmt"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// expect is what one finding must look like: its level, substrings of its
// text, and substrings that must each appear in some evidence line.
type expect struct {
	level    string
	text     []string
	evidence []string
	why      string // substring of Why, optional
	change   string // substring of Change, optional
}

func TestAnalyzeRecordedEvidence(t *testing.T) {
	cases := []struct {
		name string
		ev   Evidence
		want map[string]expect
	}{
		{"keepalive-default", keepAliveDefault(), map[string]expect{
			IDReuse: {level: LevelGood, text: []string{"1 connection carried 100 requests", "100 per connection"},
				evidence: []string{"listener accepted 1 connection for 100 requests", "reuse ratio 99%", "reused connection on 99 of 100 requests"}},
			IDClosedFirst:     {level: LevelInfo, text: []string{"client closed the connection first"}, evidence: []string{"no RST seen, 1 of 1"}},
			IDTimeWait:        {level: LevelInfo, text: []string{"on the client (peak 1)", "still there"}, evidence: []string{"client-side TIME_WAIT peaked at 1 (netlink, 12 polls)", "matches who closed first: the client"}},
			IDRetries:         {level: LevelGood, text: []string{"No silent retries"}, evidence: []string{"once per request (100 requests)"}},
			IDErrors:          {level: LevelGood, text: []string{"No errors in 100 requests"}},
			IDProtocol:        {level: LevelInfo, text: []string{"HTTP/1.1 on 100 of 100 requests"}, evidence: []string{"content-length 100"}},
			IDKeepaliveProbes: {level: LevelInfo, text: []string{"up to 2 sockets"}, evidence: []string{"up to 2 sockets at once had a keepalive timer"}, why: "HTTP keep-alive"},
			IDLatency:         {level: LevelInfo, text: []string{"p50 0.21 ms", "p99 0.90 ms", "98 req/s"}, evidence: []string{"over 100 successful requests"}},
			IDGoVersion:       {level: LevelInfo, text: []string{"go1.26.8", "differs between Go releases"}, evidence: []string{"runtime.Version() = go1.26.8"}},
		}},
		{"client-disable-keepalive", clientDisableKeepAlives(), map[string]expect{
			IDReuse: {level: LevelBad, text: []string{"20 connections for 20 requests"},
				evidence: []string{"listener accepted 20 connections for 20 requests", "server saw `Connection: close` on 20 of 20 requests", "reuse ratio 0%"},
				why:      "DisableKeepAlives", change: "DisableKeepAlives"},
			IDClosedFirst: {level: LevelInfo, text: []string{"server closed all 20 connections first"},
				evidence: []string{"server closed first on 20, client on 0, simultaneous 0 (of 20 ended)", "20 of 20 ended with an orderly FIN"}},
			IDTimeWait: {level: LevelInfo, text: []string{"on the server (peak 20)", "drained after 61.2 s"},
				evidence: []string{"server-side TIME_WAIT peaked at 20 (netlink, 340 polls)", "client-side TIME_WAIT peaked at 0", "reached 0 on both sides 61.2 s after", "matches who closed first: the server, on 20 of 20"},
				why:      "tcp_fin_timeout does not change it"},
			IDRetries:         {level: LevelGood},
			IDErrors:          {level: LevelGood},
			IDKeepaliveProbes: {level: LevelInfo, text: []string{"No TCP keepalive timer seen"}, evidence: []string{"340 polls"}},
		}},
		{"server-disable-keepalive", serverKeepAliveOff(), map[string]expect{
			IDReuse: {level: LevelBad, text: []string{"20 connections for 20 requests"},
				evidence: []string{"`resp.Close` (server announced close) on 20 of 20 responses"},
				why:      "SetKeepAlivesEnabled(false)", change: "keep-alives enabled on the server"},
			IDClosedFirst: {level: LevelInfo, text: []string{"server closed all 20"}},
			IDTimeWait:    {level: LevelInfo, text: []string{"on the server (peak 20)"}},
		}},
		{"body-not-read", bodyNotRead(), map[string]expect{
			IDReuse: {level: LevelBad, text: []string{"20 connections for 20 requests"},
				evidence: []string{"client closed 20 of 20 response bodies before EOF"}, change: "io.Discard"},
			IDClosedFirst: {level: LevelWarn, text: []string{"client closed all 20 connections first", "20 by reset"},
				evidence: []string{"20 of 20 ended with an RST"}, why: "no TIME_WAIT on either side"},
			IDTimeWait: {level: LevelInfo, text: []string{"No TIME_WAIT on either side", "20 reset"},
				evidence: []string{"20 of 20 ended with an RST, which skips TIME_WAIT"}},
		}},
		{"idle-timeout-race GET", idleTimeoutRaceGET(), map[string]expect{
			IDReuse: {level: LevelBad, text: []string{"14 connections for 10 requests"},
				evidence: []string{"13 connections closed while idle (Idle → Closed)", "already closed by the server"}, why: "IdleTimeout"},
			IDRetries: {level: LevelWarn, text: []string{"4 of 10 requests silently retried"},
				evidence: []string{"GotConn fired more than once on 4 of 10 requests", "9 of 10 took an idle pooled connection", "13 connections closed while idle"},
				why:      "idempotent", change: "IdleConnTimeout below the server's IdleTimeout"},
			IDErrors:      {level: LevelGood, text: []string{"No errors in 10 requests"}},
			IDClosedFirst: {level: LevelInfo, text: []string{"server closed 13 of 14 connections first → 13 TIME_WAIT on the server"}},
			IDTimeWait: {level: LevelInfo, text: []string{"both sides: server 13, client 1"},
				evidence: []string{"still 2 server-side and 1 client-side in TIME_WAIT at the last poll", "server 13, client 1, simultaneous 0"}},
		}},
		{"idle-timeout-race POST", idleTimeoutRacePOST(), map[string]expect{
			IDRetries: {level: LevelGood},
			IDErrors: {level: LevelBad, text: []string{"4 of 10 requests failed"},
				evidence: []string{"4 of 10 returned an error", "client error ×3: `Post \"http://127.0.0.1/\": EOF`", "×1:", "connection reset by peer"},
				why:      "non-idempotent", change: "Idempotency-Key"},
			IDLatency: {level: LevelInfo, evidence: []string{"over 6 successful requests"}},
		}},
		{"pool-churn", poolChurn(), map[string]expect{
			IDReuse: {level: LevelWarn, text: []string{"400 connections for 1000 requests", "2.5 per connection"},
				evidence: []string{"reuse ratio 60%", "up to 50 connections open at once", "server-side ESTABLISHED peaked at 50 (netlink, 30 polls)", "client closed 398 of 398 first while up to 50 were open at once"},
				why:      "MaxIdleConnsPerHost", change: "MaxIdleConnsPerHost"},
			IDClosedFirst: {level: LevelInfo, text: []string{"client closed all 398 connections first"}, evidence: []string{"2 connections still open"}},
			IDTimeWait: {level: LevelWarn, text: []string{"on the client (peak 398)"},
				evidence: []string{"client-side TIME_WAIT peaked at 398", "398 = 1.4% of Linux's default 28232 ephemeral ports"},
				why:      "ephemeral port", change: "Reuse connections on the client"},
		}},
		{"pool-sized", poolSized(), map[string]expect{
			IDReuse:    {level: LevelGood, text: []string{"50 connections carried 1000 requests", "20 per connection"}},
			IDTimeWait: {level: LevelInfo, text: []string{"on the server (peak 50)"}},
		}},
		{"pool-sized, short run, fast handler", func() Evidence {
			// 50 workers, 2 requests each: every connection is needed at
			// once, and the handler's in-flight peak (8) is far below the
			// client's concurrency. That is not a leak.
			ev := poolSized()
			ev.Requests.Total, ev.Requests.Reused, ev.Requests.WasIdle, ev.Requests.PeakInFlight = 100, 50, 50, 8
			ev.Connections.MaxRequestsPerConn = 2
			return ev
		}(), map[string]expect{
			IDReuse: {level: LevelGood, text: []string{"50 connections carried 100 requests", "2 per connection"}},
		}},
		{"h2c-multiplex", h2c(), map[string]expect{
			IDReuse: {level: LevelGood, text: []string{"1 connection carried 100 requests"}, why: "HTTP/2"},
			IDProtocol: {level: LevelGood, text: []string{"HTTP/2 multiplexed", "up to 10 requests at once on 1 connection"},
				evidence: []string{"server saw HTTP/2.0 on 100 of 100 requests", "up to 10 requests at once on at most 1 open connection"}},
			IDClosedFirst: {level: LevelInfo, text: []string{"No connection ended: 1 still open"}},
			IDTimeWait:    {level: LevelGood, text: []string{"No TIME_WAIT on either side"}},
		}},
		{"http10", http10(), map[string]expect{
			IDReuse: {level: LevelBad, text: []string{"20 connections for 20 requests"},
				evidence: []string{"HTTP/1.0 without `Connection: keep-alive` on 20 of 20 requests", "20 of 20 responses delimited by connection close"},
				why:      "HTTP/1.0", change: "HTTP/1.1"},
			IDProtocol: {level: LevelWarn, text: []string{"HTTP/1.0 on 20 of 20 requests", "20 close-delimited"},
				evidence: []string{"server saw HTTP/1.0 on 20 of 20 requests", "eof 20"}, change: "Content-Length"},
			IDTimeWait: {level: LevelInfo, text: []string{"on the server (peak 20)"}},
		}},
		{"http10-keepalive", http10KeepAlive(), map[string]expect{
			IDReuse:    {level: LevelGood, text: []string{"1 connection carried 20 requests"}},
			IDProtocol: {level: LevelInfo, text: []string{"HTTP/1.0 on 20 of 20 requests"}},
		}},
		{"no kernel evidence", noKernel(), map[string]expect{
			IDReuse:           {level: LevelBad, text: []string{"20 connections for 20 requests"}},
			IDTimeWait:        {level: LevelInfo, text: []string{"No kernel evidence"}, evidence: []string{"0 polls"}},
			IDKeepaliveProbes: {level: LevelInfo, text: []string{"No kernel evidence"}, evidence: []string{"0 polls"}},
			IDClosedFirst:     {level: LevelInfo, text: []string{"server closed all 20"}},
		}},
		{"stopped", stopped(), map[string]expect{
			IDCompleted:   {level: LevelWarn, text: []string{"stopped before the end", "partial"}, evidence: []string{"workload ran 350 ms, 35 requests made"}},
			IDReuse:       {level: LevelGood, text: []string{"1 connection carried 35 requests"}},
			IDClosedFirst: {level: LevelInfo, text: []string{"1 still open"}},
		}},
		{"failed", failed(), map[string]expect{
			IDCompleted: {level: LevelBad, text: []string{"failed before the end"}, evidence: []string{"too many open files"}},
		}},
		{"body-not-closed", bodyNotClosed(), map[string]expect{
			IDReuse: {level: LevelBad, text: []string{"20 connections for 20 requests"},
				evidence: []string{"client-side CLOSE_WAIT peaked at 12", "up to 10 connections open at once while the server served at most 1 request at a time"},
				why:      "neither read to EOF nor closed", change: "defer resp.Body.Close()"},
			IDClosedFirst: {level: LevelInfo, text: []string{"server closed all 12 connections first"}, evidence: []string{"8 connections still open"}},
			IDTimeWait:    {level: LevelInfo, text: []string{"No TIME_WAIT", "CLOSE_WAIT"}, evidence: []string{"CLOSE_WAIT peaked at 0 server-side, 12 client-side"}},
			IDCloseWait: {level: LevelWarn, text: []string{"CLOSE_WAIT leak on the client: 12 connections never closed after the server did"},
				evidence: []string{"CLOSE_WAIT peaked at 0 server-side, 12 client-side (netlink, 16 polls)", "0 server-side and 12 client-side connections had their peer closed"}, change: "resp.Body.Close()"},
		}},
		{"one CLOSE_WAIT caught in passing", func() Evidence {
			ev := keepAliveDefault()
			ev.Kernel.CloseWaitPeakServer = 1
			return ev
		}(), map[string]expect{
			IDCloseWait: {level: LevelInfo, text: []string{"CLOSE_WAIT was transient"}, why: "not a leak"},
		}},
		{"client-disable-keepalive at 1 req/s for 5 min", func() Evidence {
			ev := clientDisableKeepAlives()
			ev.DurationMs = 300_000
			ev.Requests.Total, ev.Requests.ServerSaw["close"], ev.Requests.RespClose = 300, 300, 300
			ev.Connections.Accepted, ev.Connections.Dialed, ev.Connections.ClosedFirstServer = 300, 300, 300
			ev.Kernel.TimeWaitPeakServer = 61 // 1 close/s held for 60–63 s
			return ev
		}(), map[string]expect{
			IDReuse:    {level: LevelBad, text: []string{"300 connections for 300 requests"}},
			IDTimeWait: {level: LevelInfo, text: []string{"on the server (peak 61)"}, evidence: []string{"peak 61 below the 300 server closes: a 300 s run only holds the last 60 s"}},
		}},
		{"single request", singleRequest(), map[string]expect{
			IDReuse:           {level: LevelInfo, text: []string{"1 request: too few"}, evidence: []string{"listener accepted 1 connection for 1 request"}},
			IDClosedFirst:     {level: LevelInfo, text: []string{"server closed the connection first"}},
			IDTimeWait:        {level: LevelInfo, evidence: []string{"(netlink, 1 poll)", "on 1 of 1 connection"}},
			IDKeepaliveProbes: {level: LevelInfo, text: []string{"up to 1 socket"}, evidence: []string{"up to 1 socket at once"}},
			IDProtocol:        {level: LevelInfo, text: []string{"HTTP/1.1 on 1 of 1 request"}},
		}},
		{"client-idle-timeout", clientIdleTimeout(), map[string]expect{
			IDReuse: {level: LevelBad, text: []string{"10 connections for 10 requests"},
				evidence: []string{"client closed 10 of 10 first"}, why: "IdleConnTimeout shorter", change: "client's IdleConnTimeout above"},
			IDTimeWait: {level: LevelInfo, text: []string{"on the client (peak 10)"}},
		}},
		{"server-restart", serverRestart(), map[string]expect{
			IDReuse:       {level: LevelWarn, text: []string{"4 connections for 30 requests"}, evidence: []string{"client dialer opened 14 connections"}},
			IDClosedFirst: {level: LevelInfo, text: []string{"Mixed: the server closed 2 first, the client 1, 1 simultaneous (of 4)"}},
			IDTimeWait: {level: LevelInfo, text: []string{"both sides: server 3, client 2", "gone by the end"},
				evidence: []string{"(gopsutil, 12 polls)", "no TIME_WAIT left"}},
			IDErrors: {level: LevelBad, text: []string{"12 of 30 requests failed"},
				evidence: []string{"client error ×10: `Get", "connection refused`", "… and 1 other error", "server answered 503 on 2 of 30 requests"},
				why:      "Nothing was listening"},
			IDLatency: {level: LevelInfo, text: []string{"p99 250 ms", "10 req/s"}, evidence: []string{"over 18 successful requests"}},
		}},
		{"h2c cold start", h2cColdStart(), map[string]expect{
			IDReuse: {level: LevelGood, text: []string{"1 connection carried 100 requests"},
				evidence: []string{"listener accepted 2 connections", "1 of 2 accepted connections carried no request"}},
			IDProtocol: {level: LevelInfo, text: []string{"HTTP/2: 100 requests on 1 connection"}},
		}},
		{"error status only", statusOnly(), map[string]expect{
			IDErrors: {level: LevelWarn, text: []string{"10 of 100 requests got an error status"}, evidence: []string{"server answered 500 on 10 of 100 requests"}},
		}},
		{"no evidence at all", Evidence{Completed: true}, map[string]expect{
			IDReuse:       {level: LevelInfo, text: []string{"No requests"}},
			IDClosedFirst: {level: LevelInfo, text: []string{"No connection was recorded"}},
			IDTimeWait:    {level: LevelInfo, text: []string{"No kernel evidence"}},
			IDRetries:     {level: LevelInfo},
			IDErrors:      {level: LevelInfo},
			IDLatency:     {level: LevelInfo, text: []string{"No successful request"}},
			IDGoVersion:   {level: LevelInfo, text: []string{"not recorded"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := Analyze(tc.ev)
			byID := map[string]Finding{}
			for _, f := range fs {
				byID[f.ID] = f
			}
			for id, w := range tc.want {
				f, ok := byID[id]
				if !ok {
					t.Errorf("no %q finding; got %v", id, ids(fs))
					continue
				}
				checkFinding(t, f, w)
			}
		})
	}
}

func checkFinding(t *testing.T, f Finding, w expect) {
	t.Helper()
	if f.Level != w.level {
		t.Errorf("%s: level %q, want %q (text %q)", f.ID, f.Level, w.level, f.Text)
	}
	for _, s := range w.text {
		if !strings.Contains(f.Text, s) {
			t.Errorf("%s: text %q lacks %q", f.ID, f.Text, s)
		}
	}
	for _, s := range w.evidence {
		found := false
		for _, line := range f.Evidence {
			found = found || strings.Contains(line, s)
		}
		if !found {
			t.Errorf("%s: no evidence line contains %q:\n  %s", f.ID, s, strings.Join(f.Evidence, "\n  "))
		}
	}
	if !strings.Contains(f.Why, w.why) {
		t.Errorf("%s: why %q lacks %q", f.ID, f.Why, w.why)
	}
	if !strings.Contains(f.Change, w.change) {
		t.Errorf("%s: change %q lacks %q", f.ID, f.Change, w.change)
	}
}

func ids(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

// allFixtures returns every recorded evidence value by name.
func allFixtures() map[string]Evidence {
	return map[string]Evidence{
		"keepalive-default": keepAliveDefault(), "client-disable-keepalive": clientDisableKeepAlives(),
		"server-disable-keepalive": serverKeepAliveOff(), "body-not-read": bodyNotRead(),
		"idle-race-get": idleTimeoutRaceGET(), "idle-race-post": idleTimeoutRacePOST(),
		"pool-churn": poolChurn(), "pool-sized": poolSized(), "h2c": h2c(), "http10": http10(),
		"http10-keepalive": http10KeepAlive(), "no-kernel": noKernel(), "stopped": stopped(), "failed": failed(),
		"single": singleRequest(), "client-idle-timeout": clientIdleTimeout(), "server-restart": serverRestart(),
		"h2c-cold-start": h2cColdStart(), "status-only": statusOnly(), "body-not-closed": bodyNotClosed(),
		"zero": {}, "zero-completed": {Completed: true},
	}
}

func TestFindingOrderIsFixed(t *testing.T) {
	core := []string{IDReuse, IDClosedFirst, IDTimeWait, IDRetries, IDErrors, IDProtocol, IDKeepaliveProbes, IDLatency, IDGoVersion}
	for name, ev := range allFixtures() {
		want := slices.Clone(core)
		if ev.Kernel.CloseWaitPeakServer+ev.Kernel.CloseWaitPeakClient > 0 {
			want = slices.Insert(want, 3, IDCloseWait)
		}
		if !ev.Completed {
			want = slices.Insert(want, 0, IDCompleted)
		}
		if got := ids(Analyze(ev)); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ids %v, want %v", name, got, want)
		}
		// A run still going is not a stopped one: live findings carry no
		// "stopped before the end" alarm.
		if !ev.Completed {
			ev.Running = true
			if got := ids(Analyze(ev)); slices.Contains(got, IDCompleted) {
				t.Errorf("%s while running: ids %v include %s", name, got, IDCompleted)
			}
		}
	}
}

// Every finding is complete and fits a projector card.
func TestFindingsAreWellFormed(t *testing.T) {
	for name, ev := range allFixtures() {
		for _, f := range Analyze(ev) {
			if err := wellFormed(f); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// maxText is how many characters fit on one line of a projector card.
const maxText = 80

var levels = map[string]bool{LevelGood: true, LevelInfo: true, LevelWarn: true, LevelBad: true}

// negativeNumber matches a minus sign before a digit: counts are never negative.
var negativeNumber = regexp.MustCompile(`(^|[^\w])-\d`)

func wellFormed(f Finding) error {
	if !levels[f.Level] {
		return fmt.Errorf("%s: level %q", f.ID, f.Level)
	}
	if f.Text == "" || len([]rune(f.Text)) > maxText || strings.Contains(f.Text, "\n") {
		return fmt.Errorf("%s: text %q (%d runes)", f.ID, f.Text, len([]rune(f.Text)))
	}
	if len(f.Evidence) == 0 {
		return fmt.Errorf("%s: no evidence lines", f.ID)
	}
	if (f.Level == LevelWarn || f.Level == LevelBad) && (f.Why == "" || f.Change == "") {
		return fmt.Errorf("%s: %s finding without why/change", f.ID, f.Level)
	}
	for _, s := range append([]string{f.Text, f.Why, f.Change}, f.Evidence...) {
		for _, bad := range []string{"NaN", "Inf", "%!", "  "} {
			if strings.Contains(s, bad) {
				return fmt.Errorf("%s: %q contains %q", f.ID, s, bad)
			}
		}
		if negativeNumber.MatchString(s) {
			return fmt.Errorf("%s: %q has a negative number", f.ID, s)
		}
		// Plural-aware wording: never "1 connections" or "1 requests".
		for _, n := range []string{"connections", "requests", "sockets", "polls", "responses"} {
			if strings.HasPrefix(s, "1 "+n) || strings.Contains(s, " 1 "+n) {
				return fmt.Errorf("%s: %q says 1 %s", f.ID, s, n)
			}
		}
	}
	return nil
}

// The output depends on nothing but Evidence: the same input gives the same
// findings every time, whatever order its maps were built in, and the input
// is left untouched.
func TestAnalyzeIsDeterministic(t *testing.T) {
	for name, ev := range allFixtures() {
		first := Analyze(ev)
		before := cloneEvidence(ev)
		for i := range 50 { // map iteration order is randomised per range loop
			rebuilt := cloneEvidence(ev)
			if got := Analyze(rebuilt); !reflect.DeepEqual(got, first) {
				t.Fatalf("%s: run %d differs:\n%v\n%v", name, i, got, first)
			}
		}
		if !reflect.DeepEqual(ev, before) {
			t.Errorf("%s: Analyze modified its input", name)
		}
	}
}

// cloneEvidence copies ev, rebuilding every map so insertion order changes.
func cloneEvidence(ev Evidence) Evidence {
	re := func(m map[string]int) map[string]int {
		if m == nil {
			return nil
		}
		out := make(map[string]int, len(m))
		for _, k := range sortedKeys(m) {
			out[k] = m[k]
		}
		maps.Copy(out, m) // keys with zero counts
		return out
	}
	ev.Requests.ErrorSamples = re(ev.Requests.ErrorSamples)
	ev.Requests.ServerSaw = re(ev.Requests.ServerSaw)
	ev.Requests.Protos = re(ev.Requests.Protos)
	ev.Requests.Framing = re(ev.Requests.Framing)
	ev.Requests.Status = re(ev.Requests.Status)
	return ev
}

// The package may not reach the outside world: no clock, no I/O, no spec.
func TestPackageIsPure(t *testing.T) {
	allowed := map[string]bool{"fmt": true, "math": true, "sort": true, "strings": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[p] {
				t.Errorf("%s imports %q: verdict must stay pure (Evidence in, Findings out)", name, p)
			}
		}
	}
}

func TestFindingsMarshalWithEvidenceArrays(t *testing.T) {
	for name, ev := range allFixtures() {
		b, err := json.Marshal(Analyze(ev))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if strings.Contains(string(b), `"evidence":null`) {
			t.Errorf("%s: a finding marshals evidence as null", name)
		}
	}
}

func TestHeadline(t *testing.T) {
	cases := []struct {
		name string
		ev   Evidence
		want string
	}{
		{"good run names the reuse", keepAliveDefault(), "1 connection carried 100 requests (100 per connection)"},
		{"bad reuse wins", clientDisableKeepAlives(), "Not reused: 20 connections for 20 requests"},
		{"errors win over good reuse", func() Evidence {
			ev := keepAliveDefault()
			ev.Requests.Errors = 5
			ev.Requests.ErrorSamples = map[string]int{"Get: EOF": 5}
			return ev
		}(), "5 of 100 requests failed"},
		{"warning when nothing is bad", poolChurn(), "Partly reused: 400 connections for 1000 requests (2.5 per connection)"},
		{"retries warn", func() Evidence {
			ev := keepAliveDefault()
			ev.Requests.Retried = 3
			return ev
		}(), "3 of 100 requests silently retried on a new connection"},
		{"stopped run says so", stopped(), "1 connection carried 35 requests (35 per connection) (run stopped early)"},
		{"failed run says so", failed(), "1 connection carried 35 requests (35 per connection) (run failed early)"},
	}
	for _, tc := range cases {
		if got := Headline(Analyze(tc.ev)); got != tc.want {
			t.Errorf("%s: Headline = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := Headline(nil); got != "" {
		t.Errorf("Headline(nil) = %q", got)
	}
}
