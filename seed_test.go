package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The seed articles' programs, as separate processes: a server that logs
// every request ("receive a request from: RemoteAddr Header") and clients
// with the behaviours the articles argue about. They are this test binary
// re-executed with seedRoleEnv set (see TestMain), so the tests need no
// other build.

const seedRoleEnv = "CONNLAB_SEED_ROLE"

// seedMain runs one seed program; its exit status is the process's.
func seedMain(role string, args []string) int {
	var err error
	switch role {
	case "server":
		err = seedServer(args)
	case "client":
		err = seedClient(args)
	default:
		err = fmt.Errorf("unknown seed role %q", role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed "+role+":", err)
		return 1
	}
	return 0
}

// seedServer serves on 127.0.0.1:0, prints "listening on ADDR", answers /
// with a small body and /big with 1 MB, and stops when stdin closes.
func seedServer(args []string) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	keepAlive := fs.Bool("keepalive", true, "server keep-alive")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	logger := log.New(os.Stderr, "", 0)
	big := strings.Repeat("x", 1<<20)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		logger.Printf("receive a request from: %s %v", r.RemoteAddr, r.Header)
		_, _ = io.WriteString(w, "hello\n")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		logger.Printf("receive a request from: %s %v", r.RemoteAddr, r.Header)
		_, _ = io.WriteString(w, big)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	srv.SetKeepAlivesEnabled(*keepAlive)
	fmt.Printf("listening on %s\n", ln.Addr())
	go func() { // stops the server when the parent closes stdin; the process then exits
		_, _ = io.Copy(io.Discard, os.Stdin)
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// seedClient makes -n requests to -url, one every -every, in a mode:
// nokeepalive (DisableKeepAlives: Connection: close), keepalive (Go's
// defaults, the idle connection closed at the end), clientidle (an idle
// timeout shorter than the pause: the client closes each connection) or
// unread (a large body closed unread: an RST).
func seedClient(args []string) error {
	fs := flag.NewFlagSet("client", flag.ContinueOnError)
	url := fs.String("url", "", "server URL")
	mode := fs.String("mode", "nokeepalive", "nokeepalive, keepalive, clientidle or unread")
	n := fs.Int("n", 20, "requests")
	every := fs.Duration("every", 100*time.Millisecond, "pause between requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tr := &http.Transport{}
	path := "/"
	switch *mode {
	case "nokeepalive":
		tr.DisableKeepAlives = true
	case "keepalive":
	case "clientidle":
		tr.IdleConnTimeout = *every / 3
	case "unread":
		path = "/big"
	default:
		return fmt.Errorf("unknown mode %q", *mode)
	}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for i := range *n {
		if i > 0 {
			time.Sleep(*every) // the workload's pace, not a wait for an event
		}
		resp, err := c.Get(*url + path)
		if err != nil {
			return err
		}
		if *mode != "unread" {
			_, _ = io.Copy(io.Discard, resp.Body)
		}
		_ = resp.Body.Close()
	}
	tr.CloseIdleConnections()
	return nil
}

// seedProc is a running seed program.
type seedProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	errb  *syncBuffer
}

// startSeed starts this test binary as a seed program.
func startSeed(t *testing.T, role string, args ...string) *seedProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), seedRoleEnv+"="+role)
	p := &seedProc{cmd: cmd, errb: &syncBuffer{}}
	cmd.Stderr = p.errb
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.stdin, p.out = stdin, bufio.NewReader(stdout)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// seedServerAddr starts the seed server and returns its address.
func seedServerAddr(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	p := startSeed(t, "server", args...)
	lines := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Go(func() { // reads the first line; ends when it has, or when the process exits
		line, _ := p.out.ReadString('\n')
		lines <- line
	})
	var addr string
	select {
	case line := <-lines:
		addr = strings.TrimSpace(strings.TrimPrefix(line, "listening on "))
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		wg.Wait()
		t.Fatalf("seed server did not start: %s", p.errb.String())
	}
	wg.Wait()
	stop := func() {
		_ = p.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }() // ends when the process exits
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	}
	return addr, stop
}

// runSeedClient runs the seed client to its end.
func runSeedClient(t *testing.T, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), seedRoleEnv+"=client")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("seed client %v: %v\n%s", args, err, out)
	}
}
