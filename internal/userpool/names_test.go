package userpool

import (
	"regexp"
	"strings"
	"testing"
)

// nameShapes pairs each check in names.go with the regular expression it replaced (and the
// length in bytes the caller capped it at, if any).
type nameShape struct {
	name   string
	check  func(string) bool
	re     *regexp.Regexp
	maxLen int
}

var nameShapes = []nameShape{
	{"username", validUsername, regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`), 0},
	{"group name", validGroupName, regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$`), 0},
	{"custom attribute name", validCustomAttributeName, regexp.MustCompile(`^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,20}$`), 0},
	{"resource name", validResourceName, regexp.MustCompile(`^[\w\s+=,.@-]{1,128}$`), 0},
	{"pool id", validPoolID, regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`), 0},
	{"client id", validClientID, regexp.MustCompile(`^[\w+]{1,128}$`), 0},
	{"client secret", validClientSecret, regexp.MustCompile(`^[\w+]{24,64}$`), 0},
	{"hex", validHex, regexp.MustCompile(`^[0-9a-fA-F]+$`), 0},
	{"email", validEmail, regexp.MustCompile(`^[^\s@]+@[^\s@]+$`), 2048},
	{"phone", validPhone, regexp.MustCompile(`^\+[0-9]{4,15}$`), 0},
	{"role arn", validRoleArn, regexp.MustCompile(`^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$`), 0},
}

func (sh nameShape) matches(s string) bool {
	return (sh.maxLen == 0 || len(s) <= sh.maxLen) && sh.re.MatchString(s)
}

var nameSeeds = []string{
	"", "a", "alice", "Ålice", "名前", "a b", "a\tb", "a\nb", "e\u0301", "😀", "\xff", "a\xffb", "x$", "\u00a0",
	strings.Repeat("a", 20), strings.Repeat("a", 21), strings.Repeat("é", 128), strings.Repeat("é", 129), "a@" + strings.Repeat("b", 2047), "a@" + strings.Repeat("b", 2046),
	"us-east-1_abc123", "us-east-1_", "_abc", "us_east_1_X9", "a-b_c-d", "eu-west-1_a_b",
	"abcdefghijklmnopqrstuvwxyz", "abc+def=", "0123456789abcdefABCDEF", "0x1",
	"a@b", "@b", "a@", "a@@b", "a b@c", "a@b@c", "é@ü", "\xff@\xfe",
	"+1234", "+123", "+1234567890123456", "+12345678901234", "12345", "+12a4",
	"arn:aws:iam::123456789012:role/admin", "arn:aws:iam:us-east-1:123456789012:role/a:b:c", "arn:aws:iam::12ab:role/x",
	"arn:aws:iam::1:role/a:b:c:d", "arn::iam::1:r", "arn:aws:iam:::r", "ARN:aws:iam::1:r",
}

func TestNameChecksMatchTheirExpressions(t *testing.T) {
	for _, sh := range nameShapes {
		for _, s := range nameSeeds {
			if got, want := sh.check(s), sh.matches(s); got != want {
				t.Errorf("%s(%q) = %v, the expression says %v", sh.name, s, got, want)
			}
		}
	}
}

func FuzzNameChecksMatchTheirExpressions(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, sh := range nameShapes {
			if got, want := sh.check(s), sh.matches(s); got != want {
				t.Errorf("%s(%q) = %v, the expression says %v", sh.name, s, got, want)
			}
		}
	})
}
