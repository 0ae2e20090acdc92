package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// field is one settable leaf of a Spec: its key, how to reach it and its
// limits. Exactly one of the accessors is set.
type field struct {
	key  string
	i    func(*Spec) *int
	imin int
	imax int
	d    func(*Spec) *Duration
	dmax time.Duration
	b    func(*Spec) *bool
	f    func(*Spec) *float64
	fmax float64
	s    func(*Spec) *string
	enum []string
	unit string // shown after a numeric input ("" for none)
}

// fields lists every leaf of a Spec but "preset", in JSON order.
var fields = []field{
	{key: "requests", i: func(s *Spec) *int { return &s.Requests }, imax: MaxRequests},
	{key: "duration", d: func(s *Spec) *Duration { return &s.Duration }, dmax: MaxDuration},
	{key: "interval", d: func(s *Spec) *Duration { return &s.Interval }, dmax: MaxTimeout},
	{key: "rate", f: func(s *Spec) *float64 { return &s.Rate }, fmax: MaxRate, unit: "/s"},
	{key: "concurrency", i: func(s *Spec) *int { return &s.Concurrency }, imin: 1, imax: MaxConcurrency},
	{key: "method", s: func(s *Spec) *string { return &s.Method }, enum: methods},
	{key: "bodyBytes", i: func(s *Spec) *int { return &s.BodyBytes }, imax: MaxBodyBytes, unit: "B"},
	{key: "observe", d: func(s *Spec) *Duration { return &s.Observe }, dmax: MaxObserve},

	{key: "server.keepAlives", b: func(s *Spec) *bool { return &s.Server.KeepAlives }},
	{key: "server.idleTimeout", d: func(s *Spec) *Duration { return &s.Server.IdleTimeout }, dmax: MaxTimeout},
	{key: "server.readTimeout", d: func(s *Spec) *Duration { return &s.Server.ReadTimeout }, dmax: MaxTimeout},
	{key: "server.readHeaderTimeout", d: func(s *Spec) *Duration { return &s.Server.ReadHeaderTimeout }, dmax: MaxTimeout},
	{key: "server.delay", d: func(s *Spec) *Duration { return &s.Server.Delay }, dmax: MaxDelay},
	{key: "server.framing", s: func(s *Spec) *string { return &s.Server.Framing }, enum: framings},
	{key: "server.protocol", s: func(s *Spec) *string { return &s.Server.Protocol }, enum: serverProtocols},
	{key: "server.restartAfter", i: func(s *Spec) *int { return &s.Server.RestartAfter }, imax: MaxRequests},

	{key: "client.disableKeepAlives", b: func(s *Spec) *bool { return &s.Client.DisableKeepAlives }},
	{key: "client.body", s: func(s *Spec) *string { return &s.Client.Body }, enum: bodyModes},
	{key: "client.maxIdleConnsPerHost", i: func(s *Spec) *int { return &s.Client.MaxIdleConnsPerHost }, imax: MaxPool},
	{key: "client.maxConnsPerHost", i: func(s *Spec) *int { return &s.Client.MaxConnsPerHost }, imax: MaxPool},
	{key: "client.idleConnTimeout", d: func(s *Spec) *Duration { return &s.Client.IdleConnTimeout }, dmax: MaxTimeout},
	{key: "client.protocol", s: func(s *Spec) *string { return &s.Client.Protocol }, enum: clientProtocols},
	{key: "client.tcpKeepAlive.enable", b: func(s *Spec) *bool { return &s.Client.TCPKeepAlive.Enable }},
	{key: "client.tcpKeepAlive.idle", d: func(s *Spec) *Duration { return &s.Client.TCPKeepAlive.Idle }, dmax: MaxKeepAlive},
	{key: "client.tcpKeepAlive.interval", d: func(s *Spec) *Duration { return &s.Client.TCPKeepAlive.Interval }, dmax: MaxKeepAlive},
	{key: "client.tcpKeepAlive.count", i: func(s *Spec) *int { return &s.Client.TCPKeepAlive.Count }, imax: MaxKeepAliveCount},
}

// objects are the keys that hold nested fields.
var objects = []string{"server", "client", "client.tcpKeepAlive"}

// Keys lists every key Set accepts, in spec order.
func Keys() []string {
	ks := make([]string, len(fields))
	for i := range fields {
		ks[i] = fields[i].key
	}
	return ks
}

func fieldByKey(key string) *field {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

// check validates the field's current value in s.
func (f *field) check(s *Spec) error {
	switch {
	case f.i != nil:
		return f.checkInt(*f.i(s))
	case f.d != nil:
		return f.checkDur(f.d(s).D())
	case f.f != nil:
		return f.checkFloat(*f.f(s))
	case f.s != nil:
		return f.checkEnum(*f.s(s))
	}
	return nil
}

func (f *field) checkInt(v int) error {
	if v < f.imin || v > f.imax {
		return f.errorf("must be between %d and %d, got %d", f.imin, f.imax, v)
	}
	return nil
}

func (f *field) checkDur(v time.Duration) error {
	if v < 0 {
		return f.errorf("must not be negative, got %s", v)
	}
	if v > f.dmax {
		return f.errorf("must be at most %s, got %s", f.dmax, v)
	}
	return nil
}

func (f *field) checkFloat(v float64) error {
	if math.IsNaN(v) || v < 0 || v > f.fmax {
		return f.errorf("must be between 0 and %g, got %g", f.fmax, v)
	}
	return nil
}

func (f *field) checkEnum(v string) error {
	if !slices.Contains(f.enum, v) {
		return f.errorf("must be one of %s, got %q", strings.Join(f.enum, ", "), v)
	}
	return nil
}

func (f *field) errorf(format string, args ...any) *FieldError {
	return &FieldError{Field: f.key, Message: fmt.Sprintf(format, args...)}
}

// set parses value into the field of s, after checking it.
func (f *field) set(s *Spec, value string) error {
	value = strings.TrimSpace(value)
	switch {
	case f.i != nil:
		v, err := strconv.Atoi(value)
		if err != nil {
			return f.errorf("want an integer, got %q", value)
		}
		if err := f.checkInt(v); err != nil {
			return err
		}
		*f.i(s) = v
	case f.d != nil:
		v, err := time.ParseDuration(value)
		if err != nil {
			return f.errorf("want a Go duration like \"1s\" or \"250ms\", got %q", value)
		}
		if err := f.checkDur(v); err != nil {
			return err
		}
		*f.d(s) = Duration(v)
	case f.b != nil:
		v, err := strconv.ParseBool(value)
		if err != nil {
			return f.errorf("want true or false, got %q", value)
		}
		*f.b(s) = v
	case f.f != nil:
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return f.errorf("want a number, got %q", value)
		}
		if err := f.checkFloat(v); err != nil {
			return err
		}
		*f.f(s) = v
	case f.s != nil:
		if err := f.checkEnum(value); err != nil {
			return err
		}
		*f.s(s) = value
	}
	return nil
}

// Set applies one `-set key=value` to spec: key is a JSON field name,
// dotted for nested fields ("server.idleTimeout"), spelled as in JSON.
// On error (a *FieldError) spec is unchanged. Setting a positive rate
// clears interval and a positive interval clears rate (the last one wins).
// A valid spec stays valid.
func Set(spec *Spec, key, value string) error {
	if key == "preset" {
		return &FieldError{Field: key, Message: "choose the preset by name, not with -set"}
	}
	f := fieldByKey(key)
	if f == nil {
		return unknownField(key)
	}
	s := *spec
	if err := f.set(&s, value); err != nil {
		return err
	}
	switch {
	case key == "rate" && s.Rate > 0:
		s.Interval = 0
	case key == "interval" && s.Interval > 0:
		s.Rate = 0
	}
	*spec = s
	return nil
}

// SetPair applies "key=value" (the form of a -set flag).
func SetPair(spec *Spec, kv string) error {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return &FieldError{Field: strings.TrimSpace(kv), Message: "want key=value"}
	}
	return Set(spec, strings.TrimSpace(k), v)
}

func unknownField(key string) *FieldError {
	msg := "unknown field"
	for j := range fields {
		if strings.EqualFold(fields[j].key, key) {
			msg += fmt.Sprintf(" (did you mean %q?)", fields[j].key)
			break
		}
	}
	return &FieldError{Field: key, Message: msg}
}

// ParseSpec reads a spec from JSON. When it names a "preset", that preset
// is the base and the other fields override it; otherwise Default is.
// Absent fields keep the base's value; null means the same. Unknown fields,
// wrong types, values out of limits, and both rate and interval positive
// are errors (*FieldError naming the field).
func ParseSpec(data []byte) (Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return Spec{}, &FieldError{Message: "want a JSON object: " + err.Error()}
	}
	if dec.More() {
		return Spec{}, &FieldError{Message: "trailing data after the JSON object"}
	}
	if m == nil {
		return Spec{}, &FieldError{Message: "want a JSON object, got null"}
	}
	spec := Default()
	if p, ok := m["preset"]; ok && p != nil {
		name, ok := p.(string)
		if !ok {
			return Spec{}, &FieldError{Field: "preset", Message: "want a preset name"}
		}
		if name != "" {
			ps, err := Preset(name)
			if err != nil {
				return Spec{}, err
			}
			spec = ps
		}
	}
	delete(m, "preset")
	explicit := map[string]bool{} // key -> set to a positive value (rate, interval)
	if err := setObject(&spec, "", m, explicit); err != nil {
		return Spec{}, err
	}
	if explicit["rate"] && explicit["interval"] {
		return Spec{}, &FieldError{Field: "rate", Message: "set either rate or interval, not both"}
	}
	if err := spec.Validate(); err != nil {
		return Spec{}, err
	}
	return spec, nil
}

// setObject applies the members of one JSON object, in key order, so the
// outcome never depends on map order.
func setObject(spec *Spec, prefix string, m map[string]any, explicit map[string]bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		key := prefix + k
		v := m[k]
		if slices.Contains(objects, key) {
			switch o := v.(type) {
			case nil:
				continue
			case map[string]any:
				if err := setObject(spec, key+".", o, explicit); err != nil {
					return err
				}
				continue
			}
			return &FieldError{Field: key, Message: "want an object"}
		}
		if fieldByKey(key) == nil {
			return unknownField(key)
		}
		var s string
		switch x := v.(type) {
		case nil:
			continue
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = strconv.FormatBool(x)
		default:
			return &FieldError{Field: key, Message: "want a value, not an object or array"}
		}
		if err := Set(spec, key, s); err != nil {
			return err
		}
		explicit[key] = (key == "rate" && spec.Rate > 0) || (key == "interval" && spec.Interval > 0)
	}
	return nil
}

// text is the field's value as -set takes it.
func (f *field) text(s *Spec) string {
	switch {
	case f.i != nil:
		return strconv.Itoa(*f.i(s))
	case f.d != nil:
		return f.d(s).String()
	case f.b != nil:
		return strconv.FormatBool(*f.b(s))
	case f.f != nil:
		return strconv.FormatFloat(*f.f(s), 'g', -1, 64)
	case f.s != nil:
		return *f.s(s)
	}
	return ""
}

// Diff lists "key=value" for every field of s that differs from base, in
// spec order, as -set would write them.
func Diff(s, base *Spec) []string {
	var out []string
	for i := range fields {
		if a, b := fields[i].text(s), fields[i].text(base); a != b {
			out = append(out, fields[i].key+"="+a)
		}
	}
	return out
}
