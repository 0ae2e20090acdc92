package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

func TestPresetsAPI(t *testing.T) {
	e := newEnv(t)
	var presets []struct {
		Name, Question string
		Spec           map[string]any
	}
	if resp := e.do("GET", "/api/presets", "", "", &presets); resp.StatusCode != 200 {
		t.Fatalf("GET /api/presets = %d", resp.StatusCode)
	}
	names := map[string]bool{}
	for _, p := range presets {
		names[p.Name] = p.Question != "" && p.Spec != nil
	}
	for _, want := range []string{"keepalive-default", "client-disable-keepalive", "body-not-read", "body-not-closed",
		"server-disable-keepalive", "server-idle-timeout", "idle-timeout-race", "client-idle-timeout", "pool-churn",
		"pool-sized", "http10", "http10-keepalive", "h2c-multiplex", "server-restart", "tcp-keepalive"} {
		if !names[want] {
			t.Errorf("preset %s missing or without question/spec", want)
		}
	}
}

// waitResult polls GET /api/experiments/{id} until the run is no longer running.
func waitResult(t *testing.T, e *env, id string) wire.ExperimentResult {
	t.Helper()
	var res wire.ExperimentResult
	eventually(t, 30*time.Second, "experiment "+id+" to end", func() bool {
		res = wire.ExperimentResult{}
		e.do("GET", "/api/experiments/"+id, "", "", &res)
		return res.Status != "" && res.Status != wire.ExpRunning
	})
	return res
}

func TestExperimentRunsThroughAPI(t *testing.T) {
	e := newEnv(t)
	var created struct {
		ID     string `json:"id"`
		Port   uint16 `json:"port"`
		Status string `json:"status"`
	}
	resp := e.do("POST", "/api/experiments", "application/json",
		`{"preset":"client-disable-keepalive","requests":6,"interval":"20ms","observe":"300ms"}`, &created)
	if resp.StatusCode != http.StatusCreated || created.ID == "" || created.Port == 0 {
		t.Fatalf("POST /api/experiments = %d %+v", resp.StatusCode, created)
	}
	if loc := resp.Header.Get("Location"); loc != "/api/experiments/"+created.ID {
		t.Errorf("Location = %q", loc)
	}
	res := waitResult(t, e, created.ID)
	if res.Status != wire.ExpCompleted || res.Requests.Total != 6 {
		t.Fatalf("result: status %s, %d requests (error %q)", res.Status, res.Requests.Total, res.Error)
	}
	// The physics, measured: keep-alive off on the client means one
	// connection per request.
	if res.Connections.Opened != 6 {
		t.Errorf("connections opened = %d, want 6 (one per request)", res.Connections.Opened)
	}
	if len(res.Findings) == 0 {
		t.Error("no findings")
	}
	var list []wire.ExpSummary
	e.do("GET", "/api/experiments", "", "", &list)
	if len(list) != 1 || list[0].ID != created.ID || list[0].Status != wire.ExpCompleted {
		t.Fatalf("GET /api/experiments = %+v", list)
	}
}

func TestExperimentErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name, ctype, body string
		status            int
		code, field       string
	}{
		{"unknown preset", "application/json", `{"preset":"nope"}`, 400, "invalid_spec", "preset"},
		{"concurrency too high", "application/json", `{"concurrency":5000}`, 400, "invalid_spec", "concurrency"},
		{"bad duration", "application/json", `{"duration":"soon"}`, 400, "invalid_spec", "duration"},
		{"duration too long", "application/json", `{"duration":"11m"}`, 400, "invalid_spec", "duration"},
		{"body too big", "application/json", `{"bodyBytes":9000000}`, 400, "invalid_spec", "bodyBytes"},
		{"rate too high", "application/json", `{"rate":20001}`, 400, "invalid_spec", "rate"},
		{"bad enum", "application/json", `{"client":{"body":"sometimes"}}`, 400, "invalid_spec", "client.body"},
		{"unknown field", "application/json", `{"server":{"colour":"red"}}`, 400, "invalid_spec", "server.colour"},
		{"not an object", "application/json", `[1]`, 400, "invalid_spec", "body"},
		{"form post", "text/plain", `{}`, 415, "unsupported_media_type", "Content-Type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var eb wire.ErrorBody
			resp := e.do("POST", "/api/experiments", c.ctype, c.body, &eb)
			if resp.StatusCode != c.status || eb.Error.Code != c.code || eb.Error.Field != c.field || eb.Error.Message == "" {
				t.Fatalf("POST %s = %d %+v, want %d %s field %q", c.body, resp.StatusCode, eb.Error, c.status, c.code, c.field)
			}
		})
	}
	var eb wire.ErrorBody
	if resp := e.do("GET", "/api/experiments/nope", "", "", &eb); resp.StatusCode != 404 || eb.Error.Field != "id" {
		t.Fatalf("GET unknown experiment = %d %+v", resp.StatusCode, eb)
	}
	if resp := e.do("DELETE", "/api/experiments/nope", "", "", &eb); resp.StatusCode != 404 {
		t.Fatalf("DELETE unknown experiment = %d", resp.StatusCode)
	}
}

func TestExperimentLimitAndStop(t *testing.T) {
	e := newEnv(t)
	// Four runs until stopped (requests=0, duration=0) fill the Lab.
	var ids []string
	for range 4 {
		var c struct{ ID string }
		resp := e.do("POST", "/api/experiments", "application/json", `{"preset":"keepalive-default","requests":0,"duration":"0s","interval":"100ms","observe":"0s"}`, &c)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("start %d: %d", len(ids), resp.StatusCode)
		}
		ids = append(ids, c.ID)
	}
	var eb wire.ErrorBody
	if resp := e.do("POST", "/api/experiments", "application/json", `{"preset":"keepalive-default"}`, &eb); resp.StatusCode != http.StatusTooManyRequests || eb.Error.Code != "too_many_experiments" {
		t.Fatalf("fifth experiment = %d %+v, want 429", resp.StatusCode, eb)
	}
	for _, id := range ids {
		if resp := e.do("DELETE", "/api/experiments/"+id, "", "", nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE %s = %d", id, resp.StatusCode)
		}
	}
	for _, id := range ids {
		if res := waitResult(t, e, id); res.Status != wire.ExpStopped {
			t.Errorf("experiment %s status %s after DELETE, want stopped", id, res.Status)
		}
	}
}

func TestExperimentWebsocket(t *testing.T) {
	e := newEnv(t)
	var c struct{ ID string }
	e.do("POST", "/api/experiments", "application/json", `{"preset":"keepalive-default","requests":20,"interval":"50ms","observe":"500ms"}`, &c)
	ws, _, err := dialWS(t, e, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	readType(t, ws, wire.TypeHello)
	if err := ws.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Experiment: c.ID}); err != nil {
		t.Fatal(err)
	}
	snap := readType(t, ws, wire.TypeExpSnapshot)
	if snap["result"] == nil {
		t.Fatalf("snapshot without result: %v", snap)
	}
	// Updates follow until one says the run is done (none if the run
	// already ended before the subscription: the snapshot is final then).
	result := snap["result"].(map[string]any)
	deadline := time.Now().Add(20 * time.Second)
	for result["status"] == wire.ExpRunning {
		if time.Now().After(deadline) {
			t.Fatal("no final update")
		}
		u := readType(t, ws, wire.TypeExpUpdate)
		if done, _ := u["done"].(bool); done {
			break
		}
	}
	if err := ws.WriteJSON(wire.Request{Type: wire.TypeSubscribe, Experiment: "nope"}); err != nil {
		t.Fatal(err)
	}
	if em := readType(t, ws, wire.TypeError); em["error"].(map[string]any)["code"] != "not_found" {
		t.Fatalf("unknown experiment: %v", em)
	}
}
