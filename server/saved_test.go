package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/connlab/connlab/internal/app"
	"github.com/connlab/connlab/internal/lab"
	"github.com/connlab/connlab/internal/runstore"
	"github.com/connlab/connlab/internal/wire"
)

// newSavingEnv is a connlab whose Lab saves its runs in dir.
func newSavingEnv(t *testing.T, dir string) *env {
	t.Helper()
	store, err := runstore.Open(dir, runstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvApp(t, app.Config{Lab: lab.ManagerOptions{Archive: store, Version: "test"}})
}

// get answers the status and body of GET path.
func (e *env) get(path string) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := e.client.Get(e.url + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, b
}

// TestSavedRunsThroughAPI: the file of an ended run downloads (409 while it
// runs); after a restart on the same state, the list, the result and the
// file of both runs are served as they were.
func TestSavedRunsThroughAPI(t *testing.T) {
	dir := t.TempDir()
	var stoppedID, doneID string
	var doneResult, doneFile []byte
	t.Run("first process", func(t *testing.T) {
		e := newSavingEnv(t, dir)
		var c struct{ ID string }
		e.do("POST", "/api/experiments", "application/json", `{"preset":"keepalive-default","requests":0,"duration":"0s","interval":"20ms","observe":"0s"}`, &c)
		stoppedID = c.ID
		resp, body := e.get("/api/experiments/" + stoppedID + "/file")
		var eb wire.ErrorBody
		if err := json.Unmarshal(body, &eb); resp.StatusCode != http.StatusConflict || err != nil || eb.Error.Code != "running" {
			t.Fatalf("file of a running experiment = %d %s, want 409 running", resp.StatusCode, body)
		}
		if resp := e.do("DELETE", "/api/experiments/"+stoppedID, "", "", nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE = %d", resp.StatusCode)
		}

		e.do("POST", "/api/experiments", "application/json", `{"preset":"client-disable-keepalive","requests":5,"interval":"20ms","observe":"200ms"}`, &c)
		doneID = c.ID
		if res := waitResult(t, e, doneID); res.Status != wire.ExpCompleted || res.Connections.Opened != 5 {
			t.Fatalf("run: %s, %d connections", res.Status, res.Connections.Opened)
		}
		_, doneResult = e.get("/api/experiments/" + doneID)
		resp, doneFile = e.get("/api/experiments/" + doneID + "/file")
		want := `attachment; filename="connlab-client-disable-keepalive-` + doneID + `.json"`
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Disposition") != want {
			t.Fatalf("file = %d, Content-Disposition %q, want 200 %q", resp.StatusCode, resp.Header.Get("Content-Disposition"), want)
		}
		f, err := runstore.Decode(doneFile)
		if err != nil || f.Connlab != "test" {
			t.Fatalf("the download is not a run file: %v", err)
		}
		if !sameJSON(t, f.Result, doneResult) {
			t.Fatalf("the file's result differs from GET /api/experiments/{id}:\n%s\n%s", jsonText(t, f.Result), doneResult)
		}
	})
	t.Run("after restart", func(t *testing.T) {
		e := newSavingEnv(t, dir)
		var list []wire.ExpSummary
		e.do("GET", "/api/experiments", "", "", &list)
		if len(list) != 2 || list[0].ID != doneID || list[1].ID != stoppedID || !list[0].Saved || !list[1].Saved ||
			list[0].Status != wire.ExpCompleted || list[1].Status != wire.ExpStopped || list[0].Connections != 5 {
			t.Fatalf("GET /api/experiments after restart = %+v", list)
		}
		// The list carries the run's answer, so the page can show it without the whole result.
		var done wire.ExperimentResult
		if err := json.Unmarshal(doneResult, &done); err != nil || done.Answer == "" || list[0].Answer != done.Answer {
			t.Fatalf("listed answer %q, want the result's %q (%v)", list[0].Answer, done.Answer, err)
		}
		resp, body := e.get("/api/experiments/" + doneID)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, doneResult) {
			t.Fatalf("GET /api/experiments/{id} after restart = %d\n%s\nwant\n%s", resp.StatusCode, body, doneResult)
		}
		resp, body = e.get("/api/experiments/" + doneID + "/file")
		f, err := runstore.Decode(body)
		if resp.StatusCode != http.StatusOK || err != nil || !sameJSON(t, f.Result, doneResult) {
			t.Fatalf("file after restart = %d %v", resp.StatusCode, err)
		}
		resp, body = e.get("/api/experiments/nope/file")
		var eb wire.ErrorBody
		if err := json.Unmarshal(body, &eb); resp.StatusCode != http.StatusNotFound || err != nil || eb.Error.Code != "not_found" {
			t.Fatalf("file of an unknown run = %d %s", resp.StatusCode, body)
		}
		// Stopping a saved run is stopping an ended one: nothing to do.
		if resp := e.do("DELETE", "/api/experiments/"+doneID, "", "", nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("DELETE of a saved run = %d", resp.StatusCode)
		}
	})
}

// TestFileWithoutState: without a state directory, an ended run in memory
// still downloads.
func TestFileWithoutState(t *testing.T) {
	e := newEnv(t)
	var c struct{ ID string }
	e.do("POST", "/api/experiments", "application/json", `{"preset":"keepalive-default","requests":3,"interval":"20ms","observe":"0s"}`, &c)
	waitResult(t, e, c.ID)
	resp, body := e.get("/api/experiments/" + c.ID + "/file")
	if f, err := runstore.Decode(body); resp.StatusCode != http.StatusOK || err != nil || f.Result.ID != c.ID {
		t.Fatalf("file = %d %v", resp.StatusCode, err)
	}
	var list []wire.ExpSummary
	e.do("GET", "/api/experiments", "", "", &list)
	if len(list) != 1 || list[0].Saved {
		t.Fatalf("list without state = %+v, want one run not saved", list)
	}
}

func jsonText(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameJSON: v encodes to the JSON document b (as GET answers it, with a
// trailing newline).
func sameJSON(t *testing.T, v any, b []byte) bool {
	t.Helper()
	return bytes.Equal(append(jsonText(t, v), '\n'), b)
}
