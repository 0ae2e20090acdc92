package server

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/wire"
)

// Experiments is what the server needs of the Lab (internal/lab.Manager).
type Experiments interface {
	Start(ctx context.Context, spec experiment.Spec) (string, error)
	List() []wire.ExpSummary
	Get(id string) (*wire.ExperimentResult, bool)
	Stop(id string) error
	// SkipObserve ends the observe phase now (or skips it, during the workload).
	SkipObserve(id string) error
	// Wait blocks until the experiment has ended and freed its slot.
	Wait(ctx context.Context, id string) (*wire.ExperimentResult, error)
	Subscribe(id string, fn func(snapshot []byte)) error
	// File is an ended experiment's run file (lab.ErrRunning before it ends).
	File(id string) (*wire.RunFile, error)
}

func (s *Server) listPresets(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, experiment.Presets())
}

// specSchema serves every spec field's kind, default, limits, enumeration
// and unit: the UI builds its form and checks from it.
func (s *Server) specSchema(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, experiment.Schema())
}

// startExperiment takes a spec, or a preset name plus overrides:
// {"preset":"client-disable-keepalive","requests":50,"server":{"idleTimeout":"2s"}}.
func (s *Server) startExperiment(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		if fe := bodyTooLarge(err); fe != nil {
			writeErr(w, fe)
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_body", "read the body: "+err.Error(), "body")
		return
	}
	spec, err := experiment.ParseSpec(body)
	if err != nil {
		writeErr(w, experimentError(err, ""))
		return
	}
	// The experiment outlives this request: its setup is bounded by the
	// request, its run by Stop or shutdown.
	id, err := s.cfg.Experiments.Start(r.Context(), spec)
	if err != nil {
		writeErr(w, experimentError(err, ""))
		return
	}
	res, _ := s.cfg.Experiments.Get(id)
	w.Header().Set("Location", "/api/experiments/"+id)
	out := map[string]any{"id": id}
	if res != nil {
		out["port"] = res.Port
		out["status"] = res.Status
	}
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listExperiments(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.cfg.Experiments.List())
}

func (s *Server) getExperiment(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	res, ok := s.cfg.Experiments.Get(id)
	if !ok {
		writeErr(w, experimentError(lab.ErrNotFound, id))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// maxFileNamePart bounds the preset and the id in a download's file name.
const maxFileNamePart = 64

// experimentFile serves an ended run's file (wire.RunFile) as a download:
// connlab-<preset>-<id>.json. A running experiment gets 409.
func (s *Server) experimentFile(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	f, err := s.cfg.Experiments.File(id)
	if err != nil {
		writeErr(w, experimentError(err, id))
		return
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+runFileName(f)+`"`)
	writeJSON(w, http.StatusOK, f)
}

// runFileName is connlab-<preset>-<id>.json with only [A-Za-z0-9_-] from
// the preset and the id (they come from a file that may have been edited).
func runFileName(f *wire.RunFile) string {
	preset := fileSafe(f.Result.Preset)
	if preset == "" {
		preset = "custom"
	}
	return "connlab-" + preset + "-" + fileSafe(f.Result.ID) + ".json"
}

func fileSafe(s string) string {
	b := make([]byte, 0, min(len(s), maxFileNamePart))
	for i := 0; i < len(s) && len(b) < maxFileNamePart; i++ {
		if c := s[i]; c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' {
			b = append(b, c)
		}
	}
	return string(b)
}

// stopExperiment stops a run and answers once its slot is free, so a POST
// right after the answer cannot find the Lab full: 204. A run that takes
// longer than stopWait to wind down gets 202 {"id","status":"stopping"}.
func (s *Server) stopExperiment(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if err := s.cfg.Experiments.Stop(id); err != nil {
		writeErr(w, experimentError(err, id))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), stopWait)
	defer cancel()
	_, err := s.cfg.Experiments.Wait(ctx, id)
	switch {
	case err == nil, errors.Is(err, lab.ErrNotFound): // ended, and already forgotten
		w.WriteHeader(http.StatusNoContent)
	case ctx.Err() != nil:
		writeJSON(w, http.StatusAccepted, map[string]string{"id": id, "status": "stopping"})
	default:
		writeErr(w, experimentError(err, id))
	}
}

// skipObserve ends a run's observe phase now: 204.
func (s *Server) skipObserve(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if err := s.cfg.Experiments.SkipObserve(id); err != nil {
		writeErr(w, experimentError(err, id))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// experimentError maps the Lab's errors to HTTP errors.
func experimentError(err error, id string) error {
	var fe *experiment.FieldError
	switch {
	case errors.As(err, &fe):
		field := clipIn(fe.Field, maxQuoted)
		if field == "" {
			field = "body"
		}
		return badField(field, "invalid_spec", clipQuotes(fe.Message))
	case errors.Is(err, lab.ErrNotFound):
		return &fieldError{status: http.StatusNotFound, code: "not_found", field: "id",
			message: "no experiment " + quote(id)}
	case errors.Is(err, lab.ErrBusy):
		return &fieldError{status: http.StatusTooManyRequests, code: "too_many_experiments",
			message: err.Error() + "; stop one first"}
	case errors.Is(err, lab.ErrRunning):
		return &fieldError{status: http.StatusConflict, code: "running", field: "id",
			message: "experiment " + quote(id) + " is still running: its file exists once it has ended"}
	case errors.Is(err, lab.ErrClosed):
		return &fieldError{status: http.StatusServiceUnavailable, code: "shutting_down", message: "connlab is shutting down"}
	}
	return err
}

// subscribeExperiment joins an experiment's events: a snapshot, then updates.
func (c *wsClient) subscribeExperiment(id string) {
	exps := c.srv.cfg.Experiments
	if exps == nil {
		c.sendError("not_found", "the Lab is not enabled on this server", "experiment")
		return
	}
	topic := lab.Topic(id)
	if !c.addTopic(topic) {
		return
	}
	err := exps.Subscribe(id, func(snap []byte) {
		c.srv.cfg.Hub.Join(c.sub, topic) // under the experiment's publish lock
		c.sub.Send(snap)
	})
	if err != nil {
		c.dropTopic(topic)
		var fe *fieldError
		if errors.As(experimentError(err, id), &fe) {
			c.sendError(fe.code, fe.message, "experiment")
			return
		}
		c.sendError("internal", err.Error(), "experiment")
	}
}
