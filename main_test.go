package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// childEnv, when set, makes this test binary run serveChild instead of the
// tests: a connlab server in its own process, for tests that need one (a
// process-wide limit such as RLIMIT_NOFILE must not constrain the test).
const childEnv = "CONNLAB_TEST_CHILD"

// asConnlabEnv, when set, makes this test binary run connlab's main with
// its arguments.
const asConnlabEnv = "CONNLAB_TEST_AS_CONNLAB"

// serveChild is set by the files that use it (Linux only).
var serveChild func() int

func TestMain(m *testing.M) {
	if serveChild != nil && os.Getenv(childEnv) != "" {
		os.Exit(serveChild())
	}
	// The real connlab, run as this test binary re-executed with its
	// arguments (restart_test.go): main itself, signals and exit status
	// included.
	if os.Getenv(asConnlabEnv) != "" {
		main()
		os.Exit(0)
	}
	// The seed's programs run as this test binary re-executed (seed_test.go).
	if role := os.Getenv(seedRoleEnv); role != "" {
		os.Exit(seedMain(role, os.Args[1:]))
	}
	os.Exit(testMain(m))
}

// testMain runs the tests with no usable default state directory: a test
// that serves without -state saves no runs and no ports, neither among the
// user's own nor for the next test to find. The default is under
// os.UserConfigDir ($XDG_CONFIG_HOME on Linux), made a regular file here,
// so connlab warns and runs without saving (TestStateFlag checks that).
// Child processes inherit it.
func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "connlab-test-config-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temporary config directory:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	notDir := filepath.Join(dir, "not-a-directory")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "config placeholder:", err)
		return 1
	}
	if err := os.Setenv("XDG_CONFIG_HOME", notDir); err != nil {
		fmt.Fprintln(os.Stderr, "XDG_CONFIG_HOME:", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	return code
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listeningRE = regexp.MustCompile(`connlab listening on (http://127\.0\.0\.1:\d+)`)

func TestServeAndGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-interval", "50ms", "-watch", "1, 2,2"}, &out, &errOut)
	}()

	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no listening line; stdout %q stderr %q", out.String(), errOut.String())
		}
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		time.Sleep(10 * time.Millisecond) // polling step
	}
	resp, err := http.Get(url + "/api/ports")
	if err != nil {
		t.Fatal(err)
	}
	body := new(bytes.Buffer)
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), `"port":1,`) || !strings.Contains(body.String(), `"port":2,`) || strings.Count(body.String(), `"port"`) != 2 {
		t.Fatalf("-watch 1,2,2 gave %s", body)
	}
	// A websocket held open must not delay the shutdown past its budget
	// (hijacked connections are not http.Server.Shutdown's to close).
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	host := strings.TrimPrefix(url, "http://")
	_, _ = conn.Write([]byte("GET /ws HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	status := make([]byte, 12)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(conn, status); err != nil || string(status) != "HTTP/1.1 101" {
		t.Fatalf("websocket upgrade: %q %v", status, err)
	}

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(shutdownTimeout + 2*time.Second):
		t.Fatal("shutdown took longer than its budget")
	}
	if d := time.Since(start); d > shutdownTimeout+time.Second {
		t.Errorf("shutdown took %s", d)
	}
}

func TestAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	var out, errOut syncBuffer
	err = run(context.Background(), []string{"-addr", addr}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "-addr") {
		t.Fatalf("run on a taken address: %v, want an error naming %s and -addr", err, addr)
	}
	if exitCode(err) == 0 {
		t.Fatal("exit status 0 for a taken address")
	}
}

func TestFlagErrors(t *testing.T) {
	cases := map[string][]string{
		"interval too short": {"-interval", "10ms"},
		"interval too long":  {"-interval", "1m"},
		"history too short":  {"-history", "1s"},
		"too many rows":      {"-history", "24h", "-interval", "50ms"},
		"bad watch port":     {"-watch", "8081,http"},
		"watch port zero":    {"-watch", "0"},
		"watch port big":     {"-watch", "65536"},
		"bad sampler":        {"-sampler", "lsof"},
		"bad transitions":    {"-transitions", "ebpf"},
		"bad addr":           {"-addr", "9000"},
		"unknown flag":       {"-bogus"},
		"stray argument":     {"serve"},
		"lab memory zero":    {"-lab-memory", "0"},
		"lab memory huge":    {"-lab-memory", "99999999"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut syncBuffer
			err := run(context.Background(), args, &out, &errOut)
			var ue *usageError
			if !errors.As(err, &ue) || exitCode(err) != 2 {
				t.Fatalf("run %v = %v, want a usage error (exit 2)", args, err)
			}
		})
	}
}

func TestVersionFlag(t *testing.T) {
	var out, errOut syncBuffer
	if err := run(context.Background(), []string{"-version"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "connlab dev (go1.") {
		t.Fatalf("-version printed %q", out.String())
	}
}

func TestParsePortList(t *testing.T) {
	got, err := parsePortList(" 8081, 5432 ,8081,")
	if err != nil || len(got) != 2 || got[0] != 8081 || got[1] != 5432 {
		t.Fatalf("parsePortList = %v, %v", got, err)
	}
	var many []string
	for p := 1; p <= 65; p++ {
		many = append(many, strconv.Itoa(p))
	}
	if _, err := parsePortList(strings.Join(many, ",")); err == nil {
		t.Fatal("65 ports accepted")
	}
}
