package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/hub"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/monitor"
	"github.com/connlab/connlab/internal/wire"
	"github.com/connlab/connlab/server"
)

// DELETE answers once the run's slot is free: with room for one run, a
// POST right after each DELETE must never find the Lab full.
func TestDeleteFreesTheSlot(t *testing.T) {
	var mgr *lab.Manager
	e := newEnv(t, func(c *server.Config) {
		mgr = lab.NewManager(c.Monitor.(*monitor.Monitor), c.Hub.(*hub.Hub), nil, lab.ManagerOptions{MaxRunning: 1})
		c.Experiments = mgr
	})
	t.Cleanup(mgr.Close) // runs after the env's cleanup; nothing is running by then
	const cycles = 200
	const spec = `{"preset":"keepalive-default","requests":0,"duration":"0s","interval":"50ms","observe":"0s"}`
	start := time.Now()
	stopping := 0
	for i := range cycles {
		var c struct{ ID string }
		if resp := e.do("POST", "/api/experiments", "application/json", spec, &c); resp.StatusCode != http.StatusCreated {
			t.Fatalf("cycle %d: POST = %d, want 201 (the previous DELETE answered before its slot was free)", i, resp.StatusCode)
		}
		var st struct{ ID, Status string }
		resp := e.do("DELETE", "/api/experiments/"+c.ID, "", "", &st)
		switch resp.StatusCode {
		case http.StatusNoContent:
			if res, ok := mgr.Get(c.ID); ok && res.Status == wire.ExpRunning {
				t.Fatalf("cycle %d: 204 while the run is still running", i)
			}
		case http.StatusAccepted: // a run slower to stop than the server waits: documented, allowed
			if st.Status != "stopping" || st.ID != c.ID {
				t.Fatalf("cycle %d: 202 body %+v, want status stopping", i, st)
			}
			stopping++
			waitResult(t, e, c.ID)
		default:
			t.Fatalf("cycle %d: DELETE = %d", i, resp.StatusCode)
		}
	}
	t.Logf("%d DELETE-then-POST cycles in %s (%d answered 202 stopping)", cycles, time.Since(start).Round(time.Millisecond), stopping)
}
