package userpool

import (
	"errors"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
)

func TestFilterParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *userFilter
		err  string // wire message of the InvalidParameterException, "" when it parses
	}{
		{``, nil, ""},
		{`   `, nil, ""},
		{`email = "a@b"`, &userFilter{Attr: "email", Value: "a@b"}, ""},
		{`email ^= "a"`, &userFilter{Attr: "email", Prefix: true, Value: "a"}, ""},
		{`email^="a"`, &userFilter{Attr: "email", Prefix: true, Value: "a"}, ""},
		{`cognito:user_status = "CONFIRMED"`, &userFilter{Attr: "cognito:user_status", Value: "CONFIRMED"}, ""},
		{`status = "Enabled"`, &userFilter{Attr: "status", Value: "Enabled"}, ""},
		{`name = "say \"hi\""`, &userFilter{Attr: "name", Value: `say "hi"`}, ""},
		{`name = "back\\slash"`, &userFilter{Attr: "name", Value: `back\slash`}, ""},
		{`given_name = ""`, &userFilter{Attr: "given_name", Value: ""}, ""},
		{`name = "Zoë = ^= \"x\""`, &userFilter{Attr: "name", Value: `Zoë = ^= "x"`}, ""},
		{`custom:tenant = "acme"`, nil, "Invalid search attribute: custom:tenant"},
		{`address = "x"`, nil, "Invalid search attribute: address"},
		{`garbage`, nil, "Error while parsing filter."},
		{`= "x"`, nil, "Error while parsing filter."},
		{`email "x"`, nil, "Error while parsing filter."},
		{`email = x`, nil, "Error while parsing filter."},
		{`email = "x`, nil, "Error while parsing filter."},
		{`email = "x\"`, nil, "Error while parsing filter."},
		{`email = "x" extra`, nil, "Error while parsing filter."},
		{`email != "x"`, nil, "Error while parsing filter."},
		{`email = "x\`, nil, "Error while parsing filter."},
		{strings.Repeat("a", 257), nil, ""},
	} {
		got, err := parseFilter(tc.in)
		if len(tc.in) > maxFilterLen {
			if !isInvalidParameter(err) {
				t.Errorf("parseFilter(%d chars): %v, want InvalidParameterException", len(tc.in), err)
			}
			continue
		}
		if tc.err != "" {
			var e *awsjson.Error
			if !errors.Is(err, awsjson.ErrInvalidParameter) || !errors.As(err, &e) || e.Message != tc.err {
				t.Errorf("parseFilter(%q) = %#v, %v; want InvalidParameterException %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("parseFilter(%q) = %#v, %v; want %#v", tc.in, got, err, tc.want)
		}
	}
}

func isInvalidParameter(err error) bool {
	return errors.Is(err, awsjson.ErrInvalidParameter)
}

func TestFilterMatch(t *testing.T) {
	u := &User{Username: "Alice", Sub: "s-1", Enabled: false, Status: StatusConfirmed,
		Attributes: map[string]string{"email": "alice@example.com", "name": `A "quoted" name`}}
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{``, true},
		{`username = "Alice"`, true},
		{`username = "alice"`, false}, // case-sensitive
		{`username ^= "Al"`, true},
		{`email = "alice@example.com"`, true},
		{`email ^= "bob"`, false},
		{`name = "A \"quoted\" name"`, true},
		{`cognito:user_status = "confirmed"`, true}, // case-insensitive
		{`cognito:user_status ^= "CONF"`, true},
		{`status = "Disabled"`, true},
		{`status = "disabled"`, false}, // case-sensitive
		{`sub = "s-1"`, true},
		{`given_name ^= ""`, false}, // absent attributes never match
	} {
		f, err := parseFilter(tc.filter)
		if err != nil {
			t.Fatalf("parseFilter(%q): %v", tc.filter, err)
		}
		if got := f.match(u); got != tc.want {
			t.Errorf("%s: match = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

// FuzzParseFilter: the parser never panics, fails only with InvalidParameterException, and
// what it accepts renders back to a filter that parses to the same thing.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{``, `email = "a@b"`, `email ^= "a"`, `cognito:user_status = "CONFIRMED"`,
		`status = "Enabled"`, `name = "say \"hi\""`, `name = "a\\b"`, `garbage`, `email = "x`, `email = "x" y`,
		`custom:x = "1"`, "username=\"\xff\"", `sub ^= ""`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFilter(s)
		if err != nil {
			if !isInvalidParameter(err) {
				t.Fatalf("parseFilter(%q): %v is not an InvalidParameterException", s, err)
			}
			return
		}
		if got == nil {
			if strings.Trim(s, " \t") != "" {
				t.Fatalf("parseFilter(%q) = nil for a non-blank filter", s)
			}
			return
		}
		again, err := parseFilter(got.String())
		if err != nil {
			if len(got.String()) > maxFilterLen {
				return // escaping can push a filter over the length limit
			}
			t.Fatalf("re-parsing %q (from %q): %v", got.String(), s, err)
		}
		if *again != *got {
			t.Fatalf("round trip of %q: %#v != %#v", s, again, got)
		}
	})
}

// TestFilterLengthInUTF16Units: Filter is bounded at 256 characters as Cognito counts them
// (UTF-16 units), not bytes: a filter naming a 128-character username is admitted.
func TestFilterLengthInUTF16Units(t *testing.T) {
	name := strings.Repeat("ア", 128) // 384 bytes
	if f, err := parseFilter(`username = "` + name + `"`); err != nil || f.Value != name {
		t.Fatalf("filter of a 128-character username: %v, %v", f, err)
	}
	fits := `name = "` + strings.Repeat("😀", 123) + `"` // 8 + 246 + 1 = 255 units, 501 bytes
	if _, err := parseFilter(fits); err != nil {
		t.Errorf("filter of 255 units: %v", err)
	}
	over := `name = "` + strings.Repeat("😀", 124) + `"` // 257 units
	if _, err := parseFilter(over); !isInvalidParameter(err) {
		t.Errorf("filter of 257 units: %v, want InvalidParameterException", err)
	}
}
