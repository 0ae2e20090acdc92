package experiment

import (
	"slices"
	"time"

	"github.com/connlab/connlab/internal/wire"
)

// Schema describes every field Set and ParseSpec accept, in spec order,
// with its kind, Default's value, its limits, enumeration and unit: the one
// source the UI builds its form and checks from (GET /api/schema).
func Schema() wire.SpecSchema {
	d := Default()
	out := wire.SpecSchema{Fields: make([]wire.SpecField, len(fields))}
	for i := range fields {
		f := &fields[i]
		sf := wire.SpecField{Key: f.key, Unit: f.unit}
		switch {
		case f.i != nil:
			sf.Kind, sf.Default, sf.Min, sf.Max = wire.KindInt, *f.i(&d), f.imin, f.imax
		case f.d != nil:
			sf.Kind, sf.Default, sf.Min, sf.Max = wire.KindDuration, *f.d(&d), Duration(0), Duration(f.dmax)
		case f.b != nil:
			sf.Kind, sf.Default = wire.KindBool, *f.b(&d)
		case f.f != nil:
			sf.Kind, sf.Default, sf.Min, sf.Max = wire.KindFloat, *f.f(&d), 0.0, f.fmax
		case f.s != nil:
			sf.Kind, sf.Default, sf.Enum = wire.KindEnum, *f.s(&d), slices.Clone(f.enum)
		}
		out.Fields[i] = sf
	}
	return out
}

// durationOf is a schema value as a time.Duration (tests read it back).
func durationOf(v any) (time.Duration, bool) {
	d, ok := v.(Duration)
	return d.D(), ok
}
