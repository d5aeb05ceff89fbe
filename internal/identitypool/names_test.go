package identitypool

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// nameShape pairs a check of names.go with the regular expression it replaced; sub, when
// set, is the submatch the check returns (matches() gives the expression's answer for it).
type nameShape struct {
	name  string
	check func(string) bool
	sub   func(string) string
	re    *regexp.Regexp
}

var nameShapes = []nameShape{
	{name: "pool name", check: validPoolName, re: regexp.MustCompile(`^[\w\s+=,.@-]{1,128}$`)},
	{name: "developer provider", check: validDeveloperProviderName, re: regexp.MustCompile(`^[\w._-]{1,128}$`)},
	{name: "client id", check: validClientID, re: regexp.MustCompile(`^[\w_]{1,128}$`)},
	{name: "user pool key", check: isUserPoolKey, sub: func(s string) string {
		region, poolID, _ := userPoolKey(s)
		return region + "|" + poolID
	}, re: regexp.MustCompile(`^cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9a-zA-Z]+)$`)},
	{name: "oidc arn", check: validOIDCArn, sub: oidcProviderName, re: regexp.MustCompile(`^arn:aws:iam::\d{12}:oidc-provider/(.{1,1000})$`)},
	{name: "role arn", check: validRoleArn, re: regexp.MustCompile(`^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)},
	{name: "account id", check: validAccountID, re: regexp.MustCompile(`^\d{1,15}$`)},
	{name: "saml arn", check: validSamlArn, re: regexp.MustCompile(`^arn:aws:iam::\d{12}:saml-provider/[\w+=,.@-]{1,128}$`)},
	{name: "login provider", check: validLoginProvider, re: regexp.MustCompile(`^[\w.;_/-]{1,128}$`)},
}

// compare reports how the check of sh and its expression disagree on s ("" when they agree).
func (sh nameShape) compare(s string) string {
	m := sh.re.FindStringSubmatch(s)
	if got, want := sh.check(s), m != nil; got != want {
		return "check says " + map[bool]string{true: "valid", false: "invalid"}[got] + ", the expression disagrees"
	}
	if m == nil || sh.sub == nil {
		return ""
	}
	if got, want := sh.sub(s), strings.Join(m[1:], "|"); got != want {
		return "check returns " + got + ", the expression " + want
	}
	return ""
}

var nameSeeds = []string{
	"", "a", "my pool", "my\tpool", "my\vpool", "pool+=,.@-", "pool!", "名前", "\xff", "a\x00b", "a\nb",
	strings.Repeat("a", 128), strings.Repeat("a", 129), strings.Repeat("é", 3),
	"login.example.com", "graph.facebook.com", "a;b/c", "a:b",
	"0", "123456789012345", "1234567890123456", "12a", "١٢٣",
	"cognito-idp.us-east-1.amazonaws.com/us-east-1_abc123", "cognito-idp.us-east-1.amazonaws.com/eu-west-1_abc",
	"cognito-idp.US-east-1.amazonaws.com/us-east-1_abc", "cognito-idp..amazonaws.com/x_y", "cognito-idp.a.amazonaws.com/_y",
	"cognito-idp.a.amazonaws.com/x_", "cognito-idp.a.amazonaws.com/x_y_z", "cognito-idp.a.b.amazonaws.com/x_y",
	"cognito-idp.a.amazonaws.com/x-y_z9", "cognito-idp.a.amazonaws.com/x_y\n", "cognito-idp.a.amazonaws.comx/x_y",
	"arn:aws:iam::123456789012:oidc-provider/example.com", "arn:aws:iam::123456789012:oidc-provider/", "arn:aws:iam::123456789012:oidc-provider/a\nb",
	"arn:aws:iam::123456789012:oidc-provider/" + strings.Repeat("é", 1000), "arn:aws:iam::123456789012:oidc-provider/" + strings.Repeat("é", 1001),
	"arn:aws:iam::12345678901:oidc-provider/x", "arn:aws:iam::1234567890123:oidc-provider/x", "arn:aws:iam::123456789012:oidc-provider/\xff",
	"arn:aws:iam::123456789012:role/admin", "arn:aws-cn:iam::123456789012:role/a/b", "arn:aws-us-gov:iam::123456789012:role/x",
	"arn:awsx_y:iam::123456789012:role/x", "arn:aws:x:iam::123456789012:role/x", "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role/a b",
	"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 512), "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 513),
	"arn:aws:iam::123456789012:saml-provider/Okta", "arn:aws:iam::123456789012:saml-provider/a/b", "arn:aws:iam::123456789012:saml-provider/",
	"arn:aws:iam::000000000000:saml-provider/a.b@c=d+e,f-g_h", "arn:aws:iam::123456789012:saml-provider/" + strings.Repeat("s", 128),
	"arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/x", "arn:aws:iam:us-east-1:123456789012:role/x",
}

// fragments build generated inputs: pieces of each shape and the runes at their edges.
var fragments = []string{
	"arn:aws", "arn:aws:iam::", "-cn", "-us-gov", "_", ":", "::", "iam", "123456789012", "12345", "0", "9",
	":role/", ":oidc-provider/", ":saml-provider/", "role/", "cognito-idp.", "us-east-1", ".amazonaws.com/", "amazonaws.com",
	"us-east-1_", "abc", "Z9", "x", ".", "-", "/", ";", "+", "=", ",", "@", " ", "\t", "\n", "\v", "\r", "\f", "\x00",
	"é", "名", "\xff", "\u00a0", "!", "$", "\\", "A", "a",
}

// generated returns n strings, the same ones on every run: seeds with one to three edits
// (a fragment inserted, a byte range cut, a rune replaced), so most lie near an edge of a shape.
func generated(n int) []string {
	rng := rand.New(rand.NewPCG(17, 2026))
	out := make([]string, n)
	for i := range out {
		s := nameSeeds[rng.IntN(len(nameSeeds))]
		for range 1 + rng.IntN(3) {
			at := rng.IntN(len(s) + 1)
			switch rng.IntN(3) {
			case 0:
				s = s[:at] + fragments[rng.IntN(len(fragments))] + s[at:]
			case 1:
				s = s[:at] + s[min(len(s), at+1+rng.IntN(4)):]
			default:
				if at < len(s) {
					s = s[:at] + fragments[rng.IntN(len(fragments))] + s[at+1:]
				}
			}
		}
		out[i] = s
	}
	return out
}

func TestNameChecks(t *testing.T) {
	tests := []struct {
		check func(string) bool
		in    string
		want  bool
	}{
		{validPoolName, "My pool, v2 @home", true},
		{validPoolName, "", false},
		{validPoolName, "pool!", false},
		{validPoolName, strings.Repeat("p", 129), false},
		{validDeveloperProviderName, "login.mycompany.myapp", true},
		{validDeveloperProviderName, "login/app", false},
		{validLoginProvider, "graph.facebook.com", true},
		{validLoginProvider, "www.amazon.com;x/y-z", true},
		{validLoginProvider, "accounts google", false},
		{validClientID, "1example23456789", true},
		{validClientID, "client+id", false},
		{validAccountID, "123456789012", true},
		{validAccountID, "1234567890123456", false},
		{validAccountID, "12-3", false},
		{isUserPoolKey, "cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123", true},
		{isUserPoolKey, "cognito-idp.us-east-1.amazonaws.com/us-east-1_", false},
		{isUserPoolKey, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc123", false},
		{validOIDCArn, "arn:aws:iam::123456789012:oidc-provider/issuer.example.com/realm", true},
		{validOIDCArn, "arn:aws:iam::12345678901:oidc-provider/issuer.example.com", false},
		{validSamlArn, "arn:aws:iam::123456789012:saml-provider/Okta-prod", true},
		{validSamlArn, "arn:aws:iam::123456789012:saml-provider/Okta/prod", false},
		{validRoleArn, "arn:aws:iam::123456789012:role/service-role/Cognito_Auth", true},
		{validRoleArn, "arn:aws-cn:iam::123456789012:role/x", true},
		{validRoleArn, "arn:aws:iam::123456789012:user/x", false},
		{validRoleArn, "arn:aws:sts::123456789012:role/x", false},
	}
	for _, tt := range tests {
		if got := tt.check(tt.in); got != tt.want {
			t.Errorf("check(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if region, poolID, ok := userPoolKey("cognito-idp.eu-west-1.amazonaws.com/eu-west-1_x_Y9"); !ok || region != "eu-west-1" || poolID != "eu-west-1_x_Y9" {
		t.Errorf("userPoolKey = %q, %q, %v", region, poolID, ok)
	}
	if got := oidcProviderName("arn:aws:iam::123456789012:oidc-provider/issuer.example.com"); got != "issuer.example.com" {
		t.Errorf("oidcProviderName = %q", got)
	}
}

func TestNameChecksMatchTheirExpressions(t *testing.T) {
	valid := map[string]int{}
	for _, s := range append(nameSeeds, generated(50000)...) {
		for _, sh := range nameShapes {
			if d := sh.compare(s); d != "" {
				t.Fatalf("%s(%q): %s", sh.name, s, d)
			}
			if sh.check(s) {
				valid[sh.name]++
			}
		}
	}
	// The inputs must reach both sides of every shape, or the comparison proves little.
	for _, sh := range nameShapes {
		if valid[sh.name] < 50 {
			t.Errorf("%s: only %d of the inputs are valid", sh.name, valid[sh.name])
		}
	}
}

func FuzzNameChecksMatchTheirExpressions(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sh := range nameShapes {
			if d := sh.compare(s); d != "" {
				t.Errorf("%s(%q): %s", sh.name, s, d)
			}
		}
	})
}
