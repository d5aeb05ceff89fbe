package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/poolgate/poolgate/internal/jsonread"
	"github.com/poolgate/poolgate/internal/jsonwrite"
)

// The SDK's JSON, without encoding/json: requests are maps of the few value types below,
// written by encodeJSON; answers are read by internal/jsonread into maps and picked apart
// through object. encoding/json's reflection costs the wasm SDK about 0.14 MB gzip (measured
// on a program that only adds it), a tenth of the whole; wire_test.go holds both halves to
// encoding/json's readings.

// encodeJSON writes v as encoding/json's Marshal writes it (map members sorted by name,
// strings HTML-escaped, invalid UTF-8 as U+FFFD). v is made of strings, bools, ints, int64s,
// maps from string to any, string or bool, and slices of any or of maps of strings.
func encodeJSON(v any) ([]byte, error) {
	return appendJSON(nil, v)
}

func appendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return jsonwrite.AppendString(b, v, true), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case map[string]any:
		return appendObject(b, v)
	case map[string]string:
		return appendObject(b, v)
	case map[string]bool:
		return appendObject(b, v)
	case []any:
		return appendArray(b, v)
	case []map[string]string:
		return appendArray(b, v)
	}
	return nil, fmt.Errorf("sdk: cannot encode %T as JSON", v)
}

func appendObject[V any](b []byte, m map[string]V) ([]byte, error) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(jsonwrite.AppendString(b, k, true), ':')
		var err error
		if b, err = appendJSON(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendArray[V any](b []byte, list []V) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, e := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSON(b, e); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// object reads the members of a decoded JSON object by name. A member of the wrong type reads
// as its zero value and is recorded in *err (the first only), as encoding/json reports an
// UnmarshalTypeError after filling the rest; a member that is absent or null is its zero
// value. The zero object (an absent member) has no members.
type object struct {
	m   map[string]any
	err *error
}

// readObject decodes b, which must be exactly one JSON object.
func readObject(b []byte) (object, error) {
	m, err := jsonread.UniqueObject(b)
	if err != nil {
		return object{}, err
	}
	var typeErr error
	return object{m: m, err: &typeErr}, nil
}

// typeError is the first type error the object (or one read from it) met.
func (o object) typeError() error {
	if o.err == nil {
		return nil
	}
	return *o.err
}

func (o object) wrong(name, want string) {
	if o.err != nil && *o.err == nil {
		*o.err = fmt.Errorf("%s is not %s", name, want)
	}
}

// has reports whether the member is present and not null.
func (o object) has(name string) bool { return o.m[name] != nil }

func (o object) str(name string) string {
	v, ok := o.m[name].(string)
	if !ok && o.has(name) {
		o.wrong(name, "a string")
	}
	return v
}

func (o object) boolean(name string) bool {
	v, ok := o.m[name].(bool)
	if !ok && o.has(name) {
		o.wrong(name, "true or false")
	}
	return v
}

func (o object) float(name string) float64 {
	n, ok := o.m[name].(json.Number)
	if !ok {
		if o.has(name) {
			o.wrong(name, "a number")
		}
		return 0
	}
	f, err := n.Float64()
	if err != nil {
		o.wrong(name, "a float64")
	}
	return f
}

func (o object) int(name string) int64 {
	n, ok := o.m[name].(json.Number)
	if !ok {
		if o.has(name) {
			o.wrong(name, "a number")
		}
		return 0
	}
	i, err := n.Int64()
	if err != nil {
		o.wrong(name, "an int64")
	}
	return i
}

// obj is a member that is an object; the zero object when absent or null.
func (o object) obj(name string) object {
	m, ok := o.m[name].(map[string]any)
	if !ok {
		if o.has(name) {
			o.wrong(name, "an object")
		}
		return object{err: o.err}
	}
	return object{m: m, err: o.err}
}

// objects is a member that is an array of objects (null elements read as empty objects).
func (o object) objects(name string) []object {
	list := o.list(name)
	out := make([]object, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok && e != nil {
			o.wrong(name, "an array of objects")
		}
		out = append(out, object{m: m, err: o.err})
	}
	return out
}

// strings is a member that is an array of strings (null elements read as "").
func (o object) strings(name string) []string {
	list := o.list(name)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok && e != nil {
			o.wrong(name, "an array of strings")
		}
		out = append(out, s)
	}
	return out
}

// strMap is a member that is an object of strings (null values read as "").
func (o object) strMap(name string) map[string]string {
	m := o.obj(name).m
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, e := range m {
		s, ok := e.(string)
		if !ok && e != nil {
			o.wrong(name, "an object of strings")
		}
		out[k] = s
	}
	return out
}

func (o object) list(name string) []any {
	list, ok := o.m[name].([]any)
	if !ok && o.has(name) {
		o.wrong(name, "an array")
	}
	return list
}

// stringList reads JSON text that is an array of strings, or null, as encoding/json reads it
// into a []string (a null element reads as "").
func stringList(raw string) ([]string, error) {
	v, err := jsonread.Value([]byte(raw))
	if err != nil || v == nil {
		return nil, err
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errors.New("not a JSON array")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, ok := e.(string)
		if !ok && e != nil {
			return nil, errors.New("not a JSON array of strings")
		}
		out = append(out, s)
	}
	return out, nil
}
