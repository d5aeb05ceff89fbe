package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/bound"
)

var update = flag.Bool("update", false, "rewrite the wanted outputs of testdata/envelope.json from this implementation")

// envelopeVectors is testdata/envelope.json: the error envelope and the text bounds every
// host applies, shared with the Worker's JS glue (edge/envelope.mjs, run by
// tests/node/glue_test.go), so that the two implementations cannot drift.
type envelopeVectors struct {
	Comment         string           `json:"comment"`
	MaxMessageBytes int              `json:"maxMessageBytes"`
	MaxLogBytes     int              `json:"maxLogBytes"`
	Ellipsis        string           `json:"ellipsis"`
	Envelopes       []envelopeVector `json:"envelopes"`
	Clips           []clipVector     `json:"clips"`
}

type envelopeVector struct {
	Name string `json:"name"`
	In   struct {
		Status     int        `json:"status"`
		Type       string     `json:"type"`
		Message    vectorText `json:"message"`
		ReasonCode string     `json:"reasonCode,omitempty"`
	} `json:"in"`
	Want struct {
		Status       int               `json:"status"`
		ContentType  string            `json:"contentType"`
		ErrorType    string            `json:"errorType"`
		ErrorMessage string            `json:"errorMessage"`
		Body         map[string]string `json:"body"`
	} `json:"want"`
}

type clipVector struct {
	Name       string     `json:"name"`
	In         vectorText `json:"in"`
	Max        int        `json:"max"`
	WantString string     `json:"string"`
	WantHeader string     `json:"header"`
}

// vectorText is a text in the vectors: a JSON string, or a list of parts, each a string or
// {"repeat": s, "times": n}, joined (long inputs without a long file).
type vectorText struct {
	s   string
	raw json.RawMessage
}

func (v *vectorText) UnmarshalJSON(b []byte) error {
	v.raw = append(json.RawMessage(nil), b...) // as written: "\ud800" stays a lone surrogate
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &v.s)
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return err
	}
	var sb strings.Builder
	for _, p := range parts {
		var s string
		if json.Unmarshal(p, &s) == nil {
			sb.WriteString(s)
			continue
		}
		var r struct {
			Repeat string `json:"repeat"`
			Times  int    `json:"times"`
		}
		if err := json.Unmarshal(p, &r); err != nil || r.Times <= 0 {
			return errors.New("vector text part: want a string or {repeat, times}")
		}
		sb.WriteString(strings.Repeat(r.Repeat, r.Times))
	}
	v.s = sb.String()
	return nil
}

func (v vectorText) MarshalJSON() ([]byte, error) { return v.raw, nil }

const envelopeFile = "testdata/envelope.json"

func readEnvelopeVectors(t *testing.T) *envelopeVectors {
	t.Helper()
	b, err := os.ReadFile(envelopeFile)
	if err != nil {
		t.Fatal(err)
	}
	var v envelopeVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", envelopeFile, err)
	}
	if len(v.Envelopes) == 0 || len(v.Clips) == 0 {
		t.Fatalf("%s holds no vectors", envelopeFile)
	}
	return &v
}

// TestEnvelopeVectors: EnvelopeOf and WriteError, bound.String and bound.Header give what
// testdata/envelope.json says (the JS glue runs the same file). With -update the file's
// wanted outputs are rewritten from this implementation.
func TestEnvelopeVectors(t *testing.T) {
	v := readEnvelopeVectors(t)
	if v.MaxMessageBytes != bound.MessageBytes || v.MaxLogBytes != bound.LogBytes || v.Ellipsis != bound.Ellipsis {
		if !*update {
			t.Errorf("limits: file %d/%d/%q, code %d/%d/%q", v.MaxMessageBytes, v.MaxLogBytes, v.Ellipsis, bound.MessageBytes, bound.LogBytes, bound.Ellipsis)
		}
		v.MaxMessageBytes, v.MaxLogBytes, v.Ellipsis = bound.MessageBytes, bound.LogBytes, bound.Ellipsis
	}
	for i := range v.Envelopes {
		c := &v.Envelopes[i]
		e := &Error{Type: Type(c.In.Type), Message: c.In.Message.s, Status: c.In.Status, ReasonCode: c.In.ReasonCode}
		env := EnvelopeOf(e)
		var body map[string]string
		if err := json.Unmarshal(env.Body, &body); err != nil {
			t.Fatalf("%s: body %s: %v", c.Name, env.Body, err)
		}
		w := httptest.NewRecorder()
		WriteError(w, e)
		if w.Code != env.Status || w.Body.String() != string(env.Body) {
			t.Errorf("%s: WriteError wrote %d %s, EnvelopeOf %d %s", c.Name, w.Code, w.Body, env.Status, env.Body)
		}
		got := c.Want
		got.Status, got.Body = env.Status, body
		got.ContentType, got.ErrorType, got.ErrorMessage = w.Header().Get("Content-Type"), w.Header().Get("X-Amzn-ErrorType"), w.Header().Get("X-Amzn-ErrorMessage")
		for _, kv := range env.Header {
			if w.Header().Get(kv[0]) != kv[1] {
				t.Errorf("%s: WriteError's %s is %q, EnvelopeOf's %q", c.Name, kv[0], w.Header().Get(kv[0]), kv[1])
			}
		}
		if len(got.ErrorMessage) > bound.MessageBytes || len(body["message"]) > bound.MessageBytes {
			t.Errorf("%s: message of %d bytes (header %d)", c.Name, len(body["message"]), len(got.ErrorMessage))
		}
		if *update {
			c.Want = got
		} else if !reflect.DeepEqual(got, c.Want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.Name, got, c.Want)
		}
	}
	for i := range v.Clips {
		c := &v.Clips[i]
		s, h := bound.String(c.In.s, c.Max), bound.Header(c.In.s, c.Max)
		if *update {
			c.WantString, c.WantHeader = s, h
		} else if s != c.WantString || h != c.WantHeader {
			t.Errorf("%s: String %q, Header %q; want %q, %q", c.Name, s, h, c.WantString, c.WantHeader)
		}
	}
	if *update {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(envelopeFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestErrorIs: errors.Is matches an *Error, wrapped or not, by its type only.
func TestErrorIs(t *testing.T) {
	err := error(ResourceNotFound("User pool %s does not exist.", "p"))
	wrapped := errors.Join(errors.New("context"), err)
	for _, e := range []error{err, wrapped} {
		if !errors.Is(e, ErrResourceNotFound) || errors.Is(e, ErrUserNotFound) || errors.Is(e, ErrNotAuthorized) {
			t.Errorf("errors.Is(%v) by type is wrong", e)
		}
		if !errors.Is(e, ResourceNotFound("another message")) || errors.Is(e, UserNotFound()) {
			t.Errorf("errors.Is(%v) against an *Error compares the types", e)
		}
	}
	if errors.Is(errors.New("ResourceNotFoundException"), ErrResourceNotFound) {
		t.Error("a plain error with the type's text matched")
	}
	var nilErr *Error
	if err.(*Error).Is(nilErr) {
		t.Error("a nil *Error matched")
	}
	if ConcurrentModification("x").Status != http.StatusBadRequest || New(ErrInternal, "x").Status != http.StatusInternalServerError ||
		New(ErrConcurrentModification, "x").Type != "ConcurrentModificationException" {
		t.Error("statuses or names of the constructors are wrong")
	}
}
