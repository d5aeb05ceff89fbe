package policy

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Condition is one compiled (operator, key, values) triple of a statement's Condition block.
// All conditions of a statement must hold; the values of one condition are alternatives.
type Condition struct {
	Operator string // as written, e.g. "ForAnyValue:StringLike" or "StringEqualsIfExists"
	Key      string // as written, e.g. "cognito-identity.amazonaws.com:sub"
	Values   []string

	op       baseOp
	negated  bool
	ifExists bool
	set      setQualifier
	key      string    // lower-case
	patterns []pattern // compiled Values (variables substituted; wildcards for *Like)
}

type setQualifier uint8

const (
	setNone setQualifier = iota
	setAnyValue
	setAllValues
)

type baseOp uint8

const (
	opStringEquals baseOp = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opNull
)

// operators maps each supported operator name to its base operation and negation.
var operators = map[string]struct {
	op      baseOp
	negated bool
}{
	"StringEquals":              {opStringEquals, false},
	"StringNotEquals":           {opStringEquals, true},
	"StringEqualsIgnoreCase":    {opStringEqualsIgnoreCase, false},
	"StringNotEqualsIgnoreCase": {opStringEqualsIgnoreCase, true},
	"StringLike":                {opStringLike, false},
	"StringNotLike":             {opStringLike, true},
	"ArnEquals":                 {opStringLike, false}, // IAM treats ArnEquals like ArnLike
	"ArnLike":                   {opStringLike, false},
	"ArnNotEquals":              {opStringLike, true},
	"ArnNotLike":                {opStringLike, true},
	"NumericEquals":             {opNumericEquals, false},
	"NumericNotEquals":          {opNumericEquals, true},
	"NumericLessThan":           {opNumericLessThan, false},
	"NumericLessThanEquals":     {opNumericLessThanEquals, false},
	"NumericGreaterThan":        {opNumericGreaterThan, false},
	"NumericGreaterThanEquals":  {opNumericGreaterThanEquals, false},
	"DateEquals":                {opDateEquals, false},
	"DateNotEquals":             {opDateEquals, true},
	"DateLessThan":              {opDateLessThan, false},
	"DateLessThanEquals":        {opDateLessThanEquals, false},
	"DateGreaterThan":           {opDateGreaterThan, false},
	"DateGreaterThanEquals":     {opDateGreaterThanEquals, false},
	"Bool":                      {opBool, false},
	"Null":                      {opNull, false},
}

// parseConditions compiles a Condition block in a stable order (operator, then key).
func parseConditions(block map[string]map[string]json.RawMessage, vars bool) ([]Condition, error) {
	ops := make([]string, 0, len(block))
	for name := range block {
		ops = append(ops, name)
	}
	sort.Strings(ops)
	var out []Condition
	for _, name := range ops {
		keys := make([]string, 0, len(block[name]))
		for k := range block[name] {
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("Condition %q has no keys", clip(name))
		}
		sort.Strings(keys)
		for _, k := range keys {
			c, err := parseCondition(name, k, block[name][k], vars)
			if err != nil {
				return nil, fmt.Errorf("Condition %q %q: %v", clip(name), clip(k), err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

func parseCondition(opName, key string, raw json.RawMessage, vars bool) (Condition, error) {
	c := Condition{Operator: opName, Key: key, key: strings.ToLower(key)}
	name := opName
	if q, rest, ok := strings.Cut(name, ":"); ok {
		switch q {
		case "ForAnyValue":
			c.set = setAnyValue
		case "ForAllValues":
			c.set = setAllValues
		default:
			return c, fmt.Errorf("unknown set qualifier %q", clip(q))
		}
		name = rest
	}
	if base, ok := strings.CutSuffix(name, "IfExists"); ok && base != "Null" {
		c.ifExists, name = true, base
	}
	o, ok := operators[name]
	if !ok {
		return c, fmt.Errorf("unsupported condition operator")
	}
	if o.op == opNull && (c.set != setNone || c.ifExists) {
		return c, fmt.Errorf("Null takes no qualifier")
	}
	c.op, c.negated = o.op, o.negated
	if key == "" || strings.TrimSpace(key) != key {
		return c, fmt.Errorf("condition key is empty or padded")
	}
	vals, err := valueList(raw)
	if err != nil {
		return c, err
	}
	c.Values = vals
	for _, v := range vals {
		if err := checkValue(c.op, v); err != nil {
			return c, err
		}
		p, err := compile(v, vars)
		if err != nil {
			return c, err
		}
		if c.op != opStringLike {
			p = literalize(p)
		}
		c.patterns = append(c.patterns, p)
	}
	return c, nil
}

// checkValue refuses values the operator could never compare (the statement would be dead).
func checkValue(op baseOp, v string) error {
	if strings.Contains(v, "${") {
		return nil // resolved at evaluation
	}
	switch op {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		if _, ok := parseNumber(v); !ok {
			return fmt.Errorf("%q is not a number", clip(v))
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		if _, ok := parseDate(v); !ok {
			return fmt.Errorf("%q is not a date (ISO 8601 or epoch seconds)", clip(v))
		}
	case opBool, opNull:
		if v != "true" && v != "false" {
			return fmt.Errorf("%q is not true or false", clip(v))
		}
	}
	return nil
}

// literalize turns wildcard parts back into text: only *Like operators have wildcards.
func literalize(p pattern) pattern {
	var out pattern
	for _, pt := range p.parts {
		switch pt.kind {
		case partStar:
			pt = part{kind: partText, text: "*"}
		case partOne:
			pt = part{kind: partText, text: "?"}
		}
		if n := len(out.parts); pt.kind == partText && n > 0 && out.parts[n-1].kind == partText {
			out.parts[n-1].text += pt.text
			continue
		}
		out.parts = append(out.parts, pt)
	}
	switch {
	case len(out.parts) == 0:
		out.isLit = true
	case len(out.parts) == 1 && out.parts[0].kind == partText:
		out.isLit, out.literal = true, out.parts[0].text
	case out.parts[0].kind == partText:
		out.prefix = out.parts[0].text
	}
	return out
}

// holds evaluates the condition against the request.
func (c *Condition) holds(r *Request) bool {
	vals, present := r.values(c.key)
	if c.op == opNull {
		want := c.Values[0] == "true" // IAM uses the first value
		return want != present
	}
	if !present || len(vals) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.set == setAllValues:
			return true // vacuously: every one of no values satisfies it
		case c.set == setAnyValue:
			return false
		default:
			return c.negated // a negated operator holds when the key is absent
		}
	}
	switch c.set {
	case setAllValues:
		for _, v := range vals {
			if !c.one(r, v) {
				return false
			}
		}
		return true
	default: // ForAnyValue, and plain operators on any value of a multi-valued key
		for _, v := range vals {
			if c.one(r, v) {
				return true
			}
		}
		return false
	}
}

// one evaluates the operator for one request value: any policy value may match; negated
// operators hold when none does.
func (c *Condition) one(r *Request, v string) bool {
	matched := false
	for i := range c.patterns {
		if c.compare(r, &c.patterns[i], v) {
			matched = true
			break
		}
	}
	return matched != c.negated
}

func (c *Condition) compare(r *Request, p *pattern, v string) bool {
	switch c.op {
	case opStringLike:
		return p.match(r, v, false)
	case opStringEquals:
		return p.match(r, v, false)
	case opStringEqualsIgnoreCase:
		return p.match(r, v, true)
	}
	want, ok := p.resolve(r)
	if !ok {
		return false
	}
	switch c.op {
	case opBool:
		return strings.EqualFold(v, want)
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		a, ok1 := parseNumber(v)
		b, ok2 := parseNumber(want)
		if !ok1 || !ok2 {
			return false
		}
		return order(c.op-opNumericEquals, compareFloat(a, b))
	default:
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(want)
		if !ok1 || !ok2 {
			return false
		}
		return order(c.op-opDateEquals, a.Compare(b))
	}
}

// order applies the relation with index rel (Equals, LessThan, LessThanEquals, GreaterThan,
// GreaterThanEquals) to a three-way comparison of request value against policy value.
func order(rel baseOp, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp <= 0
	case 3:
		return cmp > 0
	default:
		return cmp >= 0
	}
}

func compareFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// resolve substitutes variables into a literal pattern (wildcards were literalized).
func (p *pattern) resolve(r *Request) (string, bool) {
	if p.isLit {
		return p.literal, true
	}
	var b strings.Builder
	for _, pt := range p.parts {
		switch pt.kind {
		case partVar:
			v, ok := r.lookup(pt.text)
			if !ok {
				if !pt.hasDefault {
					return "", false
				}
				v = pt.def
			}
			b.WriteString(v)
		default:
			b.WriteString(pt.text)
		}
	}
	return b.String(), true
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// parseDate accepts ISO 8601 forms IAM accepts and epoch seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<40 {
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}
