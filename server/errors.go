package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/connlab/connlab/internal/clip"
	"github.com/connlab/connlab/internal/wire"
)

// Limits of what an error message repeats of its input.
const (
	maxQuoted  = 200  // bytes of client input one quote in a message keeps
	maxMessage = 1024 // bytes of a whole message or field name (a backstop)
)

// writeError is the one place HTTP errors are written:
// {"error":{"code","message","field"}}.
func writeError(w http.ResponseWriter, status int, code, message, field string) {
	writeJSON(w, status, wire.ErrorBody{Error: wire.Error{Code: code, Message: clipIn(message, maxMessage), Field: clipIn(field, maxMessage)}})
}

// writeJSON writes v with status. Encoding errors can only come from the
// connection; they are ignored because the status is already sent.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// fieldError is an input error that names the field at fault.
type fieldError struct {
	status  int
	code    string
	message string
	field   string
}

func (e *fieldError) Error() string { return e.field + ": " + e.message }

func badField(field, code, message string) *fieldError {
	return &fieldError{status: http.StatusBadRequest, code: code, message: message, field: field}
}

// writeErr maps an error to a JSON error response.
func writeErr(w http.ResponseWriter, err error) {
	var fe *fieldError
	if errors.As(err, &fe) {
		writeError(w, fe.status, fe.code, fe.message, fe.field)
		return
	}
	writeError(w, http.StatusInternalServerError, "internal", err.Error(), "")
}

// quote is s (client input) Go-quoted, cut to maxQuoted bytes.
func quote(s string) string { return clip.Quote(s, maxQuoted) }

// clipIn cuts client input repeated in a message to n bytes.
func clipIn(s string, n int) string { return clip.String(s, n) }

// clipQuotes shortens every quoted string in a message of another package
// (the Lab's field errors quote the value they refuse) to maxQuoted bytes.
func clipQuotes(msg string) string { return clip.Quotes(msg, maxQuoted) }
