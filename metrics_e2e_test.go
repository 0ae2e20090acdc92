package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/tcpevents"
)

// Timings of the metrics end-to-end tests.
const (
	e2eWait       = 30 * time.Second       // any condition these tests wait for (Prometheus starts in ~1 s)
	e2eStep       = 50 * time.Millisecond  // between two looks at a condition
	promStop      = 10 * time.Second       // SIGTERM to exit, then SIGKILL
	scrapeEvery   = "1s"                   // Prometheus' scrape interval in the test
	serverCloses  = 7                      // server-first closes made on the watched port
	freshAfter    = 500 * time.Millisecond // a scrape this long after ss ran reflects a poll after it
	connlabPollMs = "50ms"                 // connlab's -interval in these tests
)

// startConnlab runs the real command (as main does) on 127.0.0.1:0 and
// returns its base URL; it is stopped, and waited for, when the test ends.
func startConnlab(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() { // stopped by cancel in Cleanup, which waits for it
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-interval", connlabPollMs}, args...), &out, &errOut)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("connlab: %v", err)
		}
	})
	var base string
	e2eEventually(t, "connlab listening", func() bool {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		return base != ""
	})
	return base
}

// e2eEventually polls cond until it holds or e2eWait passes.
func e2eEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", e2eWait, what)
		}
		time.Sleep(e2eStep) // polling a condition, bounded by deadline
	}
}

func httpGet(t *testing.T, u string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if h := header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.StatusCode, string(b)
}

// serverFirstCloses listens on a kernel-picked loopback port and closes n
// connections from the server side first: the server's sockets hold
// TIME_WAIT for 60 s, longer than the test.
func serverFirstCloses(t *testing.T, n int) uint16 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	for range n {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		a, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		_ = c.SetReadDeadline(time.Now().Add(e2eWait))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("client read after the server closed: %v, want EOF", err)
		}
		c.Close()
	}
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// TestMetricsEndpoint scrapes the real command's /metrics: the wiring of
// the sampler hook, the hub, the Lab and the Host check.
func TestMetricsEndpoint(t *testing.T) {
	port := serverFirstCloses(t, 2)
	base := startConnlab(t, "-watch", strconv.Itoa(int(port)))
	P := strconv.Itoa(int(port))

	// A real Lab run, through the API.
	req, err := http.NewRequest(http.MethodPost, base+"/api/experiments", strings.NewReader(`{"preset":"keepalive-default","requests":3,"observe":"100ms"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start a Lab run: %d", resp.StatusCode)
	}
	// A viewer: a websocket held open.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	host := strings.TrimPrefix(base, "http://")
	_, _ = conn.Write([]byte("GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	status := make([]byte, 12)
	_ = conn.SetReadDeadline(time.Now().Add(e2eWait))
	if _, err := io.ReadFull(conn, status); err != nil || string(status) != "HTTP/1.1 101" {
		t.Fatalf("websocket upgrade: %q %v", status, err)
	}

	// Exact (0) when the kernel's transitions are available here, else
	// lower bounds from polls (1).
	lowerBound := "1"
	if src, err := tcpevents.Open(slog.New(slog.DiscardHandler), tcpevents.Config{}); err == nil {
		_ = src.Close()
		lowerBound = "0"
	}
	wants := []string{
		`connlab_lab_runs{status="completed"} 1`,
		`connlab_websocket_viewers 1`,
		fmt.Sprintf(`connlab_build_info{goversion=%q,version=%q} 1`, runtime.Version(), version),
		`connlab_tcp_sockets{port="` + P + `",side="server",state="listen"} 1`,
		`connlab_sampler_errors_total 0`,
		`connlab_tcp_flow_lower_bound{port="` + P + `"} ` + lowerBound,
	}
	var body string
	deadline := time.Now().Add(e2eWait)
	for {
		var code int
		code, body = httpGet(t, base+"/metrics", nil)
		missing := ""
		for _, w := range wants {
			if !strings.Contains(body, "\n"+w+"\n") {
				missing = w
			}
		}
		if code == http.StatusOK && missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /metrics: %d, no line %s in:\n%s", code, missing, body)
		}
		time.Sleep(e2eStep) // polling a condition, bounded by deadline
	}
	if m := regexp.MustCompile(`\nconnlab_sampler_poll_duration_seconds_count (\d+)\n`).FindStringSubmatch(body); m == nil || m[1] == "0" {
		t.Errorf("no sample in the poll histogram: %v", m)
	}
	if code, body := httpGet(t, base+"/metrics", http.Header{"Host": {"evil.example"}}); code != http.StatusForbidden || !strings.Contains(body, "forbidden_host") {
		t.Errorf("GET /metrics with a foreign Host: %d %s", code, body)
	}
}

// TestPrometheusScrape runs the real Prometheus server (Debian's package)
// against the real command on loopback, scraping every second, and asks
// Prometheus' HTTP API for the server side's TIME_WAIT gauge, which must
// equal what ss counts. Then every expression of the Grafana dashboard
// must run on that Prometheus. It skips where prometheus is not installed
// (make deps installs it when root).
func TestPrometheusScrape(t *testing.T) {
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not installed (Debian: apt-get install prometheus; make deps does it when root): " + err.Error())
	}
	ssBin, err := exec.LookPath("ss")
	if err != nil {
		t.Skip("ss (iproute2) not installed: " + err.Error())
	}
	port := serverFirstCloses(t, serverCloses)
	P := strconv.Itoa(int(port))
	base := startConnlab(t, "-watch", P)
	prom := startPrometheus(t, promBin, strings.TrimPrefix(base, "http://"))

	e2eEventually(t, "Prometheus scraping connlab", func() bool {
		v, ok := promInstant(t, prom, `up{job="connlab"}`)
		return ok && v == 1
	})

	// ss and the scrape cannot run at the same instant: bracket one
	// scrape between two ss counts. When both counts agree (nothing
	// entered or left TIME_WAIT on the port meanwhile; the test's own
	// sockets hold it for 60 s) the scrape must say the same.
	sel := `connlab_tcp_sockets{port="` + P + `",side="server",state="time_wait"}`
	deadline := time.Now().Add(e2eWait)
	for {
		before, at := ssTimeWait(t, ssBin, port), time.Now()
		var v float64
		var ts time.Time
		e2eEventually(t, "a scrape after ss ran", func() bool {
			var ok bool
			v, ts, ok = promLatest(t, prom, sel)
			return ok && ts.After(at.Add(freshAfter))
		})
		after := ssTimeWait(t, ssBin, port)
		if before == after {
			if before < serverCloses {
				t.Fatalf("ss counts %d server-side TIME_WAIT sockets on port %d, want at least the test's %d", before, port, serverCloses)
			}
			if int(v) != before {
				t.Fatalf("Prometheus has %s = %v, ss counts %d", sel, v, before)
			}
			t.Logf("Prometheus %s = %v, ss counts %d (scraped %s after ss)", sel, v, before, ts.Sub(at).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the TIME_WAIT count on port %d never held still between two ss runs", port)
		}
	}
	for _, q := range []string{
		`connlab_tcp_closed_first_total{port="` + P + `",closer="server"}`,
		`connlab_sampler_poll_duration_seconds_count`,
	} {
		if _, ok := promInstant(t, prom, q); !ok {
			t.Errorf("Prometheus has no %s", q)
		}
	}

	// The dashboard's expressions, with Grafana's variables filled in.
	exprs := dashboardExprs(t)
	fill := strings.NewReplacer("$__rate_interval", "1m", "$instance", ".*", "$port", P)
	withData := 0
	for _, e := range exprs {
		res := promQuery(t, prom, fill.Replace(e))
		if res.Status != "success" {
			t.Errorf("dashboard expression %q: %s %s", e, res.ErrorType, res.Error)
		}
		if len(res.Data.Result) > 0 {
			withData++
		}
	}
	if withData < len(exprs)/2 {
		t.Errorf("only %d of %d dashboard expressions return data", withData, len(exprs))
	}
	t.Logf("%d dashboard expressions run on Prometheus, %d with data", len(exprs), withData)
}

// startPrometheus runs prometheus scraping target every second, listening
// on a port the kernel picks (it logs the address it got). It is stopped,
// and waited for, when the test ends.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
scrape_configs:
  - job_name: connlab
    static_configs:
      - targets: [%[2]q]
`, scrapeEvery, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:0", "--log.level=info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	var log syncBuffer
	addr := make(chan string, 1)
	readerDone := make(chan struct{})
	listening := regexp.MustCompile(`msg="Listening on" address=(127\.0\.0\.1:\d+)`)
	go func() { // ends at EOF, when prometheus exits (Cleanup stops it)
		defer close(readerDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			fmt.Fprintln(&log, sc.Text())
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-readerDone:
		case <-time.After(promStop):
			_ = cmd.Process.Kill()
			<-readerDone
		}
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", log.String())
		}
	})
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-readerDone:
		t.Fatalf("prometheus exited:\n%s", log.String())
	case <-time.After(e2eWait):
		t.Fatalf("prometheus did not say where it listens:\n%s", log.String())
	}
	// It answers 503 until its storage is open.
	e2eEventually(t, "prometheus ready", func() bool {
		code, _ := httpGet(t, base+"/-/ready", nil)
		return code == http.StatusOK
	})
	return base
}

// promResult is Prometheus' /api/v1/query answer.
type promResult struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`  // vector: [ts, "v"]
			Values [][]any           `json:"values"` // matrix: [[ts, "v"], ...]
		} `json:"result"`
	} `json:"data"`
}

func promQuery(t *testing.T, prom, q string) promResult {
	t.Helper()
	_, body := httpGet(t, prom+"/api/v1/query?query="+url.QueryEscape(q), nil)
	var r promResult
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("query %q: %v: %s", q, err, body)
	}
	return r
}

// promInstant is the value of the one series q selects now.
func promInstant(t *testing.T, prom, q string) (float64, bool) {
	t.Helper()
	r := promQuery(t, prom, q)
	if r.Status != "success" || len(r.Data.Result) != 1 || len(r.Data.Result[0].Value) != 2 {
		return 0, false
	}
	return promValue(t, r.Data.Result[0].Value)
}

// promLatest is the newest raw sample of the one series sel selects, with
// the time of the scrape that took it.
func promLatest(t *testing.T, prom, sel string) (float64, time.Time, bool) {
	t.Helper()
	r := promQuery(t, prom, sel+"[1m]")
	if r.Status != "success" || len(r.Data.Result) != 1 || len(r.Data.Result[0].Values) == 0 {
		return 0, time.Time{}, false
	}
	vs := r.Data.Result[0].Values
	last := vs[len(vs)-1]
	sec, ok := last[0].(float64)
	if !ok {
		t.Fatalf("sample time %v", last[0])
	}
	v, ok := promValue(t, last)
	return v, time.UnixMilli(int64(sec * 1000)), ok
}

func promValue(t *testing.T, sample []any) (float64, bool) {
	t.Helper()
	s, ok := sample[1].(string)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("sample value %q: %v", s, err)
	}
	return v, true
}

// ssTimeWait counts, with ss, the TIME_WAIT sockets whose local port is port.
func ssTimeWait(t *testing.T, ss string, port uint16) int {
	t.Helper()
	out, err := exec.Command(ss, "-Htan", "state", "time-wait", fmt.Sprintf("( sport = :%d )", port)).Output()
	if err != nil {
		t.Fatalf("ss: %v", err)
	}
	return strings.Count(string(out), "\n")
}

// dashboardExprs lists the PromQL of the Grafana dashboard: its panels'
// targets and its query variables.
func dashboardExprs(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("docs/grafana/connlab.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Query any    `json:"query"` // a string, or {"query": "..."}
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, tg.Expr)
		}
	}
	// label_values(m, l) is Grafana's, not PromQL: its selector is.
	labelValues := regexp.MustCompile(`^label_values\((.*),\s*\w+\)$`)
	for _, v := range d.Templating.List {
		q, _ := v.Query.(map[string]any)
		s, _ := q["query"].(string)
		if m := labelValues.FindStringSubmatch(s); v.Type == "query" && m != nil {
			out = append(out, m[1])
		}
	}
	if len(out) == 0 {
		t.Fatal("no expression in the dashboard")
	}
	return out
}
