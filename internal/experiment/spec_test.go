package experiment

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultAndPresetsValid(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default: %v", err)
	}
	seen := map[string]bool{}
	for _, p := range Presets() {
		if seen[p.Name] {
			t.Errorf("preset %s listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.Question == "" || p.LookAt == "" {
			t.Errorf("preset %s: question and lookAt must be set", p.Name)
		}
		if p.Spec.Preset != p.Name {
			t.Errorf("preset %s: spec.preset = %q", p.Name, p.Spec.Preset)
		}
		if p.Spec.UntilStopped() {
			t.Errorf("preset %s: must be bounded", p.Name)
		}
	}
	// Scripts use these names.
	for _, name := range []string{"keepalive-default", "client-disable-keepalive", "body-not-read", "body-not-closed",
		"server-disable-keepalive", "server-idle-timeout", "idle-timeout-race", "client-idle-timeout", "pool-churn",
		"pool-sized", "http10", "http10-keepalive", "h2c-multiplex", "server-restart", "tcp-keepalive"} {
		if !seen[name] {
			t.Errorf("preset %s missing", name)
		}
	}
	if len(seen) != 15 {
		t.Errorf("%d presets, want 15", len(seen))
	}
}

// TestSeedSetup: the first seed article's run is reachable with -set.
func TestSeedSetup(t *testing.T) {
	s, err := Preset(PresetClientDisableKeepalive)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range []string{"interval=1s", "requests=0"} {
		if err := SetPair(&s, kv); err != nil {
			t.Fatal(err)
		}
	}
	if !s.UntilStopped() || s.Interval.D() != time.Second || !s.Client.DisableKeepAlives {
		t.Fatalf("got %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := s.WorkloadLimit(); got != MaxDuration {
		t.Errorf("until-stopped limit %s, want %s", got, MaxDuration)
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		key, value string
		field      string // the FieldError's field; "" = no error
		check      func(*Spec) bool
	}{
		{"requests", "100", "", func(s *Spec) bool { return s.Requests == 100 }},
		{"requests", "0", "", func(s *Spec) bool { return s.Requests == 0 }},
		{"requests", "-1", "requests", nil},
		{"requests", "1e3", "requests", nil},
		{"requests", "10000001", "requests", nil},
		{"duration", "10m", "", func(s *Spec) bool { return s.Duration.D() == 10*time.Minute }},
		{"duration", "10m1s", "duration", nil},
		{"duration", "-1s", "duration", nil},
		{"duration", "5", "duration", nil},
		{"interval", " 250ms ", "", func(s *Spec) bool { return s.Interval.D() == 250*time.Millisecond }},
		{"rate", "20000", "", func(s *Spec) bool { return s.Rate == 20000 }},
		{"rate", "20000.5", "rate", nil},
		{"rate", "NaN", "rate", nil},
		{"rate", "-3", "rate", nil},
		{"concurrency", "1000", "", func(s *Spec) bool { return s.Concurrency == 1000 }},
		{"concurrency", "0", "concurrency", nil},
		{"concurrency", "1001", "concurrency", nil},
		{"method", "POST", "", func(s *Spec) bool { return s.Method == "POST" }},
		{"method", "post", "method", nil},
		{"method", "PUT", "method", nil},
		{"bodyBytes", "8388608", "", func(s *Spec) bool { return s.BodyBytes == 8<<20 }},
		{"bodyBytes", "8388609", "bodyBytes", nil},
		{"observe", "65s", "", func(s *Spec) bool { return s.Observe.D() == 65*time.Second }},
		{"observe", "11m", "observe", nil},
		{"server.keepAlives", "false", "", func(s *Spec) bool { return !s.Server.KeepAlives }},
		{"server.keepAlives", "nope", "server.keepAlives", nil},
		{"server.idleTimeout", "1s", "", func(s *Spec) bool { return s.Server.IdleTimeout.D() == time.Second }},
		{"server.readTimeout", "1h", "server.readTimeout", nil},
		{"server.readHeaderTimeout", "2s", "", func(s *Spec) bool { return s.Server.ReadHeaderTimeout.D() == 2*time.Second }},
		{"server.delay", "2m", "server.delay", nil},
		{"server.framing", "chunked", "", func(s *Spec) bool { return s.Server.Framing == FramingChunked }},
		{"server.framing", "gzip", "server.framing", nil},
		{"server.protocol", "h2c", "", func(s *Spec) bool { return s.Server.Protocol == ProtoH2C }},
		{"server.protocol", "http10", "server.protocol", nil},
		{"server.restartAfter", "5", "", func(s *Spec) bool { return s.Server.RestartAfter == 5 }},
		{"client.disableKeepAlives", "true", "", func(s *Spec) bool { return s.Client.DisableKeepAlives }},
		{"client.body", "partial-close", "", func(s *Spec) bool { return s.Client.Body == BodyPartialClose }},
		{"client.body", "ignore", "client.body", nil},
		{"client.maxIdleConnsPerHost", "50", "", func(s *Spec) bool { return s.Client.MaxIdleConnsPerHost == 50 }},
		{"client.maxConnsPerHost", "-1", "client.maxConnsPerHost", nil},
		{"client.idleConnTimeout", "0s", "", func(s *Spec) bool { return s.Client.IdleConnTimeout == 0 }},
		{"client.protocol", "http10-keepalive", "", func(s *Spec) bool { return s.Client.Protocol == ProtoHTTP10KeepAlive }},
		{"client.tcpKeepAlive.enable", "false", "", func(s *Spec) bool { return !s.Client.TCPKeepAlive.Enable }},
		{"client.tcpKeepAlive.idle", "1s", "", func(s *Spec) bool { return s.Client.TCPKeepAlive.Idle.D() == time.Second }},
		{"client.tcpKeepAlive.interval", "3h", "client.tcpKeepAlive.interval", nil},
		{"client.tcpKeepAlive.count", "128", "client.tcpKeepAlive.count", nil},
		{"Requests", "1", "Requests", nil},
		{"server", "x", "server", nil},
		{"client.tcpKeepAlive", "x", "client.tcpKeepAlive", nil},
		{"preset", "pool-churn", "preset", nil},
		{"nope", "1", "nope", nil},
	}
	for _, tt := range tests {
		s := Default()
		before := s
		err := Set(&s, tt.key, tt.value)
		if tt.field == "" {
			if err != nil {
				t.Errorf("Set(%s=%s): %v", tt.key, tt.value, err)
				continue
			}
			if !tt.check(&s) {
				t.Errorf("Set(%s=%s): spec not updated: %+v", tt.key, tt.value, s)
			}
			if err := s.Validate(); err != nil {
				t.Errorf("Set(%s=%s) left an invalid spec: %v", tt.key, tt.value, err)
			}
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("Set(%s=%s): error %v, want a *FieldError", tt.key, tt.value, err)
			continue
		}
		if fe.Field != tt.field {
			t.Errorf("Set(%s=%s): field %q, want %q (%v)", tt.key, tt.value, fe.Field, tt.field, err)
		}
		if !strings.Contains(err.Error(), tt.field) {
			t.Errorf("Set(%s=%s): message %q does not name the field", tt.key, tt.value, err)
		}
		if !reflect.DeepEqual(s, before) {
			t.Errorf("Set(%s=%s) failed but changed the spec", tt.key, tt.value)
		}
	}
}

func TestSetCaseHint(t *testing.T) {
	s := Default()
	err := Set(&s, "server.idletimeout", "1s")
	if err == nil || !strings.Contains(err.Error(), `"server.idleTimeout"`) {
		t.Fatalf("got %v, want a hint naming server.idleTimeout", err)
	}
}

func TestRateIntervalLastWins(t *testing.T) {
	s, _ := Preset(PresetIdleTimeoutRace) // has an interval
	if err := Set(&s, "rate", "100"); err != nil {
		t.Fatal(err)
	}
	if s.Rate != 100 || s.Interval != 0 {
		t.Fatalf("rate did not replace interval: %+v", s)
	}
	if err := Set(&s, "interval", "10ms"); err != nil {
		t.Fatal(err)
	}
	if s.Rate != 0 || s.Interval.D() != 10*time.Millisecond {
		t.Fatalf("interval did not replace rate: %+v", s)
	}
	s.Rate = 5
	var fe *FieldError
	if err := s.Validate(); !errors.As(err, &fe) || fe.Field != "rate" {
		t.Fatalf("both set: %v, want a rate FieldError", err)
	}
}

func TestSetPair(t *testing.T) {
	s := Default()
	if err := SetPair(&s, "server.idleTimeout=2s"); err != nil || s.Server.IdleTimeout.D() != 2*time.Second {
		t.Fatalf("got %v, %+v", err, s.Server)
	}
	if err := SetPair(&s, "requests"); err == nil {
		t.Fatal("want an error for a pair without =")
	}
}

func TestParseSpec(t *testing.T) {
	tests := []struct {
		name, json string
		field      string // "" = ok
		check      func(*Spec) bool
	}{
		{"empty object is the default", `{}`, "", func(s *Spec) bool { return reflect.DeepEqual(*s, Default()) }},
		{"preset plus overrides", `{"preset":"pool-churn","requests":100,"client":{"maxIdleConnsPerHost":4}}`, "",
			func(s *Spec) bool {
				return s.Preset == "pool-churn" && s.Requests == 100 && s.Concurrency == 50 && s.Client.MaxIdleConnsPerHost == 4
			}},
		{"durations are strings", `{"server":{"idleTimeout":"1.5s"}}`, "", func(s *Spec) bool { return s.Server.IdleTimeout.D() == 1500*time.Millisecond }},
		{"null keeps the base", `{"preset":"http10","client":null,"requests":null}`, "", func(s *Spec) bool { return s.Client.Protocol == ProtoHTTP10 && s.Requests == 20 }},
		{"bool", `{"server":{"keepAlives":false}}`, "", func(s *Spec) bool { return !s.Server.KeepAlives }},
		{"nested keepalive", `{"client":{"tcpKeepAlive":{"enable":false}}}`, "", func(s *Spec) bool { return !s.Client.TCPKeepAlive.Enable }},
		{"rate replaces a preset's interval", `{"preset":"idle-timeout-race","rate":50}`, "", func(s *Spec) bool { return s.Rate == 50 && s.Interval == 0 }},
		{"until stopped is allowed", `{"requests":0,"duration":"0s"}`, "", func(s *Spec) bool { return s.UntilStopped() }},
		{"duration as number", `{"duration":5}`, "duration", nil},
		{"unknown top-level", `{"request":5}`, "request", nil},
		{"unknown nested", `{"server":{"idle":"1s"}}`, "server.idle", nil},
		{"wrong case", `{"Server":{}}`, "Server", nil},
		{"object where a value goes", `{"requests":{"n":1}}`, "requests", nil},
		{"array", `{"method":["GET"]}`, "method", nil},
		{"value where an object goes", `{"server":true}`, "server", nil},
		{"both rate and interval", `{"rate":10,"interval":"1s"}`, "rate", nil},
		{"over the limit", `{"duration":"11m"}`, "duration", nil},
		{"concurrency", `{"concurrency":2000}`, "concurrency", nil},
		{"body", `{"bodyBytes":9000000}`, "bodyBytes", nil},
		{"unknown preset", `{"preset":"nope"}`, "preset", nil},
		{"preset not a string", `{"preset":3}`, "preset", nil},
		{"not an object", `[1]`, "", nil},
		{"trailing data", `{} {}`, "", nil},
		{"null", `null`, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSpec([]byte(tt.json))
			if tt.check != nil {
				if err != nil {
					t.Fatalf("ParseSpec(%s): %v", tt.json, err)
				}
				if !tt.check(&s) {
					t.Fatalf("ParseSpec(%s) = %+v", tt.json, s)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseSpec(%s): %v, want a *FieldError", tt.json, err)
			}
			if fe.Field != tt.field {
				t.Fatalf("ParseSpec(%s): field %q, want %q (%v)", tt.json, fe.Field, tt.field, err)
			}
		})
	}
}

// TestSpecRoundTrip: every preset encodes to JSON that parses back to itself,
// and the encoding's keys are the keys Set accepts.
func TestSpecRoundTrip(t *testing.T) {
	for _, p := range Presets() {
		b, err := json.Marshal(p.Spec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseSpec(b)
		if err != nil {
			t.Fatalf("%s: ParseSpec(%s): %v", p.Name, b, err)
		}
		if !reflect.DeepEqual(got, p.Spec) {
			t.Fatalf("%s: round trip\n got %+v\nwant %+v", p.Name, got, p.Spec)
		}
	}
	var m map[string]any
	b, _ := json.Marshal(Default())
	_ = json.Unmarshal(b, &m)
	var leaves []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if o, ok := v.(map[string]any); ok {
				walk(prefix+k+".", o)
				continue
			}
			if prefix+k != "preset" {
				leaves = append(leaves, prefix+k)
			}
		}
	}
	walk("", m)
	if len(leaves) != len(Keys()) {
		t.Fatalf("JSON has %d leaves, Set knows %d keys", len(leaves), len(Keys()))
	}
	for _, k := range leaves {
		if fieldByKey(k) == nil {
			t.Errorf("JSON key %s unknown to Set", k)
		}
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`"1m30s"`), &d); err != nil || d.D() != 90*time.Second {
		t.Fatalf("got %v %v", d, err)
	}
	if err := json.Unmarshal([]byte(`90`), &d); err == nil {
		t.Fatal("a number must not parse as a duration")
	}
	if b, _ := json.Marshal(Duration(1500 * time.Millisecond)); string(b) != `"1.5s"` {
		t.Fatalf("got %s", b)
	}
}

// FuzzSet: Set never panics, and a valid spec stays valid or the call fails
// with a *FieldError and leaves the spec unchanged.
func FuzzSet(f *testing.F) {
	for _, k := range Keys() {
		f.Add(k, "1")
		f.Add(k, "1s")
		f.Add(k, "true")
	}
	f.Add("rate", "1e308")
	f.Add("duration", "9223372036854775807ns")
	f.Add("server.framing", "chunked")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, key, value string) {
		for _, base := range []string{"", PresetIdleTimeoutRace, PresetH2CMultiplex} {
			s := Default()
			if base != "" {
				s, _ = Preset(base)
			}
			before := s
			err := Set(&s, key, value)
			if err != nil {
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Fatalf("Set(%q, %q): %T %v, want *FieldError", key, value, err, err)
				}
				if !reflect.DeepEqual(s, before) {
					t.Fatalf("Set(%q, %q) failed but changed the spec", key, value)
				}
				continue
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("Set(%q, %q) left an invalid spec: %v", key, value, err)
			}
		}
	})
}

// FuzzParseSpec: ParseSpec never panics and returns a valid spec or a
// *FieldError.
func FuzzParseSpec(f *testing.F) {
	f.Add(`{}`)
	f.Add(`{"preset":"pool-churn","requests":100}`)
	f.Add(`{"server":{"idleTimeout":"1s"},"client":{"tcpKeepAlive":{"idle":"2s"}}}`)
	f.Add(`{"rate":10,"interval":"1s"}`)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSpec([]byte(in))
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseSpec(%q): %T %v", in, err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("ParseSpec(%q) returned an invalid spec: %v", in, err)
		}
	})
}
