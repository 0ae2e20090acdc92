// Package target is a Lab experiment's HTTP server: an in-process
// net/http server on 127.0.0.1 configured by the spec's server side
// (keep-alives, timeouts, framing, h2c, restarts), serving through a tapped
// listener so every connection is instrumented (package tap). Each response
// tells the client, in the Connlab-Saw header, what the server saw of the
// request (protocol and Connection header): the client cannot see that
// otherwise (Go's client strips Connection from the response).
//
// Locks: Server.mu guards the current http.Server (swapped by a restart);
// it is a leaf.
package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/tap"
)

// Timings of a restart.
const (
	// restartDowntime is how long the server stays away in a restart.
	restartDowntime = 300 * time.Millisecond
	// relistenTimeout bounds the retries to listen again on the same port.
	relistenTimeout = 5 * time.Second
	// relistenRetry is the pause between two tries to listen again.
	relistenRetry = 20 * time.Millisecond
)

// What the server saw of a request: its protocol and Connection header.
const (
	proto10 = iota
	proto11
	proto20
	protoOther
	nProtos
)

const (
	connAbsent = iota
	connClose
	connKeepAlive
	connOther
	nConns
)

var (
	protoNames = [nProtos]string{"HTTP/1.0", "HTTP/1.1", "HTTP/2.0", "other"}
	connNames  = [nConns]string{"", "close", "keep-alive", "other"}
	// sawHeader[p][c] is the value of the SawHeader response header,
	// precomputed so the handler does not allocate it.
	sawHeader [nProtos][nConns][]string
	// sawByValue parses it back on the client.
	sawByValue = map[string][2]uint8{}
)

// SawHeader is the response header in which the server tells the client
// what it saw ("HTTP/1.1 close").
const SawHeader = "Connlab-Saw"

// ParseSaw reads h's SawHeader: the protocol and the Connection header
// the server saw ("HTTP/1.1", "close"); ok is false without one.
func ParseSaw(h http.Header) (proto, connection string, ok bool) {
	v := h[SawHeader]
	if len(v) != 1 {
		return "", "", false
	}
	pc, ok := sawByValue[v[0]]
	if !ok {
		return "", "", false
	}
	return protoNames[pc[0]], connNames[pc[1]], true
}

func init() {
	for p := range nProtos {
		for c := range nConns {
			v := protoNames[p] + " " + connNames[c]
			sawHeader[p][c] = []string{v}
			sawByValue[v] = [2]uint8{uint8(p), uint8(c)}
		}
	}
}

func protoIndex(r *http.Request) int {
	switch {
	case r.ProtoMajor == 1 && r.ProtoMinor == 0:
		return proto10
	case r.ProtoMajor == 1 && r.ProtoMinor == 1:
		return proto11
	case r.ProtoMajor == 2:
		return proto20
	}
	return protoOther
}

// connIndex classifies the Connection header values without allocating.
func connIndex(vals []string) int {
	if len(vals) == 0 {
		return connAbsent
	}
	idx := connOther
	for _, v := range vals {
		for v != "" {
			var tok string
			tok, v, _ = strings.Cut(v, ",")
			tok = strings.TrimSpace(tok)
			switch {
			case strings.EqualFold(tok, "close"):
				return connClose
			case strings.EqualFold(tok, "keep-alive"):
				idx = connKeepAlive
			}
		}
	}
	return idx
}

// Server is the experiment's in-process HTTP server, and its restarts.
type Server struct {
	tr      *tap.Tracker
	spec    experiment.ServerSpec
	log     *slog.Logger
	body    []byte
	clValue []string
	restart chan struct{} // the RestartAfter-th request was served (cap 1)
	served  atomic.Int64
	saw     [nProtos][nConns]atomic.Int64

	mu  sync.Mutex
	cur *http.Server // nil while restarting
	wg  sync.WaitGroup
}

// New returns a server configured by spec answering bodyBytes per
// response, its conns tapped into tr. It serves nothing before Serve.
func New(spec experiment.ServerSpec, bodyBytes int, tr *tap.Tracker, log *slog.Logger) *Server {
	body := make([]byte, bodyBytes)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	return &Server{
		tr:      tr,
		spec:    spec,
		log:     log,
		body:    body,
		clValue: []string{strconv.Itoa(bodyBytes)},
		restart: make(chan struct{}, 1),
	}
}

func (s *Server) newHTTP() *http.Server {
	hs := &http.Server{
		Handler:           s,
		IdleTimeout:       s.spec.IdleTimeout.D(),
		ReadTimeout:       s.spec.ReadTimeout.D(),
		ReadHeaderTimeout: s.spec.ReadHeaderTimeout.D(),
		ConnState:         s.tr.ConnState,
		ConnContext:       tap.ConnContext,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	hs.SetKeepAlivesEnabled(s.spec.KeepAlives)
	if s.spec.Protocol == experiment.ProtoH2C {
		var p http.Protocols
		p.SetHTTP1(true)
		p.SetUnencryptedHTTP2(true)
		hs.Protocols = &p
	}
	return hs
}

// Serve starts serving ln (tapped) in a goroutine that Close waits for.
func (s *Server) Serve(ln net.Listener) {
	hs := s.newHTTP()
	s.mu.Lock()
	s.cur = hs
	s.mu.Unlock()
	tl := tap.NewListener(ln, s.tr)
	s.wg.Go(func() {
		if err := hs.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("experiment server stopped", "err", err)
		}
	})
}

// Close closes the listener and every connection, and waits for Serve.
func (s *Server) Close() {
	s.mu.Lock()
	hs := s.cur
	s.cur = nil
	s.mu.Unlock()
	if hs != nil {
		_ = hs.Close()
	}
	s.wg.Wait()
}

// Restarter waits for the RestartAfter-th request, then takes the server
// away for restartDowntime and listens again on the same address. It
// returns when ctx is done or after the restart.
func (s *Server) Restarter(ctx context.Context, addr string) error {
	select {
	case <-ctx.Done():
		return nil
	case <-s.restart:
	}
	s.log.Debug("experiment server restarting", "addr", addr)
	s.Close()
	s.tr.Seal()
	t := time.NewTimer(restartDowntime)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-t.C:
	}
	var lc net.ListenConfig
	deadline := time.Now().Add(relistenTimeout)
	for {
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err == nil {
			s.Serve(ln)
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("listen again on %s after the restart: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(relistenRetry):
		}
	}
}

// octetStream is the response Content-Type, shared by every response.
var octetStream = []string{"application/octet-stream"}

// ServeHTTP answers every request: it counts what it saw, waits Delay,
// and writes BodyBytes with the configured framing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if tc := tap.ConnFrom(r.Context()); tc != nil {
		tc.Served(s.tr.SinceNs())
	}
	p, c := protoIndex(r), connIndex(r.Header["Connection"])
	s.saw[p][c].Add(1)
	if r.Method == http.MethodPost {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	if n := int64(s.spec.RestartAfter); n > 0 && s.served.Add(1) == n {
		select {
		case s.restart <- struct{}{}:
		default:
		}
	}
	if d := s.spec.Delay.D(); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	h := w.Header()
	h[SawHeader] = sawHeader[p][c]
	h["Content-Type"] = octetStream // set, so net/http does not sniff every body
	if s.spec.Framing == experiment.FramingChunked {
		half := len(s.body) / 2
		_, _ = w.Write(s.body[:half])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		_, _ = w.Write(s.body[half:])
		return
	}
	h["Content-Length"] = s.clValue
	_, _ = w.Write(s.body)
}

// SawCounts renders what the server saw, by Connection header and protocol.
func (s *Server) SawCounts() (byConn, byProto map[string]int) {
	byConn, byProto = map[string]int{}, map[string]int{}
	for p := range nProtos {
		for c := range nConns {
			if n := int(s.saw[p][c].Load()); n > 0 {
				byConn[connNames[c]] += n
				byProto[protoNames[p]] += n
			}
		}
	}
	return byConn, byProto
}
