package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const sub = "us-east-1:0c8e9a4c-1111-2222-3333-444455556666"

func mustParse(t testing.TB, doc string) *Document {
	t.Helper()
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return d
}

func req(action, resource string) Request {
	return Request{
		Action:   action,
		Resource: resource,
		Vars: map[string]string{
			"cognito-identity.amazonaws.com:sub": sub,
			"cognito-identity.amazonaws.com:aud": "us-east-1:pool",
			"aws:username":                       "alice",
		},
		Sets: map[string][]string{
			"cognito-identity.amazonaws.com:amr": {"authenticated", "cognito-idp.us-east-1.amazonaws.com/us-east-1_X"},
		},
	}
}

// The per-user prefix policy from AWS's documentation for identity pools.
const userPrefixPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ListOwn", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket",
     "Condition": {"StringLike": {"s3:prefix": ["${cognito-identity.amazonaws.com:sub}/*"]}}},
    {"Sid": "RWOwn", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": ["arn:aws:s3:::bucket/${cognito-identity.amazonaws.com:sub}/*"]},
    {"Sid": "Public", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::bucket/public/*"},
    {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bucket/public/secret*"}
  ]
}`

func TestEvaluate(t *testing.T) {
	d := mustParse(t, userPrefixPolicy)
	withPrefix := func(r Request, prefix string) Request {
		r.Vars["s3:prefix"] = prefix
		return r
	}
	tests := []struct {
		name string
		r    Request
		want Decision
	}{
		{"own object read", req("s3:GetObject", "arn:aws:s3:::bucket/"+sub+"/photo.jpg"), Allow},
		{"own object write", req("s3:PutObject", "arn:aws:s3:::bucket/"+sub+"/a/b/c"), Allow},
		{"action case-insensitive", req("S3:getobject", "arn:aws:s3:::bucket/"+sub+"/x"), Allow},
		{"resource case-sensitive", req("s3:GetObject", "arn:aws:s3:::BUCKET/"+sub+"/x"), ImplicitDeny},
		{"other user's prefix", req("s3:GetObject", "arn:aws:s3:::bucket/us-east-1:other/photo.jpg"), ImplicitDeny},
		{"own prefix without slash", req("s3:GetObject", "arn:aws:s3:::bucket/"+sub), ImplicitDeny},
		{"delete not granted", req("s3:DeleteObject", "arn:aws:s3:::bucket/"+sub+"/x"), ImplicitDeny},
		{"public read by wildcard action", req("s3:GetObjectTagging", "arn:aws:s3:::bucket/public/x"), Allow},
		{"explicit deny wins", req("s3:GetObject", "arn:aws:s3:::bucket/public/secret.txt"), ExplicitDeny},
		{"list own prefix", withPrefix(req("s3:ListBucket", "arn:aws:s3:::bucket"), sub+"/"), Allow},
		{"list other prefix", withPrefix(req("s3:ListBucket", "arn:aws:s3:::bucket"), "us-east-1:x/"), ImplicitDeny},
		{"list without prefix key", req("s3:ListBucket", "arn:aws:s3:::bucket"), ImplicitDeny},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := d.Evaluate(tc.r); got != tc.want {
				t.Fatalf("Evaluate(%s %s) = %v, want %v", tc.r.Action, tc.r.Resource, got, tc.want)
			}
		})
	}
}

func TestMissingVariableMatchesNothing(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`)
	r := req("s3:GetObject", "arn:aws:s3:::b//x")
	delete(r.Vars, "aws:username")
	if got := d.Evaluate(r); got != ImplicitDeny {
		t.Fatalf("absent variable: %v, want ImplicitDeny", got)
	}
	if got := d.Evaluate(req("s3:GetObject", "arn:aws:s3:::b/alice/x")); got != Allow {
		t.Fatalf("present variable: %v", got)
	}
	withDefault := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username, 'guest'}/*"}}`)
	if got := withDefault.Evaluate(r); got != ImplicitDeny {
		t.Fatalf("default must replace, not widen: %v", got)
	}
	r.Resource = "arn:aws:s3:::b/guest/x"
	if got := withDefault.Evaluate(r); got != Allow {
		t.Fatalf("default value: %v", got)
	}
}

func TestVariableValueIsLiteral(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`)
	r := req("s3:GetObject", "arn:aws:s3:::b/bob/x")
	r.Vars["aws:username"] = "*"
	if got := d.Evaluate(r); got != ImplicitDeny {
		t.Fatalf("a '*' inside a variable's value widened the resource: %v", got)
	}
	r.Resource = "arn:aws:s3:::b/*/x"
	if got := d.Evaluate(r); got != Allow {
		t.Fatalf("literal '*' value: %v", got)
	}
}

func TestVersion2008HasNoVariables(t *testing.T) {
	d := mustParse(t, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}}`)
	if d.Version != Version2008 {
		t.Fatalf("default version %q", d.Version)
	}
	if got := d.Evaluate(req("s3:GetObject", "arn:aws:s3:::b/alice/x")); got != ImplicitDeny {
		t.Fatalf("variable substituted under 2008-10-17: %v", got)
	}
	if got := d.Evaluate(req("s3:GetObject", "arn:aws:s3:::b/${aws:username}/x")); got != Allow {
		t.Fatalf("literal ${...}: %v", got)
	}
}

func TestSpecialCharacterVariables(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${*}${?}${$}/*"}}`)
	if got := d.Evaluate(req("s3:GetObject", "arn:aws:s3:::b/*?$/k")); got != Allow {
		t.Fatalf("literal specials: %v", got)
	}
	if got := d.Evaluate(req("s3:GetObject", "arn:aws:s3:::b/aa$/k")); got != ImplicitDeny {
		t.Fatalf("${*} acted as a wildcard: %v", got)
	}
}

func TestNotActionNotResource(t *testing.T) {
	d := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"},
		{"Effect":"Deny","Action":"*","NotResource":["arn:aws:s3:::open/*","arn:aws:s3:::open"]}]}`)
	cases := map[string]Decision{
		"s3:GetObject arn:aws:s3:::open/k":      Allow,
		"s3:DeleteObject arn:aws:s3:::open/k":   ImplicitDeny,
		"s3:GetObject arn:aws:s3:::closed/k":    ExplicitDeny,
		"s3:DeleteObject arn:aws:s3:::closed/k": ExplicitDeny,
		"s3:ListBucket arn:aws:s3:::open":       Allow,
	}
	for in, want := range cases {
		a, r, _ := strings.Cut(in, " ")
		if got := d.Evaluate(req(a, r)); got != want {
			t.Errorf("%s: %v, want %v", in, got, want)
		}
	}
}

func TestWildcards(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/", true},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b", false},
		{"arn:aws:s3:::b/?", "arn:aws:s3:::b/é", true}, // '?' is one character, not one byte
		{"arn:aws:s3:::b/?", "arn:aws:s3:::b/ab", false},
		{"arn:aws:s3:::b/*.jpg", "arn:aws:s3:::b/x.jpg.png.jpg", true},
		{"arn:aws:s3:::b/*.jpg", "arn:aws:s3:::b/x.jpg.png", false},
		{"arn:aws:s3:::b/*a*b*c", "arn:aws:s3:::b/xaxbxcxc", true},
		{"arn:aws:s3:::b/*a*b*c", "arn:aws:s3:::b/xaxcxb", false},
		{"arn:aws:s3:::*/?é*", "arn:aws:s3:::b/xé", true},
		{"arn:aws:s3:::b/**", "arn:aws:s3:::b/anything", true},
		{"*", "", true},
	}
	for _, tc := range tests {
		p, err := compile(tc.pattern, true)
		if err != nil {
			t.Fatal(err)
		}
		r := Request{}
		if got := p.match(&r, tc.s, false); got != tc.want {
			t.Errorf("match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestConditions(t *testing.T) {
	base := func(cond string) *Document {
		return mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":`+cond+`}}`)
	}
	with := func(kv ...string) Request {
		r := req("s3:GetObject", "arn:aws:s3:::b/k")
		for i := 0; i < len(kv); i += 2 {
			r.Vars[kv[i]] = kv[i+1]
		}
		return r
	}
	tests := []struct {
		name string
		cond string
		r    Request
		want bool
	}{
		{"StringEquals variable", `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:pool"}}`, with(), true},
		{"StringEquals mismatch", `{"StringEquals":{"cognito-identity.amazonaws.com:aud":"us-east-1:other"}}`, with(), false},
		{"StringEquals key case-insensitive", `{"StringEquals":{"Cognito-Identity.amazonaws.com:AUD":"us-east-1:pool"}}`, with(), true},
		{"StringEquals value case-sensitive", `{"StringEquals":{"aws:username":"ALICE"}}`, with(), false},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, with(), true},
		{"StringEquals no wildcard", `{"StringEquals":{"aws:username":"a*"}}`, with(), false},
		{"StringEquals any of values", `{"StringEquals":{"aws:username":["bob","alice"]}}`, with(), true},
		{"StringEquals absent key", `{"StringEquals":{"s3:prefix":"x"}}`, with(), false},
		{"StringEqualsIfExists absent key", `{"StringEqualsIfExists":{"s3:prefix":"x"}}`, with(), true},
		{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"s3:prefix":"x"}}`, with("s3:prefix", "y"), false},
		{"StringNotEquals absent key holds", `{"StringNotEquals":{"s3:prefix":"x"}}`, with(), true},
		{"StringNotEquals none match", `{"StringNotEquals":{"aws:username":["bob","carol"]}}`, with(), true},
		{"StringNotEquals one matches", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, with(), false},
		{"StringLike", `{"StringLike":{"aws:username":"al*"}}`, with(), true},
		{"StringLike with variable", `{"StringLike":{"s3:prefix":"${cognito-identity.amazonaws.com:sub}/*"}}`, with("s3:prefix", sub+"/docs"), true},
		{"StringNotLike", `{"StringNotLike":{"aws:username":"al*"}}`, with(), false},
		{"two keys are AND", `{"StringEquals":{"aws:username":"alice","cognito-identity.amazonaws.com:aud":"nope"}}`, with(), false},
		{"two operators are AND", `{"StringEquals":{"aws:username":"alice"},"StringLike":{"cognito-identity.amazonaws.com:aud":"us-east-1:*"}}`, with(), true},
		{"ForAnyValue amr", `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, with(), true},
		{"ForAnyValue amr unauth", `{"ForAnyValue:StringLike":{"cognito-identity.amazonaws.com:amr":"unauthenticated"}}`, with(), false},
		{"ForAllValues subset", `{"ForAllValues:StringLike":{"cognito-identity.amazonaws.com:amr":["authenticated","cognito-idp.*"]}}`, with(), true},
		{"ForAllValues not subset", `{"ForAllValues:StringEquals":{"cognito-identity.amazonaws.com:amr":"authenticated"}}`, with(), false},
		{"ForAllValues absent key", `{"ForAllValues:StringEquals":{"x:y":"z"}}`, with(), true},
		{"ForAnyValue absent key", `{"ForAnyValue:StringEquals":{"x:y":"z"}}`, with(), false},
		{"Null true absent", `{"Null":{"s3:prefix":"true"}}`, with(), true},
		{"Null false absent", `{"Null":{"s3:prefix":"false"}}`, with(), false},
		{"Null false present", `{"Null":{"s3:prefix":"false"}}`, with("s3:prefix", ""), true},
		{"Bool", `{"Bool":{"aws:SecureTransport":true}}`, with("aws:SecureTransport", "true"), true},
		{"Bool false", `{"Bool":{"aws:SecureTransport":"true"}}`, with("aws:SecureTransport", "false"), false},
		{"NumericLessThan", `{"NumericLessThan":{"s3:max-keys":100}}`, with("s3:max-keys", "10"), true},
		{"NumericLessThan no", `{"NumericLessThan":{"s3:max-keys":"100"}}`, with("s3:max-keys", "100"), false},
		{"NumericGreaterThanEquals", `{"NumericGreaterThanEquals":{"s3:max-keys":"100"}}`, with("s3:max-keys", "100"), true},
		{"NumericEquals not a number", `{"NumericEquals":{"s3:max-keys":"1"}}`, with("s3:max-keys", "one"), false},
		{"DateLessThan", `{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`, with("aws:CurrentTime", "2029-12-31T23:59:59Z"), true},
		{"DateGreaterThan epoch", `{"DateGreaterThan":{"aws:CurrentTime":"1700000000"}}`, with("aws:CurrentTime", "2024-01-01T00:00:00Z"), true},
		{"ArnLike", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Cognito*"}}`, with("aws:PrincipalArn", "arn:aws:iam::000000000000:role/CognitoAuth"), true},
		{"literal star in equals value", `{"StringEquals":{"aws:username":"${*}"}}`, with("aws:username", "*"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := base(tc.cond).Evaluate(tc.r) == Allow
			if got != tc.want {
				t.Fatalf("condition %s: allowed = %v, want %v", tc.cond, got, tc.want)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]string{
		"not json":           `{`,
		"trailing":           `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}} {}`,
		"unknown member":     `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Extra":1}`,
		"unknown stmt field": `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Actions":"*"}}`,
		"bad version":        `{"Version":"2020-01-01","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
		"no statement":       `{"Version":"2012-10-17"}`,
		"empty statements":   `{"Statement":[]}`,
		"statement string":   `{"Statement":"x"}`,
		"no effect":          `{"Statement":{"Action":"*","Resource":"*"}}`,
		"bad effect":         `{"Statement":{"Effect":"allow","Action":"*","Resource":"*"}}`,
		"principal":          `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}}`,
		"no action":          `{"Statement":{"Effect":"Allow","Resource":"*"}}`,
		"both actions":       `{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:x","Resource":"*"}}`,
		"no resource":        `{"Statement":{"Effect":"Allow","Action":"*"}}`,
		"empty action list":  `{"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`,
		"empty action":       `{"Statement":{"Effect":"Allow","Action":"","Resource":"*"}}`,
		"action no service":  `{"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`,
		"action number":      `{"Statement":{"Effect":"Allow","Action":5,"Resource":"*"}}`,
		"action null":        `{"Statement":{"Effect":"Allow","Action":null,"Resource":"*"}}`,
		"resource not arn":   `{"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket/key"}}`,
		"unterminated var":   `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username"}}`,
		"empty var":          `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${}"}}`,
		"bad var default":    `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username, guest}"}}`,
		"bad var chars":      `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${a b}"}}`,
		"unknown operator":   `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringMatches":{"k":"v"}}}}`,
		"unknown qualifier":  `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForSome:StringLike":{"k":"v"}}}}`,
		"null with ifexists": `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"k":"true"}}}}`,
		"empty op block":     `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{}}}}`,
		"empty values":       `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"k":[]}}}}`,
		"object value":       `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"k":{}}}}}`,
		"bad number":         `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"k":"ten"}}}}`,
		"bad date":           `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"k":"tomorrow"}}}}`,
		"bad bool":           `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"k":"yes"}}}}`,
		"duplicate sid":      `{"Statement":[{"Sid":"a","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"*","Resource":"*"}]}`,
		"too large":          `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Sid":"` + strings.Repeat("x", MaxSize) + `"}}`,
	}
	for name, doc := range tests {
		t.Run(name, func(t *testing.T) {
			d, err := Parse([]byte(doc))
			if err == nil {
				t.Fatalf("Parse accepted %s: %+v", clip(doc), d)
			}
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "policy: ") {
				t.Fatalf("error %v does not wrap ErrInvalid with the package prefix", err)
			}
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	d := mustParse(t, userPrefixPolicy)
	again := mustParse(t, string(d.JSON()))
	if string(again.JSON()) != string(d.JSON()) || len(again.Statements) != len(d.Statements) {
		t.Fatalf("round trip changed the document")
	}
	if strings.ContainsAny(string(d.JSON()), "\n") {
		t.Fatalf("JSON is not compact")
	}
}

func TestNilDocumentDenies(t *testing.T) {
	var d *Document
	if d.Evaluate(req("s3:GetObject", "*")) != ImplicitDeny {
		t.Fatal("nil document allowed")
	}
}

// LargePolicy builds a policy of n statements, none of which matches "s3:GetObject" on the
// caller's own prefix except the last.
func LargePolicy(n int) string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := 0; i < n-1; i++ {
		fmt.Fprintf(&b, `{"Sid":"S%d","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::bucket-%d/${cognito-identity.amazonaws.com:sub}/*","Condition":{"StringLike":{"aws:username":"user-%d-*"}}},`, i, i, i)
	}
	b.WriteString(`{"Sid":"Own","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${cognito-identity.amazonaws.com:sub}/*"}]}`)
	return b.String()
}

func TestLargePolicy(t *testing.T) {
	d := mustParse(t, LargePolicy(100))
	if d.Evaluate(req("s3:GetObject", "arn:aws:s3:::bucket/"+sub+"/k")) != Allow {
		t.Fatal("last statement not reached")
	}
	if d.Evaluate(req("s3:PutObject", "arn:aws:s3:::bucket/"+sub+"/k")) != ImplicitDeny {
		t.Fatal("unexpected allow")
	}
}

func BenchmarkEvaluateSmall(b *testing.B) {
	d := mustParse(b, userPrefixPolicy)
	r := req("s3:GetObject", "arn:aws:s3:::bucket/"+sub+"/photo.jpg")
	b.ReportAllocs()
	for b.Loop() {
		if d.Evaluate(r) != Allow {
			b.Fatal("denied")
		}
	}
}

func BenchmarkEvaluateLarge(b *testing.B) {
	d := mustParse(b, LargePolicy(100))
	r := req("s3:GetObject", "arn:aws:s3:::bucket/"+sub+"/photo.jpg")
	b.ReportAllocs()
	for b.Loop() {
		if d.Evaluate(r) != Allow {
			b.Fatal("denied")
		}
	}
}

func BenchmarkParseLarge(b *testing.B) {
	doc := []byte(LargePolicy(100))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
