package server_test

import (
	"net/http"
	"testing"

	"github.com/connlab/connlab/internal/wire"
)

// TestSpecSchema: GET /api/schema lists every spec field with its limits,
// and a value past a limit it states is refused by POST /api/experiments
// with the field named.
func TestSpecSchema(t *testing.T) {
	e := newEnv(t)
	var sc wire.SpecSchema
	if resp := e.do("GET", "/api/schema", "", "", &sc); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/schema: %d", resp.StatusCode)
	}
	byKey := map[string]wire.SpecField{}
	for _, f := range sc.Fields {
		byKey[f.Key] = f
	}
	c, ok := byKey["concurrency"]
	if len(sc.Fields) != 26 || !ok || c.Kind != wire.KindInt || c.Min != float64(1) || c.Max != float64(1000) || c.Default != float64(1) {
		t.Fatalf("%d fields; concurrency %+v", len(sc.Fields), c)
	}
	if b := byKey["client.body"]; b.Kind != wire.KindEnum || len(b.Enum) != 4 || b.Default != "read-close" {
		t.Fatalf("client.body %+v", b)
	}
	if o := byKey["observe"]; o.Kind != wire.KindDuration || o.Max != "10m0s" || o.Min != "0s" {
		t.Fatalf("observe %+v", o)
	}
	var errBody wire.ErrorBody
	resp := e.do("POST", "/api/experiments", "application/json", `{"preset":"keepalive-default","concurrency":1001}`, &errBody)
	if resp.StatusCode != http.StatusBadRequest || errBody.Error.Field != "concurrency" {
		t.Fatalf("concurrency past the schema's max: %d %+v", resp.StatusCode, errBody)
	}
}
