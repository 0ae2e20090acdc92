package wire

// The spec schema: GET /api/schema. The Go side is the one source of the
// spec's keys, kinds, defaults, limits, enumerations and units; the UI
// builds its form and its checks from it and adds only labels, help and
// grouping (web/src/lib/lab/fields.ts).

// Kinds of spec field.
const (
	KindInt      = "int"
	KindFloat    = "float"
	KindDuration = "duration"
	KindBool     = "bool"
	KindEnum     = "enum"
)

// SpecSchema is every settable field of an experiment spec (experiment.Spec),
// in spec order.
type SpecSchema struct {
	Fields []SpecField `json:"fields"`
}

// SpecField is one settable field of a spec. Values (Default, Min, Max) are
// spelled as the spec JSON spells them: numbers for int and float, Go
// duration strings ("1m30s") for durations, booleans, strings for enums.
type SpecField struct {
	// Key is the JSON and `-set` key, dotted for nested fields
	// ("server.idleTimeout").
	Key string `json:"key"`
	// Kind is KindInt, KindFloat, KindDuration, KindBool or KindEnum.
	Kind string `json:"kind"`
	// Default is the value in experiment.Default(), the base of every preset.
	Default any `json:"default"`
	// Min and Max bound int, float and duration fields (inclusive); absent
	// for bool and enum fields.
	Min any `json:"min,omitempty"`
	Max any `json:"max,omitempty"`
	// Enum lists the values an enum field accepts.
	Enum []string `json:"enum,omitempty"`
	// Unit follows a numeric value ("B", "/s"); "" when it has none.
	Unit string `json:"unit,omitempty"`
}
