// Package clip shortens client input before an error message repeats it, so
// a 60 KB value is answered with a few hundred bytes that still show where
// it went wrong. It does no I/O.
package clip

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// String cuts s to at most n bytes on a rune boundary and, when it cut,
// says how long s was: "abc… (60000 bytes)".
func String(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:cut], len(s))
}

// Quote is strconv.Quote of s cut to n bytes.
func Quote(s string, n int) string { return strconv.Quote(String(s, n)) }

// quoted matches a Go-quoted string, as %q writes it.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// Quotes shortens every Go-quoted string in msg to n bytes of content: for
// messages of other packages that quote the value they refuse.
func Quotes(msg string, n int) string {
	return quoted.ReplaceAllStringFunc(msg, func(q string) string {
		if len(q) <= n+2 {
			return q
		}
		if u, err := strconv.Unquote(q); err == nil {
			return Quote(u, n)
		}
		return String(q, n)
	})
}
