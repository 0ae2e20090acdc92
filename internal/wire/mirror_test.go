package wire

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// tsNames maps a Go type to its mirror's name in web/src/wire.ts where they differ.
var tsNames = map[string]string{"Ports": "PortsMessage", "Error": "WireError"}

// mirrored lists every type the browser decodes; each must have a mirror.
var mirrored = []any{
	Counts{}, Socket{}, PortStatus{}, Timeline{}, Change{}, Hello{}, Snapshot{}, Tick{}, Ports{},
	Error{}, ErrorBody{}, ErrorMessage{}, Request{}, System{},
	ExperimentResult{}, ExpSummary{}, ExpProgress{}, ExpRequests{}, ClosedFirst{}, ExpConnections{},
	SidePair{}, ExpKernel{}, ExpLatency{}, Finding{}, Lane{}, RequestLine{}, ExpSnapshot{}, ExpUpdate{},
	Flow{}, FlowCounts{}, FlowWindow{}, FlowLifetime{}, FlowForecast{}, SideFloat{}, Transitions{}, TransitionEvent{}, FlowConn{}, FlowConns{},
}

var (
	tsInterface = regexp.MustCompile(`(?m)^export interface (\w+)[^{]*\{`)
	tsField     = regexp.MustCompile(`^\s*(\w+)(\??):`)
)

// tsInterfaces parses the top-level fields of every interface in wire.ts.
func tsInterfaces(t *testing.T) map[string]map[string]bool {
	t.Helper()
	src, err := os.ReadFile("../../web/src/wire.ts")
	if err != nil {
		t.Fatalf("read the TypeScript mirror: %v", err)
	}
	out := map[string]map[string]bool{}
	text := string(src)
	for _, m := range tsInterface.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
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
