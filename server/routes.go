package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes is every route in one place.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	// securityHeaders first: every answer below carries them, refusals included.
	r.Use(securityHeaders, middleware.Recoverer, s.checkHost, s.checkToken)

	r.Get("/healthz", s.healthz)
	// Prometheus scrapes /metrics: the guards above apply (Host, and the
	// token when exposed), not the API group's JSON-only timeout.
	if s.cfg.Metrics != nil {
		r.Method(http.MethodGet, "/metrics", s.cfg.Metrics)
	}
	// The websocket lives outside the API group: no timeout applies to it.
	r.With(s.limitWebsockets).Get("/ws", s.ws)

	r.Route("/api", func(r chi.Router) {
		r.Use(middleware.Timeout(apiTimeout), jsonOnlyForWrites)
		r.Get("/system", s.system)
		r.Get("/ports", s.listPorts)
		r.Post("/ports", s.addPort)
		r.Get("/ports/{port}", s.getPort)
		r.Delete("/ports/{port}", s.deletePort)
		r.Get("/ports/{port}/sockets", s.getSockets)
		r.Get("/ports/{port}/timeline", s.getTimeline)
		r.Get("/ports/{port}/verdict", s.getVerdict)
		r.Get("/ports/{port}/connections", s.getConnections)
		if s.cfg.Experiments != nil {
			r.Get("/presets", s.listPresets)
			r.Get("/schema", s.specSchema)
			r.Post("/experiments", s.startExperiment)
			r.Get("/experiments", s.listExperiments)
			r.Get("/experiments/{id}", s.getExperiment)
			r.Get("/experiments/{id}/file", s.experimentFile)
			r.Delete("/experiments/{id}", s.stopExperiment)
			r.Post("/experiments/{id}/skip-observe", s.skipObserve)
		}
		r.NotFound(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "not_found", "no API route "+clipIn(r.Method, maxQuoted)+" "+clipIn(r.URL.Path, maxQuoted), "")
		})
		r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", clipIn(r.Method, maxQuoted)+" is not allowed on "+clipIn(r.URL.Path, maxQuoted), "")
		})
	})

	spa := s.spa()
	r.NotFound(spa)
	r.MethodNotAllowed(spa)
	return r
}
