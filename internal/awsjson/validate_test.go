package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"
)

// shapeInput has one member of every shape kind the table gives, named as Cognito names them.
type shapeInput struct {
	UserPoolId              string
	ClientId                string
	Username                string
	GroupName               string
	AttributeName           string
	Password                string
	ConfirmationCode        string
	Session                 string
	AccessToken             string
	ClientSecret            string
	SecretHash              string
	PoolName                string
	ClientName              string
	DeviceKey               string
	NextToken               string
	IdentityPoolId          string
	IdentityId              string
	IdentityPoolName        string
	Limit                   *int32
	MaxResults              int
	UserAttributes          []shapeAttribute
	UserAttributeNames      []string
	AuthParameters          map[string]string
	Logins                  map[string]string
	IdentityIdsToDelete     []string
	Free                    string // no shape: any value
	Tagged                  string `validate:"Username"`
	OptedOut                string `json:"UserPoolIdCopy" validate:"-"`
	DeveloperUserIdentifier string
	Roles                   map[string]string
	PrincipalTags           map[string]string
	UserPoolTags            map[string]string
	SmsVerificationMessage  string
}

type shapeAttribute struct {
	Name  string `aws:"required"`
	Value string
}

func TestShapes(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		body string
		want string // "" means valid; else the whole message
	}{
		{"pool id", `{"UserPoolId":"us-east-1_AbC123"}`, ""},
		{"pool id with dashes and underscores", `{"UserPoolId":"my-region_x_9"}`, ""},
		{"pool id 55", `{"UserPoolId":"` + long(53) + `_1"}`, ""},
		{"pool id 56", `{"UserPoolId":"` + long(54) + `_1"}`,
			"1 validation error detected: Value at 'userPoolId' failed to satisfy constraint: Member must have length less than or equal to 55"},
		{"pool id without separator", `{"UserPoolId":"nope"}`,
			`1 validation error detected: Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`},
		{"pool id empty suffix", `{"UserPoolId":"us-east-1_"}`,
			`1 validation error detected: Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`},
		{"pool id empty prefix", `{"UserPoolId":"_abc"}`,
			`1 validation error detected: Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`},
		{"pool id dash in suffix", `{"UserPoolId":"a_b-c"}`,
			`1 validation error detected: Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`},
		{"pool id slash", `{"UserPoolId":"a/b_c"}`,
			`1 validation error detected: Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`},
		{"pool id long and wrong", `{"UserPoolId":"` + long(300000) + `"}`,
			`2 validation errors detected: Value at 'userPoolId' failed to satisfy constraint: Member must have length less than or equal to 55; ` +
				`Value at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-zA-Z]+`},
		{"client id", `{"ClientId":"abc+123_x"}`, ""},
		{"client id 129", `{"ClientId":"` + long(129) + `"}`,
			"1 validation error detected: Value at 'clientId' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"client id dash", `{"ClientId":"a-b"}`,
			`1 validation error detected: Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+]+`},
		{"username unicode", `{"Username":"Zoë_ü+テスト/@😀"}`, ""},
		{"username 128", `{"Username":"` + long(128) + `"}`, ""},
		{"username 129", `{"Username":"` + long(129) + `"}`,
			"1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"username counts UTF-16 units", `{"Username":"` + strings.Repeat("😀", 65) + `"}`,
			"1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"username space", `{"Username":"a b"}`,
			`1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`},
		{"username control", `{"Username":"a\u0007"}`,
			`1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`},
		{"username no-break space", `{"Username":"a\u00a0b"}`,
			`1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`},
		{"username empty", `{"Username":""}`,
			"1 validation error detected: Value at 'username' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"group 129", `{"GroupName":"` + long(129) + `"}`,
			"1 validation error detected: Value at 'groupName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"attribute name 32", `{"AttributeName":"custom:` + long(25) + `"}`, ""},
		{"attribute name 33", `{"AttributeName":"` + long(33) + `"}`,
			"1 validation error detected: Value at 'attributeName' failed to satisfy constraint: Member must have length less than or equal to 32"},
		{"password 256", `{"Password":"` + long(256) + `"}`, ""},
		{"password 257", `{"Password":"` + long(257) + `"}`,
			"1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to 256"},
		{"code", `{"ConfirmationCode":"123456"}`, ""},
		{"code space", `{"ConfirmationCode":"12 34"}`,
			`1 validation error detected: Value at 'confirmationCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+`},
		{"code 2049", `{"ConfirmationCode":"` + long(2049) + `"}`,
			"1 validation error detected: Value at 'confirmationCode' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"session 19", `{"Session":"` + long(19) + `"}`,
			"1 validation error detected: Value at 'session' failed to satisfy constraint: Member must have length greater than or equal to 20"},
		{"session 2049", `{"Session":"` + long(2049) + `"}`,
			"1 validation error detected: Value at 'session' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"access token", `{"AccessToken":"eyJ.a-b_c.d="}`, ""},
		{"access token slash", `{"AccessToken":"a/b"}`,
			`1 validation error detected: Value at 'accessToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9-_=.]+`},
		{"client secret 65", `{"ClientSecret":"` + long(65) + `"}`,
			"1 validation error detected: Value at 'clientSecret' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"secret hash", `{"SecretHash":"ab+/cd=="}`, ""},
		{"secret hash 129", `{"SecretHash":"` + long(129) + `"}`,
			"1 validation error detected: Value at 'secretHash' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"pool name", `{"PoolName":"My pool, v2.0 @home=+-"}`, ""},
		{"pool name 129", `{"PoolName":"` + long(129) + `"}`,
			"1 validation error detected: Value at 'poolName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"client name slash", `{"ClientName":"a/b"}`,
			`1 validation error detected: Value at 'clientName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w\s+=,.@-]+`},
		{"device key", `{"DeviceKey":"us-east-1_0a1b-2c"}`, ""},
		{"device key upper hex", `{"DeviceKey":"us-east-1_0A"}`,
			`1 validation error detected: Value at 'deviceKey' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+_[0-9a-f-]+`},
		{"next token space", `{"NextToken":"a b"}`,
			`1 validation error detected: Value at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [\S]+`},
		{"next token 65536", `{"NextToken":"` + long(65536) + `"}`,
			"1 validation error detected: Value at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to 65535"},
		{"identity pool id", `{"IdentityPoolId":"us-east-1:0a1b2c3d-0000-4000-8000-00000000beef"}`, ""},
		{"identity pool id upper hex", `{"IdentityPoolId":"us-east-1:ABC"}`,
			`1 validation error detected: Value at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`},
		{"identity pool id 56", `{"IdentityPoolId":"` + long(54) + `:0"}`,
			"1 validation error detected: Value at 'identityPoolId' failed to satisfy constraint: Member must have length less than or equal to 55"},
		{"identity id two colons", `{"IdentityId":"a:b:0"}`,
			`1 validation error detected: Value at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`},
		{"identity pool name", `{"IdentityPoolName":"guests pool"}`, ""},
		{"identity pool name 129", `{"IdentityPoolName":"` + long(129) + `"}`,
			"1 validation error detected: Value at 'identityPoolName' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"developer user identifier 1025", `{"DeveloperUserIdentifier":"` + long(1025) + `"}`,
			"1 validation error detected: Value at 'developerUserIdentifier' failed to satisfy constraint: Member must have length less than or equal to 1024"},
		{"limit 0", `{"Limit":0}`, ""},
		{"limit 61", `{"Limit":61}`,
			"1 validation error detected: Value '61' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 60"},
		{"limit -1", `{"Limit":-1}`,
			"1 validation error detected: Value '-1' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"max results 0", `{"MaxResults":0}`,
			"1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"attributes", `{"UserAttributes":[{"Name":"email","Value":"a@example.com"}]}`, ""},
		{"attribute value 2049", `{"UserAttributes":[{"Name":"email","Value":"` + long(2049) + `"}]}`,
			"1 validation error detected: Value at 'userAttributes.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 2048"},
		{"attribute name in list 33", `{"UserAttributes":[{"Name":"a"},{"Name":"` + long(33) + `"}]}`,
			"1 validation error detected: Value at 'userAttributes.2.member.name' failed to satisfy constraint: Member must have length less than or equal to 32"},
		{"attribute names element", `{"UserAttributeNames":["email","` + long(33) + `"]}`,
			"1 validation error detected: Value at 'userAttributeNames' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 32]"},
		{"auth parameters", `{"AuthParameters":{"USERNAME":"alice","SRP_A":"` + long(3000) + `"}}`, ""},
		{"auth parameters username 129", `{"AuthParameters":{"USERNAME":"` + long(129) + `"}}`,
			"1 validation error detected: Value at 'authParameters.USERNAME' failed to satisfy constraint: Member must have length less than or equal to 128"},
		{"logins 10", `{"Logins":{` + loginsJSON(10) + `}}`, ""},
		{"logins 11", `{"Logins":{` + loginsJSON(11) + `}}`,
			"1 validation error detected: Value at 'logins' failed to satisfy constraint: Member must have length less than or equal to 10"},
		{"logins key 129", `{"Logins":{"` + long(129) + `":"t"}}`,
			"1 validation error detected: Value at 'logins' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128]"},
		{"logins value empty", `{"Logins":{"k":""}}`,
			"1 validation error detected: Value at 'logins' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length greater than or equal to 1]"},
		{"identities to delete 61", `{"IdentityIdsToDelete":[` + strings.Repeat(`"a:0",`, 60) + `"a:0"]}`,
			"1 validation error detected: Value at 'identityIdsToDelete' failed to satisfy constraint: Member must have length less than or equal to 60"},
		{"roles", `{"Roles":{"authenticated":"arn:aws:iam::000000000000:role/auth"}}`, ""},
		{"roles arn short", `{"Roles":{"authenticated":"arn:x"}}`,
			"1 validation error detected: Value at 'roles' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length greater than or equal to 20]"},
		{"roles 3 entries", `{"Roles":{"a":"arn:aws:iam::000000000000:role/a","b":"arn:aws:iam::000000000000:role/b","c":"arn:aws:iam::000000000000:role/c"}}`,
			"1 validation error detected: Value at 'roles' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"principal tag value 257", `{"PrincipalTags":{"k":"` + long(257) + `"}}`,
			"1 validation error detected: Value at 'principalTags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256]"},
		{"pool tag key 129", `{"UserPoolTags":{"` + long(129) + `":"v"}}`,
			"1 validation error detected: Value at 'userPoolTags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128]"},
		{"sms message 141", `{"SmsVerificationMessage":"` + long(141) + `"}`,
			"1 validation error detected: Value at 'smsVerificationMessage' failed to satisfy constraint: Member must have length less than or equal to 140"},
		{"free member", `{"Free":"` + long(300000) + `"}`, ""},
		{"tagged member takes the tag's shape", `{"Tagged":"a b"}`,
			`1 validation error detected: Value at 'tagged' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{M}\p{S}\p{N}\p{P}]+`},
		{"opted out", `{"UserPoolIdCopy":"nope"}`, ""},
		{"absent members are not checked", `{}`, ""},
		{"several", `{"UserPoolId":"us-east-1_a","Username":"` + long(129) + `","ClientId":"a b"}`,
			`2 validation errors detected: Value at 'clientId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+]+; ` +
				"Value at 'username' failed to satisfy constraint: Member must have length less than or equal to 128"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in shapeInput
			err := Decode([]byte(tc.body), &in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Decode = %v, want no error", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Type != "InvalidParameterException" || e.Status != 400 {
				t.Fatalf("Decode = %v, want a 400 InvalidParameterException", err)
			}
			if e.Message != tc.want {
				t.Errorf("message\n got %s\nwant %s", e.Message, tc.want)
			}
		})
	}
}

func loginsJSON(n int) string {
	var parts []string
	for i := range n {
		b, _ := json.Marshal(strings.Repeat("p", i+1))
		parts = append(parts, string(b)+`:"token"`)
	}
	return strings.Join(parts, ",")
}

// TestShapeCharacterClasses checks the hand-written classes against their definitions.
func TestShapeCharacterClasses(t *testing.T) {
	for r := rune(0); r < 0x3000; r++ {
		s := string(r)
		wantVisible := !strings.ContainsAny(s, " \t\n\v\f\r") && isLetterMarkSymbolNumberPunct(r)
		if got := isVisible(r); got != wantVisible {
			t.Fatalf("isVisible(%U) = %v, want %v", r, got, wantVisible)
		}
		wantWord := r < 128 && (r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		if got := isWord(r); got != wantWord {
			t.Fatalf("isWord(%U) = %v, want %v", r, got, wantWord)
		}
	}
}

// isLetterMarkSymbolNumberPunct is the category test through unicode's per-category functions.
func isLetterMarkSymbolNumberPunct(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsSymbol(r) || unicode.IsNumber(r) || unicode.IsPunct(r)
}

// TestInputTypeOfHandler checks that InputType finds the input struct of a Handler action
// without running it.
func TestInputTypeOfHandler(t *testing.T) {
	ran := false
	a := Action{Name: "X", Handle: Handler(func(_ context.Context, in *shapeInput) (*struct{}, error) {
		ran = true
		return nil, nil
	})}
	if got := InputType(a); got != reflect.TypeFor[shapeInput]() || ran {
		t.Fatalf("InputType = %v (ran %v), want shapeInput without running", got, ran)
	}
	raw := Action{Name: "Y", Handle: func(context.Context, []byte) (any, error) { return "x", nil }}
	if got := InputType(raw); got != nil {
		t.Fatalf("InputType of a raw handler = %v, want nil", got)
	}
}

// FuzzShapes: Decode never fails other than with a 400, and what it accepts keeps the bounds,
// checked here with unicode's per-category functions rather than the shapes' own code.
func FuzzShapes(f *testing.F) {
	f.Add(`{"UserPoolId":"us-east-1_abc","Username":"Zoë","ClientId":"abc+1"}`)
	f.Add(`{"Username":"a\u00a0b","UserPoolId":"_x"}`)
	f.Add(`{"Logins":{"k":"v"},"IdentityId":"a:0-f"}`)
	f.Fuzz(func(t *testing.T, body string) {
		var in shapeInput
		err := Decode([]byte(body), &in)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("Decode(%q) = %v, want a 400 *Error", body, err)
			}
			return
		}
		if in.Username != "" {
			if n := len(utf16.Encode([]rune(in.Username))); n > 128 {
				t.Fatalf("accepted a username of %d UTF-16 units", n)
			}
			for _, r := range in.Username {
				if !isLetterMarkSymbolNumberPunct(r) {
					t.Fatalf("accepted a username with %U", r)
				}
			}
		}
		if in.UserPoolId != "" {
			i := strings.LastIndexByte(in.UserPoolId, '_')
			if len(in.UserPoolId) > 55 || i < 1 || i == len(in.UserPoolId)-1 || strings.Trim(in.UserPoolId[i+1:], "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
				t.Fatalf("accepted the pool id %q", in.UserPoolId)
			}
		}
		if len(in.Logins) > 10 {
			t.Fatalf("accepted %d logins", len(in.Logins))
		}
	})
}

// TestManagedLoginShapes checks the hand-written forms and classes of the managed-login
// members against the model's regular expressions (regexp is fine in a test), over every
// short string of a small alphabet and every character of the classes' range.
func TestManagedLoginShapes(t *testing.T) {
	prefix := regexp.MustCompile(`^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`)
	newProvider := regexp.MustCompile(`^[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+$`)
	alphabet := []string{"a", "0", "-", "_", "A", ".", " ", "\u00a0", "é"}
	var walk func(s string, depth int)
	walk = func(s string, depth int) {
		if s != "" {
			if !strings.Contains(s, ".") && isDomainName(s) != prefix.MatchString(s) {
				t.Fatalf("isDomainName(%q) = %v, the model's pattern says %v", s, isDomainName(s), prefix.MatchString(s))
			}
			if got, want := isNewProviderName(s), newProvider.MatchString(s); got != want {
				t.Fatalf("isNewProviderName(%q) = %v, the model's pattern says %v", s, got, want)
			}
		}
		if depth == 4 {
			return
		}
		for _, c := range alphabet {
			walk(s+c, depth+1)
		}
	}
	walk("", 0)
	if !isDomainName(strings.Repeat("a", 63)) || isDomainName(strings.Repeat("a", 64)) {
		t.Fatal("a label is 1 to 63 characters")
	}
	for _, tc := range []struct {
		domain string
		ok     bool
	}{{"auth.example.com", true}, {"a-1.b2.c", true}, {"auth..example.com", false}, {".example.com", false},
		{"auth.example.com.", false}, {"auth-.example.com", false}, {"Auth.example.com", false}} {
		if got := isDomainName(tc.domain); got != tc.ok {
			t.Errorf("isDomainName(%q) = %v, want %v", tc.domain, got, tc.ok)
		}
	}
	classes := []struct {
		name string
		fn   func(rune) bool
		re   *regexp.Regexp
	}{
		{"identifier", isResourceServerIdentifierChar, regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]$`)},
		{"scope name", isScopeNameChar, regexp.MustCompile(`^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]$`)},
		// The model's \s is Java's, which has \x0B; Go's has not.
		{"idp identifier", isIdpIdentifierChar, regexp.MustCompile(`^[\w\t\n\x0B\f\r +=.@-]$`)},
		{"provider name", isVisibleOrSeparator, regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}\p{Z}]$`)},
	}
	for _, c := range classes {
		for r := rune(0); r < 0x3000; r++ {
			if got, want := c.fn(r), c.re.MatchString(string(r)); got != want {
				t.Fatalf("%s class: %U = %v, the model's pattern says %v", c.name, r, got, want)
			}
		}
	}
}

// TestBrandingShapes checks the branding members' hand-written forms against the model's
// regular expressions: ManagedLoginBrandingId (a version-4 UUID) over mutations of a valid
// one, ResourceId's class over every character of its range.
func TestBrandingShapes(t *testing.T) {
	uuid := regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[4][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`)
	valid := "0a1b2c3d-4e5f-4a6b-8c7d-0123456789AB"
	if !isUUIDv4(valid) {
		t.Fatalf("isUUIDv4(%q) is false", valid)
	}
	for i := 0; i < len(valid); i++ {
		for _, c := range "0aF4589bBg-_ \u00e9" {
			s := valid[:i] + string(c) + valid[i+1:]
			if got, want := isUUIDv4(s), uuid.MatchString(s); got != want {
				t.Fatalf("isUUIDv4(%q) = %v, the model's pattern says %v", s, got, want)
			}
		}
	}
	for _, s := range []string{"", valid + "0", valid[1:], strings.ToUpper(valid)} {
		if got, want := isUUIDv4(s), uuid.MatchString(s); got != want {
			t.Fatalf("isUUIDv4(%q) = %v, the model's pattern says %v", s, got, want)
		}
	}
	resourceID := regexp.MustCompile(`^[\w\- ]$`)
	for r := rune(0); r < 0x3000; r++ {
		if got, want := isResourceIdChar(r), resourceID.MatchString(string(r)); got != want {
			t.Fatalf("isResourceIdChar(%q) = %v, the model's class says %v", r, got, want)
		}
	}
}

// TestShapeASCIITables: every shape with a character class has its ASCII table, and matches
// reads the same with it as char alone would, for ASCII, other Unicode and bad UTF-8.
func TestShapeASCIITables(t *testing.T) {
	values := []string{"abc", "a b", "A-Z_09=.", "x+y/z", "Zoë", "a\u00a0b", "\xff", "ok\xc3", "{####}", "eyJhbGciOi.e30.sig", "\t"}
	var check func(name string, s *shape)
	check = func(name string, s *shape) {
		if s == nil {
			return
		}
		if s.char != nil {
			if s.ascii == nil {
				t.Fatalf("%s: no ASCII table", name)
			}
			for _, v := range values {
				want := true
				for _, r := range v {
					want = want && s.char(r)
				}
				want = want && (s.form == nil || s.form(v))
				if got := s.matches(v); got != want {
					t.Errorf("%s: matches(%q) = %v, want %v", name, v, got, want)
				}
			}
		}
		check(name+"[]", s.elem)
		check(name+"{key}", s.key)
		for k, e := range s.entries {
			check(name+"."+k, e)
		}
	}
	for name, s := range memberShapes {
		check(name, s)
	}
}
