package userpool

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/poolgate/poolgate/internal/jsonread"
	"github.com/poolgate/poolgate/internal/jsonwrite"
)

// decodeStoredUser decodes a user record into su (zero) as json.Unmarshal does. The form poolgate
// writes (each member once, spelled as its tag, of its own type) is read without reflection
// (internal/jsonread), for the guests, where reflection costs 10–15× more than natively and
// most requests read a user; anything else (a member it does not know or spelled in another
// case, null, a member twice, a value of another type) is left to encoding/json, which also
// gives the errors. FuzzDecodeStoredUser holds the two readings together.
func decodeStoredUser(b []byte, su *storedUser) error {
	if readStoredUser(b, su) {
		return nil
	}
	*su = storedUser{}
	return json.Unmarshal(b, su)
}

// readStoredUser is decodeStoredUser's hand-written path: false when the record is not in the
// form it reads (su is then partly written).
func readStoredUser(b []byte, su *storedUser) bool {
	r := jsonread.New(b)
	return readObject(r, func(name string) bool { return readUserMember(r, name, su) }) && r.End()
}

func readUserMember(r *jsonread.Reader, name string, su *storedUser) bool {
	u := &su.User
	if r.Peek() == 'n' {
		// null leaves a list or map nil (as su has it: each member is read once).
		switch name {
		case "groups", "mfaEnabled", "attributes", "sealed":
			return r.Null()
		}
		return false
	}
	var err error
	switch name {
	case "username":
		u.Username, err = r.String()
	case "sub":
		u.Sub, err = r.String()
	case "status":
		u.Status, err = r.String()
	case "preferredMfa":
		u.PreferredMfa, err = r.String()
	case "enabled":
		u.Enabled, err = r.Bool()
	case "legacySmsMfa":
		u.LegacySmsMfa, err = r.Bool()
	case "created":
		return readTime(r, &u.Created)
	case "modified":
		return readTime(r, &u.Modified)
	case "lockedUntil":
		return readTime(r, &u.LockedUntil)
	case "tokensValidAfter":
		return readTime(r, &u.TokensValidAfter)
	case "tempPasswordExpires":
		return readTime(r, &u.TempPasswordExpires)
	case "groups":
		u.Groups, err = readStrings(r)
	case "mfaEnabled":
		u.MfaEnabled, err = readStrings(r)
	case "attributes":
		u.Attributes, err = readStringMap(r)
	case "failedAttempts":
		var n json.Number
		if n, err = r.Number(); err == nil {
			var v int64
			v, err = strconv.ParseInt(string(n), 10, strconv.IntSize)
			u.FailedAttempts = int(v)
		}
	case "sealed":
		var s string
		if s, err = r.String(); err == nil {
			su.Sealed, err = base64.StdEncoding.DecodeString(s)
		}
	default:
		return false
	}
	return err == nil
}

// readTime reads a time as encoding/json does: time.Time's UnmarshalJSON on the quoted text.
func readTime(r *jsonread.Reader, t *time.Time) bool {
	if r.Peek() != '"' {
		return false
	}
	start := r.Offset()
	if _, err := r.String(); err != nil {
		return false
	}
	return t.UnmarshalJSON(r.Input()[start:r.Offset()]) == nil
}

func readStrings(r *jsonread.Reader) ([]string, error) {
	if !r.Next('[') {
		return nil, errNotRead
	}
	out := []string{}
	if r.Next(']') {
		return out, nil
	}
	for {
		s, err := r.String()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if r.Next(']') {
			return out, nil
		}
		if !r.Next(',') {
			return nil, errNotRead
		}
	}
}

func readStringMap(r *jsonread.Reader) (map[string]string, error) {
	if !r.Next('{') {
		return nil, errNotRead
	}
	out := map[string]string{}
	if r.Next('}') {
		return out, nil
	}
	for {
		k, err := r.String()
		if err != nil || !r.Next(':') {
			return nil, errNotRead
		}
		v, err := r.String()
		if err != nil {
			return nil, err
		}
		out[k] = v
		if r.Next('}') {
			return out, nil
		}
		if !r.Next(',') {
			return nil, errNotRead
		}
	}
}

// errNotRead says a value is not in the form readStoredUser reads (encoding/json reads it).
var errNotRead = errors.New("userpool: not in the form readStoredUser reads")

// encodeStoredUser encodes su as json.Marshal does, byte for byte, without reflection (the
// guests write a user on most state changes: sign-up, confirmation, every sign-in's lockout
// count). FuzzEncodeStoredUser holds the two together.
func encodeStoredUser(su *storedUser) ([]byte, error) {
	u := &su.User
	b := make([]byte, 0, 512)
	b = append(b, `{"username":`...)
	b = jsonwrite.AppendString(b, u.Username, true)
	b = append(b, `,"sub":`...)
	b = jsonwrite.AppendString(b, u.Sub, true)
	b = append(b, `,"attributes":`...)
	b = jsonwrite.AppendStringMap(b, u.Attributes, true)
	b = append(b, `,"enabled":`...)
	b = strconv.AppendBool(b, u.Enabled)
	b = append(b, `,"status":`...)
	b = jsonwrite.AppendString(b, u.Status, true)
	var err error
	if b, err = appendTime(b, `,"created":`, u.Created); err != nil {
		return nil, err
	}
	if b, err = appendTime(b, `,"modified":`, u.Modified); err != nil {
		return nil, err
	}
	if len(u.Groups) > 0 {
		b = append(b, `,"groups":`...)
		b = jsonwrite.AppendStrings(b, u.Groups, true)
	}
	if u.FailedAttempts != 0 {
		b = append(b, `,"failedAttempts":`...)
		b = strconv.AppendInt(b, int64(u.FailedAttempts), 10)
	}
	// omitempty leaves structs, time.Time among them, in.
	if b, err = appendTime(b, `,"lockedUntil":`, u.LockedUntil); err != nil {
		return nil, err
	}
	if b, err = appendTime(b, `,"tokensValidAfter":`, u.TokensValidAfter); err != nil {
		return nil, err
	}
	if b, err = appendTime(b, `,"tempPasswordExpires":`, u.TempPasswordExpires); err != nil {
		return nil, err
	}
	if u.PreferredMfa != "" {
		b = append(b, `,"preferredMfa":`...)
		b = jsonwrite.AppendString(b, u.PreferredMfa, true)
	}
	if len(u.MfaEnabled) > 0 {
		b = append(b, `,"mfaEnabled":`...)
		b = jsonwrite.AppendStrings(b, u.MfaEnabled, true)
	}
	if u.LegacySmsMfa {
		b = append(b, `,"legacySmsMfa":true`...)
	}
	if len(su.Sealed) > 0 {
		b = append(b, `,"sealed":"`...)
		b = base64.StdEncoding.AppendEncode(b, su.Sealed)
		b = append(b, '"')
	}
	return append(b, '}'), nil
}

// appendTime appends member and t as time.Time's MarshalJSON writes it (which refuses years
// outside 0–9999, as json.Marshal then does).
func appendTime(b []byte, member string, t time.Time) ([]byte, error) {
	v, err := t.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("userpool: encoding a user: %w", err)
	}
	return append(append(b, member...), v...), nil
}
