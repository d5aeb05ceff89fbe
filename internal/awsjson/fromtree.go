package awsjson

import (
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// fromTree fills *dst, a fresh zero struct, from tree (the request body as decodeTree read
// it, nulls stripped) when it can do so exactly as json.Unmarshal of the body would, without
// encoding/json's second pass over the body: every member of tree that names a field names it
// exactly (no case-folded match), and each such field is a string or a map[string]string
// holding what tree has there. Members that name no field are ignored, as encoding/json
// ignores them. It reports false, having changed nothing, for anything else; the caller then
// decodes with encoding/json. FuzzFromTree holds it to json.Unmarshal.
func fromTree(tree map[string]any, dst any) bool {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	v = v.Elem()
	plan := treePlanOf(v.Type())
	if plan == nil {
		return false
	}
	// Check every member first, so that a refusal leaves dst untouched.
	for k, e := range tree {
		f, ok := plan.exact[k]
		if !ok {
			if plan.folds(k) {
				return false
			}
			continue
		}
		switch f.kind {
		case reflect.String:
			if _, ok := e.(string); !ok {
				return false
			}
		case reflect.Map:
			m, ok := e.(map[string]any)
			if !ok {
				return false
			}
			for _, mv := range m {
				if _, ok := mv.(string); !ok {
					return false
				}
			}
		default:
			return false
		}
	}
	for k, e := range tree {
		f, ok := plan.exact[k]
		if !ok {
			continue
		}
		fv := v.Field(f.index)
		switch f.kind {
		case reflect.String:
			fv.SetString(e.(string))
		case reflect.Map:
			src := e.(map[string]any)
			m := make(map[string]string, len(src))
			for mk, mv := range src {
				m[mk] = mv.(string)
			}
			fv.Set(reflect.ValueOf(m))
		}
	}
	return true
}

// treePlan is how fromTree fills one struct type: its fields by their JSON names.
type treePlan struct {
	exact map[string]treeField
	names []string
}

type treeField struct {
	index int
	kind  reflect.Kind // String, Map (map[string]string), or Invalid: a field fromTree does not fill
}

// folds reports whether k would reach a field by encoding/json's case-insensitive match
// (a non-ASCII name might, by Unicode folding: it is counted as one).
func (p *treePlan) folds(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= utf8.RuneSelf {
			return true
		}
	}
	for _, n := range p.names {
		if strings.EqualFold(n, k) {
			return true
		}
	}
	return false
}

var treePlans sync.Map // reflect.Type → *treePlan, or nil for a type fromTree leaves alone

// treePlanOf returns t's plan, or nil when t has a field whose decoding fromTree cannot
// follow: an embedded or unexported field, a json tag "-", or the option string (the others,
// omitempty and omitzero, only change encoding).
func treePlanOf(t reflect.Type) *treePlan {
	if p, ok := treePlans.Load(t); ok {
		return p.(*treePlan)
	}
	p := &treePlan{exact: map[string]treeField{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _ := sf.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if sf.Anonymous || !sf.IsExported() || tag == "-" || slices.Contains(strings.Split(opts, ","), "string") {
			p = nil
			break
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := p.exact[name]; dup {
			p = nil
			break
		}
		f := treeField{index: i}
		switch {
		case sf.Type.Kind() == reflect.String && sf.Type == reflect.TypeFor[string]():
			f.kind = reflect.String
		case sf.Type == reflect.TypeFor[map[string]string]():
			f.kind = reflect.Map
		}
		p.exact[name] = f
		p.names = append(p.names, name)
	}
	treePlans.Store(t, p)
	return p
}
