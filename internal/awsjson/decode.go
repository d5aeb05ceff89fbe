package awsjson

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"

	"github.com/poolgate/poolgate/internal/jsonread"
)

// Handler adapts a typed action function. It decodes the body into a new In (see Decode),
// calls fn, and returns its *Out (nil becomes {} on the wire). Called under a context from
// InputType, it returns a new *In without decoding or calling fn.
func Handler[In, Out any](fn func(context.Context, *In) (*Out, error)) func(context.Context, []byte) (any, error) {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if ctx.Value(keyDescribe) != nil {
			return in, nil
		}
		if err := Decode(body, in); err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return nil, nil
		}
		return out, nil
	}
}

// InputType returns the input struct type of an action built with Handler (nil for any other
// Handle), so that tests can enumerate every member of every registered action.
func InputType(a Action) reflect.Type {
	v, err := a.Handle(context.WithValue(context.Background(), keyDescribe, true), nil)
	if err != nil || v == nil {
		return nil
	}
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil
	}
	return t.Elem()
}

// Decode decodes a request body into dst (a pointer to a struct) the way the service does:
//   - the body must be a JSON object; an empty body is {};
//   - members whose value is null are absent, at every depth (clients send null map values);
//   - unknown members are ignored; member names match as encoding/json matches them;
//   - malformed JSON or a value of the wrong type is a 400 SerializationException;
//   - a field tagged `aws:"required"` that is absent or null, or an empty string, is a 400
//     InvalidParameterException in AWS's validation wording with the lower-camel member path
//     ("userAttributes.1.member.name"); required fields of nested structs are checked when
//     the enclosing member is present;
//   - a present member whose value breaks the shape Cognito's model gives it (its length,
//     pattern, range or size; see memberShapes) is a 400 InvalidParameterException in the same
//     wording, without the value ("Value at 'userPoolId' failed to satisfy constraint: Member
//     must have length less than or equal to 55"). All problems are reported, in field order.
func Decode(body []byte, dst any) error {
	body = trimJSONSpace(body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if body[0] != '{' {
		return New(ErrSerialization, "Request body must be a JSON object.")
	}
	tree, err := decodeTree(body)
	if err != nil {
		return err
	}
	stripped := stripNulls(tree)
	if !fromTree(tree, dst) {
		if stripped {
			if body, err = json.Marshal(tree); err != nil {
				return fmt.Errorf("awsjson: re-encoding request: %w", err)
			}
		}
		if err := json.Unmarshal(body, dst); err != nil {
			return serializationError(err)
		}
	}
	v := reflect.ValueOf(dst)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	var problems []string
	validate(v, tree, "", "", &problems)
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return InvalidParameter("1 validation error detected: %s", problems[0])
	default:
		return InvalidParameter("%d validation errors detected: %s", len(problems), strings.Join(problems, "; "))
	}
}

// decodeTree reads body (a JSON object) into the tree validate checks, numbers as
// json.Number. The reflection-free reader reads what encoding/json reads into the same
// values (FuzzDecodeTree holds it to that); a body it refuses is read again by encoding/json,
// whose error is the one the client sees (serializationError words it).
func decodeTree(body []byte) (map[string]any, error) {
	if tree, err := jsonread.Object(body); err == nil {
		return tree, nil
	}
	return decodeTreeStd(body)
}

// decodeTreeStd is decodeTree by encoding/json.
func decodeTreeStd(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil {
		return nil, serializationError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, New(ErrSerialization, "Request body holds more than one JSON value.")
	}
	return tree, nil
}

func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\r\n")
}

// stripNulls deletes null members from every object in the tree and reports whether it did.
// Null array elements stay (their position matters).
func stripNulls(v any) bool {
	changed := false
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				changed = true
			} else if stripNulls(e) {
				changed = true
			}
		}
	case []any:
		for _, e := range t {
			if stripNulls(e) {
				changed = true
			}
		}
	}
	return changed
}

func serializationError(err error) *Error {
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		return New(ErrSerialization, "Malformed JSON at byte %d: %s.", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		member := te.Field
		if member == "" {
			member = "(body)"
		}
		return New(ErrSerialization, "Cannot deserialize member '%s': expected %s, got %s.", member, describeType(te.Type), describeValue(te.Value))
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return New(ErrSerialization, "Malformed JSON: unexpected end of input.")
	}
	return New(ErrSerialization, "Cannot deserialize the request body: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	if t == reflect.TypeFor[EpochTime]() {
		return "a number of epoch seconds"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a " + t.String()
}

func describeValue(v string) string {
	switch {
	case v == "number":
		return "a number"
	case strings.HasPrefix(v, "number "):
		return "the number " + clip(strings.TrimPrefix(v, "number "))
	case v == "string":
		return "a string"
	case v == "bool":
		return "a boolean"
	case v == "array":
		return "an array"
	case v == "object":
		return "an object"
	}
	return v
}

// validate appends a problem for every required field of struct v that the JSON object
// tree lacks, and for every present member whose value breaks its shape (see memberShapes),
// recursing into present struct members and lists of structs. parent is the JSON name of the
// member v is the value of ("" at the top).
func validate(v reflect.Value, tree map[string]any, path, parent string, problems *[]string) {
	for _, f := range validatePlanOf(v.Type(), parent) {
		fv := v.Field(f.index)
		if f.embedded {
			if fv = derefValue(fv); fv.IsValid() {
				validate(fv, tree, path, parent, problems)
			}
			continue
		}
		raw, present := lookupMember(tree, f.name)
		if f.required {
			if !present {
				*problems = append(*problems, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", path+f.member))
				continue
			}
			if s := derefValue(fv); s.IsValid() && s.Kind() == reflect.String && s.Len() == 0 {
				*problems = append(*problems, fmt.Sprintf("Value '' at '%s' failed to satisfy constraint: Member must have length greater than or equal to 1", path+f.member))
				continue
			}
		}
		if !present {
			continue
		}
		fv = derefValue(fv)
		if !fv.IsValid() {
			continue
		}
		member := path + f.member
		if f.shape != nil {
			f.shape.check(fv, member, problems)
		}
		switch fv.Kind() {
		case reflect.Struct:
			if obj, ok := raw.(map[string]any); ok && f.nested {
				validate(fv, obj, member+".", f.name, problems)
			}
		case reflect.Slice, reflect.Array:
			list, ok := raw.([]any)
			if !ok || !f.nested {
				continue
			}
			for j := 0; j < fv.Len() && j < len(list); j++ {
				obj, ok := list[j].(map[string]any)
				ev := derefValue(fv.Index(j))
				if ok && ev.IsValid() && ev.Kind() == reflect.Struct {
					validate(ev, obj, fmt.Sprintf("%s.%d.member.", member, j+1), f.name, problems)
				}
			}
		}
	}
}

// validateField is what validate needs of one field of a struct type, worked out from its
// tags once per type and parent member (validatePlanOf) rather than on every request.
type validateField struct {
	index    int
	name     string // the JSON member name
	member   string // name in lower camel case, as AWS's messages name members
	embedded bool   // an untagged embedded struct, validated as part of its parent
	required bool   // tagged aws:"required"
	shape    *shape // shapeOf(field, parent, name)
	nested   bool   // a struct, or a list of structs, with checks of its own (hasChecks)
}

type planKey struct {
	t      reflect.Type
	parent string
}

var validatePlans sync.Map // planKey → []validateField

// validatePlanOf returns the fields of struct type t (the value of member parent) that
// validate looks at, in order.
func validatePlanOf(t reflect.Type, parent string) []validateField {
	key := planKey{t, parent}
	if plan, ok := validatePlans.Load(key); ok {
		return plan.([]validateField)
	}
	var plan []validateField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, tagged := jsonName(f)
		if name == "-" {
			continue
		}
		if f.Anonymous && !tagged && derefType(f.Type).Kind() == reflect.Struct {
			plan = append(plan, validateField{index: i, embedded: true})
			continue
		}
		if !f.IsExported() {
			continue
		}
		ft := derefType(f.Type)
		if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
			ft = derefType(ft.Elem())
		}
		plan = append(plan, validateField{index: i, name: name, member: lowerFirst(name),
			required: f.Tag.Get("aws") == "required", shape: shapeOf(f, parent, name), nested: hasChecks(ft, name, 0)})
	}
	validatePlans.Store(key, plan)
	return plan
}

// hasChecks reports whether struct type t (the value of member parent) has a required field
// or a field with a shape at any depth, so that validation does not walk large inputs that
// have nothing to check.
func hasChecks(t reflect.Type, parent string, depth int) bool {
	if t.Kind() != reflect.Struct || depth > 8 {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _ := jsonName(f)
		if name == "-" {
			continue
		}
		if f.Tag.Get("aws") == "required" || shapeOf(f, parent, name) != nil {
			return true
		}
		ft := derefType(f.Type)
		if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
			ft = derefType(ft.Elem())
		}
		if f.Anonymous {
			name = parent
		}
		if hasChecks(ft, name, depth+1) {
			return true
		}
	}
	return false
}

// lookupMember finds a member the way encoding/json matched it: exact name first, then
// case-insensitively.
func lookupMember(tree map[string]any, name string) (any, bool) {
	if v, ok := tree[name]; ok {
		return v, true
	}
	for k, v := range tree {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func jsonName(f reflect.StructField) (name string, tagged bool) {
	tag, ok := f.Tag.Lookup("json")
	if !ok {
		return f.Name, false
	}
	name, _, _ = strings.Cut(tag, ",")
	if name == "" {
		return f.Name, false
	}
	return name, true
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func derefValue(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}
