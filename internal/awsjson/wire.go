package awsjson

import (
	"net/http"
	"strconv"
	"strings"
)

// wireError is the error body every client reads (spec §1.4).
type wireError struct {
	Type       string `json:"__type"`
	Message    string `json:"message"`
	ReasonCode string `json:"reasonCode,omitempty"`
}

// WriteError writes e as the protocol does: status from e.Status (400 when unset),
// {"__type","message"[,"reasonCode"]} and the x-amzn-ErrorType / x-amzn-ErrorMessage headers.
// Content-Type, request ID and Date are the caller's (ServeHTTP sets them).
func WriteError(w http.ResponseWriter, e *Error) { writeError(w, e) }

func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = Internal("An internal error occurred.")
	}
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusBadRequest
	}
	body, encErr := encode(wireError{Type: e.Type, Message: e.Message, ReasonCode: e.ReasonCode})
	if encErr != nil { // unreachable for three strings; keep the wire shape anyway
		body = []byte(`{"__type":"InternalErrorException","message":"An internal error occurred."}`)
	}
	h := w.Header()
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", ContentType)
	}
	h.Set("X-Amzn-Errortype", headerSafe(e.Type)+":")
	h.Set("X-Amzn-Errormessage", headerSafe(e.Message))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// headerSafe replaces control characters, which cannot appear in a header value.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// quoteHeader bounds request text echoed into a message.
func quoteHeader(s string) string {
	const max = 128
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
