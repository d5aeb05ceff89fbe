package userpool

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/poolgate/poolgate/internal/jsonread"
	"github.com/poolgate/poolgate/internal/jsonwrite"
)

// decodeUserSecrets decodes a user's unsealed secrets into s (zero) as json.Unmarshal does,
// reading the form encodeUserSecrets writes without reflection, as decodeStoredUser does for
// the record around them: every sign-in, confirmation and password change opens them.
// Anything else is left to encoding/json, which also gives the errors.
// FuzzUserSecretsCodec holds the two readings together.
func decodeUserSecrets(b []byte, s *UserSecrets) error {
	if readUserSecrets(b, s) {
		return nil
	}
	*s = UserSecrets{}
	return json.Unmarshal(b, s)
}

// readUserSecrets is decodeUserSecrets's hand-written path: false when b is not in the form
// it reads (s is then partly written).
func readUserSecrets(b []byte, s *UserSecrets) bool {
	r := jsonread.New(b)
	ok := readObject(r, func(name string) bool {
		switch name {
		case "password":
			s.Password = new(PasswordVerifier)
			return readVerifier(r, s.Password)
		case "history":
			s.History = []PasswordVerifier{} // "[]" is an empty list, not none
			return readArray(r, func() bool {
				s.History = append(s.History, PasswordVerifier{})
				return readVerifier(r, &s.History[len(s.History)-1])
			})
		case "codes":
			s.Codes = map[string]*Code{}
			return readObject(r, func(purpose string) bool {
				c := new(Code)
				s.Codes[purpose] = c
				return readCode(r, c)
			})
		case "totp":
			s.Totp = new(SoftwareToken)
			return readSoftwareToken(r, s.Totp)
		case "imported":
			return readString(r, &s.Imported)
		}
		return false
	})
	return ok && r.End()
}

func readVerifier(r *jsonread.Reader, v *PasswordVerifier) bool {
	return readObject(r, func(name string) bool {
		switch name {
		case "salt":
			return readBytes(r, &v.Salt)
		case "verifier":
			return readBytes(r, &v.Verifier)
		}
		return false
	})
}

func readCode(r *jsonread.Reader, c *Code) bool {
	return readObject(r, func(name string) bool {
		switch name {
		case "value":
			return readString(r, &c.Value)
		case "expires":
			return readTime(r, &c.Expires)
		case "attempts":
			n, err := r.Number()
			if err != nil {
				return false
			}
			v, err := strconv.ParseInt(string(n), 10, strconv.IntSize)
			c.Attempts = int(v)
			return err == nil
		}
		return false
	})
}

func readSoftwareToken(r *jsonread.Reader, t *SoftwareToken) bool {
	return readObject(r, func(name string) bool {
		switch name {
		case "secret":
			return readBytes(r, &t.Secret)
		case "pending":
			return readBytes(r, &t.Pending)
		case "name":
			return readString(r, &t.DeviceName)
		}
		return false
	})
}

// readObject reads an object whose members member reads, each name at most once (a struct's
// handful of members, or a user's few codes); a member member does not know or refuses
// (null, which each reader here refuses: encoding/json gives it its meaning) is not read.
func readObject(r *jsonread.Reader, member func(name string) bool) bool {
	if !r.Next('{') {
		return false
	}
	if r.Next('}') {
		return true
	}
	var seen []string // a handful of names: a map would cost more
	for {
		name, err := r.String()
		if err != nil || slices.Contains(seen, name) || !r.Next(':') {
			return false
		}
		seen = append(seen, name)
		if !member(name) {
			return false
		}
		if r.Next('}') {
			return true
		}
		if !r.Next(',') {
			return false
		}
	}
}

// readArray reads an array whose elements elem reads.
func readArray(r *jsonread.Reader, elem func() bool) bool {
	if !r.Next('[') {
		return false
	}
	if r.Next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if r.Next(']') {
			return true
		}
		if !r.Next(',') {
			return false
		}
	}
}

func readString(r *jsonread.Reader, s *string) bool {
	v, err := r.String()
	*s = v
	return err == nil
}

// readBytes reads a []byte as encoding/json does: base64.StdEncoding (which skips \r and \n).
func readBytes(r *jsonread.Reader, b *[]byte) bool {
	s, err := r.String()
	if err != nil {
		return false
	}
	*b, err = base64.StdEncoding.DecodeString(s)
	return err == nil
}

// encodeUserSecrets encodes s as json.Marshal does, byte for byte, without reflection.
func encodeUserSecrets(s *UserSecrets) ([]byte, error) {
	var err error
	o := jsonObject{b: append(make([]byte, 0, 768), '{')}
	if s.Password != nil {
		o.member("password")
		o.b = appendVerifier(o.b, s.Password)
	}
	if len(s.History) > 0 {
		o.member("history")
		o.b = append(o.b, '[')
		for i := range s.History {
			if i > 0 {
				o.b = append(o.b, ',')
			}
			o.b = appendVerifier(o.b, &s.History[i])
		}
		o.b = append(o.b, ']')
	}
	if len(s.Codes) > 0 {
		o.member("codes")
		if o.b, err = appendCodes(o.b, s.Codes); err != nil {
			return nil, err
		}
	}
	if t := s.Totp; t != nil {
		o.member("totp")
		tok := jsonObject{b: append(o.b, '{')}
		if len(t.Secret) > 0 {
			tok.member("secret")
			tok.b = appendBytes(tok.b, t.Secret)
		}
		if len(t.Pending) > 0 {
			tok.member("pending")
			tok.b = appendBytes(tok.b, t.Pending)
		}
		if t.DeviceName != "" {
			tok.member("name")
			tok.b = jsonwrite.AppendString(tok.b, t.DeviceName, true)
		}
		o.b = append(tok.b, '}')
	}
	if s.Imported != "" {
		o.member("imported")
		o.b = jsonwrite.AppendString(o.b, s.Imported, true)
	}
	return append(o.b, '}'), nil
}

// jsonObject writes an object's member names, with the commas between them.
type jsonObject struct {
	b    []byte
	some bool
}

func (o *jsonObject) member(name string) {
	if o.some {
		o.b = append(o.b, ',')
	}
	o.some = true
	o.b = append(append(append(o.b, '"'), name...), `":`...)
}

func appendVerifier(b []byte, v *PasswordVerifier) []byte {
	b = append(b, `{"salt":`...)
	b = appendBytes(b, v.Salt)
	b = append(b, `,"verifier":`...)
	b = appendBytes(b, v.Verifier)
	return append(b, '}')
}

// appendCodes writes the codes in the order of their purposes, as encoding/json sorts a
// map's keys (by the strings themselves, before escaping).
func appendCodes(b []byte, codes map[string]*Code) ([]byte, error) {
	b = append(b, '{')
	for i, p := range slices.Sorted(maps.Keys(codes)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsonwrite.AppendString(b, p, true), ':')
		c := codes[p]
		if c == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, `{"value":`...)
		b = jsonwrite.AppendString(b, c.Value, true)
		expires, err := c.Expires.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("userpool: encoding a user's secrets: %w", err)
		}
		b = append(append(b, `,"expires":`...), expires...)
		if c.Attempts != 0 {
			b = strconv.AppendInt(append(b, `,"attempts":`...), int64(c.Attempts), 10)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendBytes writes a []byte as encoding/json does: null when nil, else standard base64.
func appendBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}
