package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// Deadlines of the restart test's waits (well under go test's timeout).
const (
	restartStartWait = 20 * time.Second // a child connlab prints its URL
	restartRunWait   = 30 * time.Second // a short Lab run ends
	restartExitWait  = 15 * time.Second // a child exits after SIGTERM (its shutdown budget is 2 s, plus the Lab's stop)
)

// connlabProcess is connlab running as a process of its own (this test
// binary re-executed as connlab: main, signals and exit status included).
type connlabProcess struct {
	t       *testing.T
	cmd     *exec.Cmd
	url     string
	stdout  syncBuffer
	stderr  syncBuffer
	exited  chan struct{} // closed once the process has exited: waitErr is set
	waitErr error
}

func startProcess(t *testing.T, args ...string) *connlabProcess {
	t.Helper()
	p := &connlabProcess{t: t, exited: make(chan struct{})}
	p.cmd = exec.Command(os.Args[0], append([]string{"-addr", "127.0.0.1:0", "-interval", "50ms"}, args...)...)
	p.cmd.Env = append(os.Environ(), asConnlabEnv+"=1", tokenEnv+"=")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { // ends when the child exits (SIGTERM below, or the Kill of the cleanup)
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(restartStartWait)
	for p.url == "" {
		if m := listeningRE.FindStringSubmatch(p.stdout.String()); m != nil {
			p.url = m[1]
			break
		}
		select {
		case <-p.exited:
			t.Fatalf("connlab exited before listening: %v\nstderr: %s", p.waitErr, p.stderr.String())
		case <-time.After(10 * time.Millisecond): // polling step
		}
		if time.Now().After(deadline) {
			t.Fatalf("connlab printed no URL in %s; stderr: %s", restartStartWait, p.stderr.String())
		}
	}
	return p
}

// stop sends SIGTERM and waits for a clean exit.
func (p *connlabProcess) stop() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			p.t.Fatalf("connlab after SIGTERM: %v\nstderr: %s", p.waitErr, p.stderr.String())
		}
	case <-time.After(restartExitWait):
		p.t.Fatalf("connlab did not exit within %s of SIGTERM", restartExitWait)
	}
}

// call sends a request (a JSON body when body is not "") and returns the
// status and the answer.
func (p *connlabProcess) call(method, path, body string) (int, []byte) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.url+path, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatal(err)
	}
	return resp.StatusCode, b
}

func (p *connlabProcess) startRun(spec string) string {
	p.t.Helper()
	code, b := p.call("POST", "/api/experiments", spec)
	var c struct{ ID string }
	if err := json.Unmarshal(b, &c); code != http.StatusCreated || err != nil {
		p.t.Fatalf("POST /api/experiments = %d %s", code, b)
	}
	return c.ID
}

// TestStateSurvivesRestart: a port added through the API and the Lab's
// runs (one ended, one stopped by the shutdown) are there again after a
// SIGTERM and a new start on the same -state, with the same figures.
func TestStateSurvivesRestart(t *testing.T) {
	state := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a port worth watching, picked by the kernel
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	first := startProcess(t, "-state", state)
	if code, b := first.call("POST", "/api/ports", `{"port":`+strconv.Itoa(port)+`}`); code != http.StatusCreated {
		t.Fatalf("POST /api/ports = %d %s", code, b)
	}
	done := first.startRun(`{"preset":"client-disable-keepalive","requests":5,"interval":"20ms","observe":"200ms"}`)
	// Saved once it is final (frozen), so its result no longer changes.
	var before []wire.ExpSummary
	deadline := time.Now().Add(restartRunWait)
	for len(before) != 1 || !before[0].Saved {
		if time.Now().After(deadline) {
			t.Fatalf("run %s not saved after %s: %+v", done, restartRunWait, before)
		}
		time.Sleep(20 * time.Millisecond) // polling step
		code, b := first.call("GET", "/api/experiments", "")
		if err := json.Unmarshal(b, &before); code != http.StatusOK || err != nil {
			t.Fatalf("GET /api/experiments = %d %s", code, b)
		}
	}
	_, result := first.call("GET", "/api/experiments/"+done, "")
	// A run still going at SIGTERM is stopped and saved by the shutdown.
	stopped := first.startRun(`{"preset":"keepalive-default","requests":0,"duration":"0s","interval":"20ms","observe":"0s"}`)
	first.stop()

	for _, f := range []string{filepath.Join("runs", done+".json"), filepath.Join("runs", stopped+".json"), "ports.json"} {
		if _, err := os.Stat(filepath.Join(state, f)); err != nil {
			t.Errorf("after the first process: %v", err)
		}
	}

	second := startProcess(t, "-state", state)
	defer second.stop()
	var after []wire.ExpSummary
	_, b := second.call("GET", "/api/experiments", "")
	if err := json.Unmarshal(b, &after); err != nil || len(after) != 2 {
		t.Fatalf("GET /api/experiments after the restart = %s", b)
	}
	// Newest first: the stopped run started last.
	if after[0].ID != stopped || after[0].Status != wire.ExpStopped || !after[0].Saved {
		t.Errorf("the run stopped by the shutdown: %+v", after[0])
	}
	if after[1] != before[0] {
		t.Errorf("the ended run after the restart:\n%+v\nbefore:\n%+v", after[1], before[0])
	}
	if after[1].Requests != 5 || after[1].Connections != 5 {
		t.Errorf("the ended run's figures: %d requests, %d connections; want 5 and 5", after[1].Requests, after[1].Connections)
	}
	if code, b := second.call("GET", "/api/experiments/"+done, ""); code != http.StatusOK || !bytes.Equal(b, result) {
		t.Errorf("GET /api/experiments/%s after the restart = %d\n%s\nbefore:\n%s", done, code, b, result)
	}
	var ports []wire.PortStatus
	_, b = second.call("GET", "/api/ports", "")
	if err := json.Unmarshal(b, &ports); err != nil || len(ports) != 1 || int(ports[0].Port) != port {
		t.Errorf("GET /api/ports after the restart = %s, want port %d", b, port)
	}
	if !strings.Contains(second.stderr.String(), "savedRuns=2") {
		t.Errorf("the start does not log the saved runs: %s", second.stderr.String())
	}
}
