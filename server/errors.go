package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/connlab/connlab/internal/wire"
)

// writeError is the one place HTTP errors are written:
// {"error":{"code","message","field"}}.
func writeError(w http.ResponseWriter, status int, code, message, field string) {
	writeJSON(w, status, wire.ErrorBody{Error: wire.Error{Code: code, Message: message, Field: field}})
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

func quote(s string) string { return strconv.Quote(s) }
