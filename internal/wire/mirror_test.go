package wire_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/connlab/connlab/internal/experiment"
	"github.com/connlab/connlab/internal/wire"
)

// tsNames maps a Go type to its mirror's name in web/src/wire.ts where they differ.
var tsNames = map[string]string{
	"Ports": "PortsMessage", "Error": "WireError",
	"Spec": "SpecJSON", "ServerSpec": "ServerSpecJSON", "ClientSpec": "ClientSpecJSON", "TCPKeepAlive": "TCPKeepAliveJSON",
}

// mirrored lists every type the browser decodes; each must have a mirror.
var mirrored = []any{
	wire.Counts{}, wire.Socket{}, wire.PortStatus{}, wire.Timeline{}, wire.Change{}, wire.Hello{}, wire.Snapshot{}, wire.Tick{}, wire.Ports{},
	wire.Error{}, wire.ErrorBody{}, wire.ErrorMessage{}, wire.Request{}, wire.System{},
	wire.ExperimentResult{}, wire.RunFile{}, wire.ExpSummary{}, wire.ExpProgress{}, wire.ExpRequests{}, wire.ClosedFirst{}, wire.ExpConnections{},
	wire.SidePair{}, wire.ExpKernel{}, wire.ExpLatency{}, wire.Finding{}, wire.Lane{}, wire.RequestLine{}, wire.ExpSnapshot{}, wire.ExpUpdate{},
	wire.Flow{}, wire.FlowCounts{}, wire.FlowWindow{}, wire.FlowLifetime{}, wire.FlowForecast{}, wire.SideFloat{}, wire.Transitions{}, wire.TransitionEvent{}, wire.FlowConn{}, wire.FlowConns{},
	wire.ExpMeasures{}, wire.SpecSchema{}, wire.SpecField{},
	// The spec (GET /api/presets, ExperimentResult.spec, POST /api/experiments).
	experiment.PresetInfo{}, experiment.Spec{}, experiment.ServerSpec{}, experiment.ClientSpec{}, experiment.TCPKeepAlive{},
}

var (
	tsInterface = regexp.MustCompile(`(?m)^export interface (\w+)(?:\s+extends\s+([\w,\s]+?))?\s*\{`)
	tsField     = regexp.MustCompile(`^\s*(\w+)(\??):`)
)

// tsInterfaces parses the top-level fields of every interface in wire.ts,
// with the fields of the interfaces it extends (as Go embeds a struct).
func tsInterfaces(t *testing.T) map[string]map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../../web/src/wire.ts")
	if err != nil {
		t.Fatalf("read the TypeScript mirror: %v", err)
	}
	out := map[string]map[string]bool{}
	parents := map[string][]string{}
	text := string(src)
	for _, m := range tsInterface.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		if m[4] >= 0 {
			for _, p := range strings.Split(text[m[4]:m[5]], ",") {
				parents[name] = append(parents[name], strings.TrimSpace(p))
			}
		}
		fields := map[string]bool{} // name -> optional
		depth := 1
		line := ""
		for i := m[1]; i < len(text) && depth > 0; i++ {
			c := text[i]
			switch c {
			case '{':
				depth++
			case '}':
				depth--
			case '\n':
				if depth == 1 {
					if f := tsField.FindStringSubmatch(line); f != nil {
						fields[f[1]] = f[2] == "?"
					}
				}
				line = ""
				continue
			}
			line += string(c)
		}
		out[name] = fields
	}
	var inherit func(name string, seen map[string]bool)
	inherit = func(name string, seen map[string]bool) {
		for _, p := range parents[name] {
			if seen[p] {
				continue
			}
			seen[p] = true
			inherit(p, seen)
			for k, opt := range out[p] {
				if _, ok := out[name][k]; !ok {
					out[name][k] = opt
				}
			}
		}
	}
	for name := range parents {
		inherit(name, map[string]bool{name: true})
	}
	return out
}

// TestTypeScriptMirror keeps web/src/wire.ts in step with this package:
// every JSON field exists there under the same name, a field Go may omit is
// optional there, and the mirror has no field Go never sends.
func TestTypeScriptMirror(t *testing.T) {
	ts := tsInterfaces(t)
	for _, v := range mirrored {
		typ := reflect.TypeOf(v)
		name := typ.Name()
		if n, ok := tsNames[name]; ok {
			name = n
		}
		fields, ok := ts[name]
		if !ok {
			t.Errorf("wire.ts has no interface %s (mirror of wire.%s)", name, typ.Name())
			continue
		}
		seen := map[string]bool{}
		for _, f := range jsonFields(typ) {
			seen[f.key] = true
			optional, ok := fields[f.key]
			switch {
			case !ok:
				t.Errorf("%s.%s (json %q) is missing from wire.ts %s", typ.Name(), f.name, f.key, name)
			case f.omitempty && !optional:
				t.Errorf("wire.ts %s.%s must be optional: Go omits it when empty", name, f.key)
			}
		}
		for key := range fields {
			if !seen[key] {
				t.Errorf("wire.ts %s.%s has no Go field: the server never sends it", name, key)
			}
		}
	}
}

// jsonField is one member of a Go type's JSON object.
type jsonField struct {
	name, key string
	omitempty bool
}

// jsonFields lists the members of typ's JSON object in order, with the
// fields of embedded structs inline, as encoding/json writes them.
func jsonFields(typ reflect.Type) []jsonField {
	var out []jsonField
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		key, opts, _ := strings.Cut(tag, ",")
		if key == "" || key == "-" {
			continue
		}
		out = append(out, jsonField{name: f.Name, key: key, omitempty: strings.Contains(opts, "omitempty")})
	}
	return out
}

// schemaFixture is the schema as the web tests read it (vitest has no
// server): it must be what GET /api/schema serves.
const schemaFixture = "../../web/src/lib/lab/schema.fixture.json"

// uiKey reads the keys of the UI table in web/src/lib/lab/fields.ts
// (`  'server.idleTimeout': { group: ...`).
var uiKey = regexp.MustCompile(`(?m)^\s*'?([\w.]+)'?: \{\s*group: `)

// TestSchemaMirror: the web's schema fixture is the schema Go serves, and
// fields.ts labels exactly the schema's fields (the UI has no field the
// server does not know, and none is left without a label).
func TestSchemaMirror(t *testing.T) {
	got, err := json.MarshalIndent(experiment.Schema(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *wire.Update {
		if err := os.WriteFile(schemaFixture, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFixture)
	if err != nil {
		t.Fatalf("read %s: %v (go test ./internal/wire -update writes it)", schemaFixture, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not the schema Go serves: run go test ./internal/wire -update, then check web/src/lib/lab/fields.ts", schemaFixture)
	}
	src, err := os.ReadFile("../../web/src/lib/lab/fields.ts")
	if err != nil {
		t.Fatal(err)
	}
	labelled := map[string]bool{}
	for _, m := range uiKey.FindAllStringSubmatch(string(src), -1) {
		labelled[m[1]] = true
	}
	for _, f := range experiment.Schema().Fields {
		if !labelled[f.Key] {
			t.Errorf("fields.ts has no label for %s", f.Key)
		}
		delete(labelled, f.Key)
	}
	for k := range labelled {
		t.Errorf("fields.ts labels %s, which the schema does not have", k)
	}
}
