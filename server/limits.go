package server

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// Limits of the HTTP surface added for exposure (see also server.go).
const (
	maxWebsockets = 128             // websocket sessions open at once (Config.MaxWebsockets overrides)
	wsBusyRetry   = 5 * time.Second // Retry-After of a refused upgrade
	stopWait      = 5 * time.Second // DELETE /api/experiments/{id} waits this long for the run's slot
)

// wsSlots counts the websocket sessions in progress.
type wsSlots struct{ n atomic.Int64 }

// limitWebsockets refuses an upgrade with 503 once MaxWebsockets sessions
// are open; a session's slot is freed when its handler returns (the
// connection is closed by then).
func (s *Server) limitWebsockets(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.sockets.n.Add(1) > int64(s.cfg.MaxWebsockets) {
			s.sockets.n.Add(-1)
			w.Header().Set("Retry-After", fmt.Sprint(int(wsBusyRetry.Seconds())))
			writeError(w, http.StatusServiceUnavailable, "too_many_websockets",
				fmt.Sprintf("%d live views are open, the most this connlab serves; close one and retry", s.cfg.MaxWebsockets), "")
			return
		}
		defer s.sockets.n.Add(-1)
		next.ServeHTTP(w, r)
	})
}
