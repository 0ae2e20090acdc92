package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// maxResponse bounds a response body soak reads.
const maxResponse = 16 << 20

// api is an HTTP client of one connlab, with its own connection pool.
type api struct {
	base string
	tr   *http.Transport
	hc   *http.Client
}

func newAPI(base string) *api {
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second, DisableCompression: true}
	return &api{base: base, tr: tr, hc: &http.Client{Transport: tr}}
}

// close drops the pooled connections (soak closes first: TIME_WAIT stays
// on its side, not on connlab's port).
func (a *api) close() { a.tr.CloseIdleConnections() }

// statusError is a response with an unexpected status.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, e.body)
}

// do sends a request with a JSON body (when in is not nil) and decodes a
// 2xx JSON answer into out (when not nil). A non-2xx answer is a
// *statusError.
func (a *api) do(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return &statusError{method: method, path: path, status: resp.StatusCode, body: strings.TrimSpace(string(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}

// statusOf is the HTTP status of err (0 when it is not a *statusError).
func statusOf(err error) int {
	if se, ok := err.(*statusError); ok {
		return se.status
	}
	return 0
}

// health is one answer of GET /healthz.
type health struct {
	latency    time.Duration
	goroutines int // -1 when connlab does not report it
}

// healthz asks GET /healthz once, within healthTimeout.
func (a *api) healthz(ctx context.Context) (health, error) {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	var body struct {
		Status     string `json:"status"`
		Goroutines *int   `json:"goroutines"`
	}
	start := time.Now()
	if err := a.do(ctx, http.MethodGet, "/healthz", nil, &body); err != nil {
		return health{}, err
	}
	h := health{latency: time.Since(start), goroutines: -1}
	if body.Status != "ok" {
		return h, fmt.Errorf("GET /healthz: status %q", body.Status)
	}
	if body.Goroutines != nil {
		h.goroutines = *body.Goroutines
	}
	return h, nil
}

// watch adds port to connlab's watched set (201, or 409 if already there).
func (a *api) watch(ctx context.Context, port int) error {
	err := a.do(ctx, http.MethodPost, "/api/ports", map[string]int{"port": port}, nil)
	if statusOf(err) == http.StatusConflict {
		return nil
	}
	return err
}

// unwatch removes port from the watched set.
func (a *api) unwatch(ctx context.Context, port int) error {
	return a.do(ctx, http.MethodDelete, fmt.Sprintf("/api/ports/%d", port), nil, nil)
}
