package awsjson

import (
	"net/http"
	"strconv"

	"github.com/poolgate/poolgate/internal/bound"
)

// wireError is the error body every client reads (spec §1.4).
type wireError struct {
	Type       Type   `json:"__type"`
	Message    string `json:"message"`
	ReasonCode string `json:"reasonCode,omitempty"`
}

// Envelope is an error as every host sends it: the status, the headers that carry it and the
// JSON body. Hosts add their own x-amzn-RequestId, Date and CORS headers. The Worker's JS
// glue builds the same envelope for the errors it answers itself, with the same rules
// (edge/envelope.mjs); testdata/envelope.json holds the vectors both sides run.
type Envelope struct {
	Status int
	// Header holds Content-Type, X-Amzn-Errortype ("<type>:") and X-Amzn-Errormessage (the
	// message as a header value: bound.Header).
	Header [3][2]string
	Body   []byte // {"__type","message"[,"reasonCode"]}
}

// EnvelopeOf returns the envelope of e: status e.Status (400 unless it is 400..599), and the
// message clipped to bound.MessageBytes in both the body and the header, so that no input a
// message echoes can make a host send a huge header.
func EnvelopeOf(e *Error) Envelope {
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusBadRequest
	}
	msg := bound.String(e.Message, bound.MessageBytes)
	body, err := encode(wireError{Type: e.Type, Message: msg, ReasonCode: bound.String(e.ReasonCode, bound.MessageBytes)})
	if err != nil { // unreachable for three strings; keep the wire shape anyway
		body = []byte(`{"__type":"InternalErrorException","message":"An internal error occurred."}`)
	}
	return Envelope{
		Status: status,
		Header: [3][2]string{
			{"Content-Type", ContentType},
			{"X-Amzn-Errortype", bound.Header(string(e.Type), bound.MessageBytes) + ":"},
			{"X-Amzn-Errormessage", bound.Header(msg, bound.MessageBytes)},
		},
		Body: body,
	}
}

// WriteError writes e's envelope (EnvelopeOf) with its Content-Length; a Content-Type the
// caller set is kept. Request ID, Date and CORS headers are the caller's (ServeHTTP sets
// them). Every host writes Cognito errors with it.
func WriteError(w http.ResponseWriter, e *Error) { writeError(w, e) }

func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*Error)
	if !ok {
		e = Internal("An internal error occurred.")
	}
	env := EnvelopeOf(e)
	h := w.Header()
	for _, kv := range env.Header {
		if kv[0] == "Content-Type" && h.Get("Content-Type") != "" {
			continue
		}
		h.Set(kv[0], kv[1])
	}
	h.Set("Content-Length", strconv.Itoa(len(env.Body)))
	w.WriteHeader(env.Status)
	w.Write(env.Body)
}

// quoteHeader bounds request text echoed into a message.
func quoteHeader(s string) string {
	const max = 128
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
