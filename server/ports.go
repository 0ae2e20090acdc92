package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/connlab/connlab/internal/monitor"
)

// healthz says the server answers, with the sampler in use and the
// process's goroutine count (make soak watches it for leaks).
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "source": s.cfg.Monitor.Source(), "goroutines": runtime.NumGoroutine()})
}

func (s *Server) system(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.System())
}

func (s *Server) listPorts(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Monitor.Ports())
}

// addPortRequest is the body of POST /api/ports.
type addPortRequest struct {
	Port json.RawMessage `json:"port"`
}

func (s *Server) addPort(w http.ResponseWriter, r *http.Request) {
	var req addPortRequest
	if err := decodeJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if len(req.Port) == 0 || string(req.Port) == "null" {
		writeErr(w, badField("port", "invalid_port", "port is required, e.g. {\"port\":8081}"))
		return
	}
	if c := req.Port[0]; c != '-' && (c < '0' || c > '9') {
		writeErr(w, badField("port", "invalid_json", "port must be a number, e.g. {\"port\":8081}, got "+clipIn(string(req.Port), maxQuoted)))
		return
	}
	port, err := parsePort(string(req.Port))
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := s.cfg.Monitor.Add(port); err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	st, err := s.cfg.Monitor.Status(port)
	if err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/ports/%d", port))
	writeJSON(w, http.StatusCreated, st)
}

func (s *Server) deletePort(w http.ResponseWriter, r *http.Request) {
	port, err := pathPort(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	if err := s.cfg.Monitor.Remove(port); err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getPort(w http.ResponseWriter, r *http.Request) {
	port, err := pathPort(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	st, err := s.cfg.Monitor.Status(port)
	if err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) getSockets(w http.ResponseWriter, r *http.Request) {
	port, err := pathPort(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	socks, err := s.cfg.Monitor.Sockets(port)
	if err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	writeJSON(w, http.StatusOK, socks)
}

// getVerdict answers the live Watch verdict of a port: who closes first,
// where TIME_WAIT piles up and why, from its flow figures.
func (s *Server) getVerdict(w http.ResponseWriter, r *http.Request) {
	port, err := pathPort(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	fs, err := s.cfg.Monitor.Verdict(port)
	if err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"port": port, "findings": fs})
}

// getConnections answers the most recent connections of a port that ended:
// who closed each first, whether by RST, when.
func (s *Server) getConnections(w http.ResponseWriter, r *http.Request) {
	port, err := pathPort(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	cs, err := s.cfg.Monitor.Connections(port)
	if err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	writeJSON(w, http.StatusOK, cs)
}

func (s *Server) getTimeline(w http.ResponseWriter, r *http.Request) {
	port, err := pathPort(r)
	if err != nil {
		writeErr(w, err)
		return
	}
	var since uint64
	if v := r.URL.Query().Get("since"); v != "" {
		since, err = strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeErr(w, badField("since", "invalid_since", "since must be a sequence number (a non-negative integer), got "+quote(v)))
			return
		}
	}
	tl, err := s.cfg.Monitor.Timeline(port, since)
	if err != nil {
		writeErr(w, monitorError(err, port))
		return
	}
	writeJSON(w, http.StatusOK, tl)
}

// parsePort validates a port number given as text.
func parsePort(v string) (uint16, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, badField("port", "invalid_port", "port must be a whole number from 1 to 65535, got "+quote(v))
	}
	if n < 1 || n > 65535 {
		return 0, badField("port", "invalid_port", fmt.Sprintf("port must be from 1 to 65535, got %d", n))
	}
	return uint16(n), nil
}

func pathPort(r *http.Request) (uint16, error) {
	return parsePort(chi.URLParam(r, "port"))
}

// monitorError maps the monitor's errors to HTTP errors.
func monitorError(err error, port uint16) error {
	switch {
	case errors.Is(err, monitor.ErrNotWatched):
		return &fieldError{status: http.StatusNotFound, code: "not_watched", field: "port",
			message: fmt.Sprintf("port %d is not watched", port)}
	case errors.Is(err, monitor.ErrExists):
		return &fieldError{status: http.StatusConflict, code: "already_watched", field: "port",
			message: fmt.Sprintf("port %d is already watched", port)}
	case errors.Is(err, monitor.ErrLimit):
		return &fieldError{status: http.StatusUnprocessableEntity, code: "too_many_ports", field: "port",
			message: err.Error()}
	case errors.Is(err, monitor.ErrHeld):
		return &fieldError{status: http.StatusConflict, code: "held_by_experiment", field: "port",
			message: fmt.Sprintf("port %d belongs to a running Lab experiment; stop the experiment instead", port)}
	case errors.Is(err, monitor.ErrInvalidPort):
		return badField("port", "invalid_port", err.Error())
	}
	return err
}

// jsonOnlyForWrites refuses state-changing requests whose body is not JSON:
// a cross-site form post cannot set Content-Type: application/json without a
// CORS preflight, which this server never answers.
func jsonOnlyForWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
			mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "application/json" {
				writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type",
					"send the body as JSON with Content-Type: application/json", "Content-Type")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bodyTooLarge maps the error of a read past http.MaxBytesReader's limit to
// a 413 naming the body; nil for any other error.
func bodyTooLarge(err error) *fieldError {
	var me *http.MaxBytesError
	if !errors.As(err, &me) {
		return nil
	}
	return &fieldError{status: http.StatusRequestEntityTooLarge, code: "body_too_large", field: "body",
		message: fmt.Sprintf("the body is larger than %d bytes", me.Limit)}
}

// decodeJSON reads one JSON object from a bounded body, refusing unknown fields.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		if fe := bodyTooLarge(err); fe != nil {
			return fe
		}
		switch {
		case errors.Is(err, io.EOF):
			return badField("body", "invalid_json", "the body is empty; send a JSON object")
		case errors.As(err, &te):
			return badField(te.Field, "invalid_json", fmt.Sprintf("%s must be a %s", te.Field, te.Type))
		case errors.As(err, &se):
			return badField("body", "invalid_json", fmt.Sprintf("malformed JSON at byte %d", se.Offset))
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return badField(clipIn(f, maxQuoted), "unknown_field", "unknown field "+quote(f))
		}
		return badField("body", "invalid_json", err.Error())
	}
	if dec.More() {
		return badField("body", "invalid_json", "send exactly one JSON object")
	}
	return nil
}
