package jose

import (
	"bytes"
	"encoding/json"
	"errors"
)

// decodeObjectStd is decodeObject as encoding/json does it: the oracle FuzzDecodeObject
// compares the hand-written decoder with (it was the decoder until the profile showed
// reflection-driven decoding in the guest).
func decodeObjectStd(b []byte) (map[string]any, error) {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n")) != 0 {
		return nil, errors.New("data after the JSON object")
	}
	// The map keeps one of duplicate members (also names spelled with different escapes):
	// count the members to notice.
	if countMembers(b) != len(m) {
		return nil, errors.New("a member name appears twice")
	}
	return m, nil
}

// countMembers counts the top-level members of b, a valid JSON object: the colons outside
// strings at depth one.
func countMembers(b []byte) int {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				n++
			}
		}
	}
	return n
}
