// Package policy owns the IAM-style policy subset that identity-pool roles carry: parsing a
// policy document and deciding whether it allows an action on a resource.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxSize bounds a policy document in bytes (AWS allows 10,240 characters for an inline role
// policy; poolgate is more generous so that large policies can be measured).
const MaxSize = 128 << 10

// Versions a document may declare. Policy variables are substituted only under Version2012;
// under Version2008 (also the default when Version is absent, as in IAM) "${...}" is literal.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's Effect.
type Effect string

// The two effects a statement may have.
const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Decision is the outcome of evaluating a document against a request.
type Decision int

// The three outcomes, as IAM names them: an explicit Deny wins over any Allow; with neither,
// the request is implicitly denied.
const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return "ImplicitDeny"
	}
}

// Document is a parsed, compiled policy. It is immutable and safe for concurrent use.
type Document struct {
	Version    string
	ID         string
	Statements []Statement

	source []byte // the document as given, compacted
}

// Statement is one compiled statement.
type Statement struct {
	Sid    string
	Effect Effect

	// Exactly one of Action/NotAction and one of Resource/NotResource is set.
	Action, NotAction     []string
	Resource, NotResource []string
	Conditions            []Condition

	actions   []pattern // compiled Action or NotAction (case-insensitive)
	notAction bool
	resources []pattern // compiled Resource or NotResource
	notRes    bool
}

// JSON returns the document as it was given, compacted. Parse(d.JSON()) yields an equal document.
func (d *Document) JSON() []byte { return bytes.Clone(d.source) }

// MarshalJSON makes a Document embeddable in JSON output.
func (d *Document) MarshalJSON() ([]byte, error) { return d.JSON(), nil }

// Request is what a policy is evaluated against.
type Request struct {
	Action   string // e.g. "s3:GetObject"; matched case-insensitively
	Resource string // e.g. "arn:aws:s3:::bucket/key"; matched case-sensitively
	// Vars holds policy variables and single-valued condition keys, e.g.
	// "cognito-identity.amazonaws.com:sub" or "aws:SourceIp". Names match case-insensitively.
	Vars map[string]string
	// Sets holds multi-valued condition keys (e.g. "cognito-identity.amazonaws.com:amr"),
	// used by the ForAnyValue: and ForAllValues: qualifiers.
	Sets map[string][]string
}

// ErrInvalid is wrapped by every Parse error.
var ErrInvalid = errors.New("policy: invalid document")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// rawDocument and rawStatement mirror the JSON shape; members not listed are refused.
type rawDocument struct {
	Version   *string         `json:"Version"`
	ID        *string         `json:"Id"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          *string                               `json:"Sid"`
	Effect       *string                               `json:"Effect"`
	Principal    json.RawMessage                       `json:"Principal"`
	NotPrincipal json.RawMessage                       `json:"NotPrincipal"`
	Action       json.RawMessage                       `json:"Action"`
	NotAction    json.RawMessage                       `json:"NotAction"`
	Resource     json.RawMessage                       `json:"Resource"`
	NotResource  json.RawMessage                       `json:"NotResource"`
	Condition    map[string]map[string]json.RawMessage `json:"Condition"`
}

// Parse decodes and compiles a policy document. Errors wrap ErrInvalid and say what is wrong.
func Parse(b []byte) (*Document, error) {
	if len(b) > MaxSize {
		return nil, invalid("document is %d bytes, more than %d", len(b), MaxSize)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		return nil, invalid("not JSON: %v", err)
	}
	var raw rawDocument
	if err := strictDecode(compact.Bytes(), &raw); err != nil {
		return nil, invalid("%v", err)
	}
	d := &Document{Version: Version2008, source: compact.Bytes()}
	if raw.Version != nil {
		d.Version = *raw.Version
	}
	if d.Version != Version2012 && d.Version != Version2008 {
		return nil, invalid("Version must be %q or %q, not %q", Version2012, Version2008, clip(d.Version))
	}
	if raw.ID != nil {
		d.ID = *raw.ID
	}
	vars := d.Version == Version2012

	var stmts []json.RawMessage
	switch firstByte(raw.Statement) {
	case '[':
		if err := json.Unmarshal(raw.Statement, &stmts); err != nil {
			return nil, invalid("Statement: %v", err)
		}
	case '{':
		stmts = []json.RawMessage{raw.Statement}
	default:
		return nil, invalid("Statement must be an object or an array of objects")
	}
	if len(stmts) == 0 {
		return nil, invalid("Statement is empty")
	}
	sids := map[string]bool{}
	for i, rs := range stmts {
		st, err := parseStatement(rs, vars)
		if err != nil {
			return nil, invalid("Statement[%d]: %v", i, err)
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, invalid("Statement[%d]: duplicate Sid %q", i, clip(st.Sid))
			}
			sids[st.Sid] = true
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

func parseStatement(b json.RawMessage, vars bool) (Statement, error) {
	var st Statement
	if firstByte(b) != '{' {
		return st, errors.New("not an object")
	}
	var rs rawStatement
	if err := strictDecode(b, &rs); err != nil {
		return st, err
	}
	if rs.Sid != nil {
		st.Sid = *rs.Sid
	}
	if rs.Effect == nil {
		return st, errors.New("Effect is missing")
	}
	switch Effect(*rs.Effect) {
	case EffectAllow, EffectDeny:
		st.Effect = Effect(*rs.Effect)
	default:
		return st, fmt.Errorf("Effect must be Allow or Deny, not %q", clip(*rs.Effect))
	}
	if rs.Principal != nil || rs.NotPrincipal != nil {
		return st, errors.New("a role's policy has no Principal or NotPrincipal")
	}

	var err error
	st.Action, st.NotAction, err = exclusiveList("Action", rs.Action, rs.NotAction)
	if err != nil {
		return st, err
	}
	st.notAction = st.NotAction != nil
	for _, a := range pick(st.Action, st.NotAction) {
		if a != "*" && (!strings.Contains(a, ":") || strings.HasPrefix(a, ":")) {
			return st, fmt.Errorf("action %q is not \"*\" or <service>:<action>", clip(a))
		}
		p, err := compile(strings.ToLower(a), false)
		if err != nil {
			return st, fmt.Errorf("action %q: %v", clip(a), err)
		}
		st.actions = append(st.actions, p)
	}

	st.Resource, st.NotResource, err = exclusiveList("Resource", rs.Resource, rs.NotResource)
	if err != nil {
		return st, err
	}
	st.notRes = st.NotResource != nil
	for _, r := range pick(st.Resource, st.NotResource) {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return st, fmt.Errorf("resource %q is not \"*\" or an ARN", clip(r))
		}
		p, err := compile(r, vars)
		if err != nil {
			return st, fmt.Errorf("resource %q: %v", clip(r), err)
		}
		st.resources = append(st.resources, p)
	}

	st.Conditions, err = parseConditions(rs.Condition, vars)
	return st, err
}

// exclusiveList decodes exactly one of a positive and a negated list member.
func exclusiveList(name string, pos, neg json.RawMessage) (p, n []string, err error) {
	switch {
	case pos != nil && neg != nil:
		return nil, nil, fmt.Errorf("both %s and Not%s are given", name, name)
	case pos == nil && neg == nil:
		return nil, nil, fmt.Errorf("%s or Not%s is required", name, name)
	case pos != nil:
		p, err = stringList(pos)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", name, err)
		}
		return p, nil, nil
	default:
		n, err = stringList(neg)
		if err != nil {
			return nil, nil, fmt.Errorf("Not%s: %v", name, err)
		}
		return nil, n, nil
	}
}

// stringList decodes a string or a non-empty array of non-empty strings.
func stringList(b json.RawMessage) ([]string, error) {
	var out []string
	switch firstByte(b) {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, err
		}
		out = []string{s}
	case '[':
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, errors.New("must be a string or an array of strings")
		}
	default:
		return nil, errors.New("must be a string or an array of strings")
	}
	if len(out) == 0 {
		return nil, errors.New("is empty")
	}
	for _, s := range out {
		if s == "" {
			return nil, errors.New("holds an empty string")
		}
	}
	return out, nil
}

// valueList decodes a condition value: a string, number or boolean, or an array of them.
func valueList(b json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	if firstByte(b) == '[' {
		if err := json.Unmarshal(b, &items); err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, errors.New("empty value list")
		}
	} else {
		items = []json.RawMessage{b}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		switch c := firstByte(it); {
		case c == '"':
			var s string
			if err := json.Unmarshal(it, &s); err != nil {
				return nil, err
			}
			out = append(out, s)
		case string(it) == "true" || string(it) == "false":
			out = append(out, string(it))
		case c == '-' || ('0' <= c && c <= '9'):
			if _, err := strconv.ParseFloat(string(it), 64); err != nil {
				return nil, fmt.Errorf("bad number %s", clip(string(it)))
			}
			out = append(out, string(it))
		default:
			return nil, errors.New("values must be strings, numbers or booleans")
		}
	}
	return out, nil
}

func strictDecode(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func pick(a, b []string) []string {
	if a != nil {
		return a
	}
	return b
}

func clip(s string) string {
	const max = 96
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
