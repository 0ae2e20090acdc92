package experiment

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/connlab/connlab/internal/wire"
)

// TestSchema: the schema lists every key Set accepts, in order; its limits
// are the ones Set enforces (the value at a bound is accepted, one step
// past it refused) and its defaults are Default's.
func TestSchema(t *testing.T) {
	sc := Schema()
	keys := Keys()
	if len(sc.Fields) != len(keys) {
		t.Fatalf("schema has %d fields, Set accepts %d keys", len(sc.Fields), len(keys))
	}
	def, err := json.Marshal(Default())
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range sc.Fields {
		if f.Key != keys[i] {
			t.Fatalf("field %d is %q, want %q", i, f.Key, keys[i])
		}
		// The default, set on Default, changes nothing.
		b, _ := json.Marshal(f.Default)
		v := string(b)
		if f.Kind == wire.KindDuration || f.Kind == wire.KindEnum {
			_ = json.Unmarshal(b, &v) // the string inside the quotes
		}
		s := Default()
		if err := Set(&s, f.Key, v); err != nil {
			t.Errorf("%s: default %s refused: %v", f.Key, b, err)
		}
		if got, _ := json.Marshal(s); string(got) != string(def) {
			t.Errorf("%s: setting the schema default %s changed Default", f.Key, b)
		}
		switch f.Kind {
		case wire.KindInt:
			lo, hi := f.Min.(int), f.Max.(int)
			for v, ok := range map[int]bool{lo: true, hi: true, lo - 1: false, hi + 1: false} {
				s := Default()
				if err := Set(&s, f.Key, strconv.Itoa(v)); (err == nil) != ok {
					t.Errorf("%s=%d: err %v, want accepted=%v", f.Key, v, err, ok)
				}
			}
		case wire.KindFloat:
			hi := f.Max.(float64)
			for v, ok := range map[float64]bool{0: true, hi: true, -0.5: false, hi + 1: false} {
				s := Default()
				if err := Set(&s, f.Key, strconv.FormatFloat(v, 'g', -1, 64)); (err == nil) != ok {
					t.Errorf("%s=%g: err %v, want accepted=%v", f.Key, v, err, ok)
				}
			}
		case wire.KindDuration:
			hi, ok1 := durationOf(f.Max)
			lo, ok2 := durationOf(f.Min)
			if !ok1 || !ok2 || lo != 0 {
				t.Fatalf("%s: duration bounds %v %v", f.Key, f.Min, f.Max)
			}
			for v, ok := range map[string]bool{hi.String(): true, (hi + 1).String(): false, "-1ns": false} {
				s := Default()
				if err := Set(&s, f.Key, v); (err == nil) != ok {
					t.Errorf("%s=%s: err %v, want accepted=%v", f.Key, v, err, ok)
				}
			}
		case wire.KindEnum:
			for _, v := range f.Enum {
				s := Default()
				if err := Set(&s, f.Key, v); err != nil {
					t.Errorf("%s=%s refused: %v", f.Key, v, err)
				}
			}
			s := Default()
			if err := Set(&s, f.Key, "not-a-value"); err == nil {
				t.Errorf("%s accepts a value out of its enum", f.Key)
			}
		case wire.KindBool:
			if f.Min != nil || f.Max != nil || f.Enum != nil {
				t.Errorf("%s: a bool with limits", f.Key)
			}
		default:
			t.Errorf("%s: kind %q", f.Key, f.Kind)
		}
	}
}
