package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestString(t *testing.T) {
	if got := String("short", 10); got != "short" {
		t.Errorf("String(short) = %q", got)
	}
	long := strings.Repeat("é", 300) // 600 bytes, 2 per rune
	got := String(long, 201)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "… (600 bytes)") || len(got) > 201+len("… (600 bytes)") {
		t.Errorf("String(600 bytes of é, 201) = %q: want a valid prefix of at most 201 bytes and the length", got)
	}
	if got := String("abc", 0); got != "… (3 bytes)" {
		t.Errorf("String(abc, 0) = %q", got)
	}
}

func TestQuotes(t *testing.T) {
	huge := strings.Repeat("A", 60<<10)
	msg := `want a Go duration like "1s" or "250ms", got "` + huge + `" (field "observe")`
	got := Quotes(msg, 200)
	if len(got) > 400 {
		t.Fatalf("Quotes left %d bytes", len(got))
	}
	for _, keep := range []string{`"1s"`, `"250ms"`, `(field "observe")`, `"AAAA`, `(61440 bytes)"`} {
		if !strings.Contains(got, keep) {
			t.Errorf("Quotes(...) = %q, lacks %s", got, keep)
		}
	}
	escaped := `got "` + strings.Repeat(`\"x`, 200) + `"`
	if got := Quotes(escaped, 50); len(got) > 120 || !strings.HasPrefix(got, `got "\"x`) {
		t.Errorf("Quotes with escapes = %q", got)
	}
}
