package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// instance is one connlab process watching the bench's port.
type instance struct {
	events string // -transitions: "auto" (eBPF) or "polls"
	ws     bool   // a websocket subscriber listens to the port
	cmd    *exec.Cmd
	out    *tailBuffer // stdout and stderr
	url    string
	sub    *subscriber // nil unless ws
	exited chan struct{}
}

// name is the instance's label in the tables.
func (i *instance) name() string {
	s := "polls"
	if i.events == "auto" {
		s = "ebpf"
	}
	if i.ws {
		s += "+ws"
	}
	return s
}

// source is what /api/system must say.
func (i *instance) source() string {
	if i.events == "auto" {
		return "ebpf"
	}
	return "polls"
}

func (i *instance) pid() int { return i.cmd.Process.Pid }

var listeningRE = regexp.MustCompile(`connlab listening on (http://127\.0\.0\.1:\d+)`)

// startInstance starts connlab watching port, checks that its transitions
// come from the source asked for, and subscribes a websocket when ws.
func startInstance(ctx context.Context, bin, events string, ws bool, port uint16) (*instance, error) {
	i := &instance{events: events, ws: ws, out: newTailBuffer(listeningRE), exited: make(chan struct{})}
	i.cmd = exec.Command(bin, "-addr", "127.0.0.1:0", "-state", "", "-watch", strconv.Itoa(int(port)), "-transitions", events)
	i.cmd.Stdout, i.cmd.Stderr = i.out, i.out
	// Should this program die without stopping it, connlab goes too.
	i.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := i.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start connlab: %w", err)
	}
	// Ends when connlab exits (stop makes sure it does).
	go func() { _ = i.cmd.Wait(); close(i.exited) }()
	ok := false
	defer func() {
		if !ok {
			i.stop()
		}
	}()
	select {
	case <-i.out.found:
	case <-i.exited:
		return nil, fmt.Errorf("connlab exited before listening: %s", i.out.String())
	case <-time.After(startTimeout):
		return nil, fmt.Errorf("connlab did not listen within %s: %s", startTimeout, i.out.String())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	i.url = i.out.match()
	var sys struct {
		Transitions, TransitionsNote string
	}
	if err := getJSON(ctx, i.url+"/api/system", &sys); err != nil {
		return nil, err
	}
	if sys.Transitions != i.source() {
		return nil, fmt.Errorf("connlab -transitions %s counts from %q, want %q (%s)", events, sys.Transitions, i.source(), sys.TransitionsNote)
	}
	if ws {
		sub, err := subscribe(ctx, i.url, port)
		if err != nil {
			return nil, err
		}
		i.sub = sub
	}
	ok = true
	return i, nil
}

// stop closes the subscriber, then stops connlab (SIGTERM, then SIGKILL
// after stopTimeout) and waits for it.
func (i *instance) stop() {
	if i.sub != nil {
		i.sub.close()
	}
	_ = i.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-i.exited:
	case <-time.After(stopTimeout):
		_ = i.cmd.Process.Kill()
		<-i.exited
	}
}

// flowCounts is the part of a port's flow figures the bench checks.
type flowCounts struct {
	opened int    // connections opened since watching began
	lost   uint64 // kernel events dropped (ring buffer full), all ports
}

// flow reads port's flow figures from the API.
func (i *instance) flow(ctx context.Context, port uint16) (flowCounts, error) {
	var st struct {
		Flow struct {
			Total struct {
				Opened int `json:"opened"`
			} `json:"total"`
			LostEvents uint64 `json:"lostEvents"`
		} `json:"flow"`
	}
	err := getJSON(ctx, fmt.Sprintf("%s/api/ports/%d", i.url, port), &st)
	return flowCounts{opened: st.Flow.Total.Opened, lost: st.Flow.LostEvents}, err
}

// apiClient asks the connlab processes; run closes its idle connections.
var apiClient = &http.Client{Timeout: httpTimeout}

// getJSON GETs url into v.
func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return fmt.Errorf("get %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("get %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", url, err)
	}
	return nil
}

// subscriber is a websocket client subscribed to one port: it reads every
// message and counts them by type.
type subscriber struct {
	conn *websocket.Conn
	done chan struct{} // closed when the read loop ends

	mu     sync.Mutex
	counts map[string]int
	snap   chan struct{} // closed at the first snapshot
}

// subscribe opens url's /ws, subscribes to port and waits for the snapshot.
func subscribe(ctx context.Context, url string, port uint16) (*subscriber, error) {
	d := websocket.Dialer{HandshakeTimeout: httpTimeout}
	conn, _, err := d.DialContext(ctx, "ws"+strings.TrimPrefix(url, "http")+"/ws", nil)
	if err != nil {
		return nil, fmt.Errorf("websocket: %w", err)
	}
	s := &subscriber{conn: conn, done: make(chan struct{}), counts: map[string]int{}, snap: make(chan struct{})}
	go s.read() // ends when the connection closes (close closes it)
	if err := conn.WriteJSON(map[string]any{"type": "subscribe", "port": port}); err != nil {
		s.close()
		return nil, fmt.Errorf("websocket subscribe: %w", err)
	}
	select {
	case <-s.snap:
		return s, nil
	case <-s.done:
		return nil, errors.New("websocket closed before the snapshot")
	case <-time.After(startTimeout):
		s.close()
		return nil, errors.New("no snapshot on the websocket in time")
	case <-ctx.Done():
		s.close()
		return nil, ctx.Err()
	}
}

func (s *subscriber) read() {
	defer close(s.done)
	var m struct {
		Type string `json:"type"`
	}
	for {
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			return
		}
		m.Type = ""
		_ = json.Unmarshal(data, &m)
		s.mu.Lock()
		s.counts[m.Type]++
		if m.Type == "snapshot" && s.counts[m.Type] == 1 {
			close(s.snap)
		}
		s.mu.Unlock()
	}
}

// count is how many messages of type typ arrived so far.
func (s *subscriber) count(typ string) int {
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[typ]
}

func (s *subscriber) close() {
	_ = s.conn.Close()
	<-s.done
}

// tailBuffer keeps the last tailBytes written and signals found the first
// time re matches what was written.
type tailBuffer struct {
	re    *regexp.Regexp
	found chan struct{}

	mu   sync.Mutex
	b    []byte
	hit  string
	seen bool
}

// tailBytes is how much of a connlab's output is kept for error messages.
const tailBytes = 16 << 10

func newTailBuffer(re *regexp.Regexp) *tailBuffer {
	return &tailBuffer{re: re, found: make(chan struct{})}
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if !t.seen {
		if m := t.re.FindSubmatch(t.b); m != nil {
			t.seen, t.hit = true, string(m[1])
			close(t.found)
		}
	}
	if len(t.b) > tailBytes && t.seen {
		t.b = append(t.b[:0], t.b[len(t.b)-tailBytes:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) match() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.hit
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// buildConnlab builds the connlab binary of this module into dir.
func buildConnlab(ctx context.Context, dir string) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find the module (go env GOMOD): %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the connlab module: run from the repository, or pass -connlab")
	}
	bin := filepath.Join(dir, "connlab")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build connlab: %w: %s", err, out)
	}
	return bin, nil
}
