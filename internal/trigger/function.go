package trigger

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Function is where the configuration file says a Lambda ARN runs: an HTTP(S) URL, or on the
// Worker the name of a service binding (another Worker, reached without a public URL).
type Function struct {
	Arn string `json:"Arn"`
	Url string `json:"Url,omitempty"`
	// Service names a Cloudflare service binding of the Worker (wrangler.toml [[services]]);
	// only the Worker can reach one.
	Service string `json:"Service,omitempty"`
}

// BindingScheme is the URL scheme of a request to a service binding. Only the Worker's
// transport knows it; any other transport refuses the request, which the invoker reports as
// an unreachable function.
const BindingScheme = "binding"

// Check reports what is wrong with f as a configuration entry.
func (f Function) Check() error {
	if err := CheckArn(f.Arn); err != nil {
		return err
	}
	switch {
	case f.Url != "" && f.Service != "":
		return fmt.Errorf("function %s: give Url or Service, not both", f.Arn)
	case f.Service != "":
		if !isBindingName(f.Service) {
			return fmt.Errorf("function %s: Service %q is not a binding name (letters, digits, _)", f.Arn, f.Service)
		}
	case f.Url != "":
		u, err := url.Parse(f.Url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			return fmt.Errorf("function %s: Url must be an absolute http(s) URL without credentials", f.Arn)
		}
	default:
		return fmt.Errorf("function %s: needs a Url (or, on the Worker, a Service binding)", f.Arn)
	}
	return nil
}

// target is the URL the invoker POSTs to.
func (f Function) target() string {
	if f.Service != "" {
		return BindingScheme + "://" + f.Service + "/"
	}
	return f.Url
}

func isBindingName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ErrBadArn is CheckArn's error.
var ErrBadArn = errors.New("trigger: not a Lambda function ARN")

// CheckArn accepts what Cognito's model accepts for a trigger: a Lambda function ARN,
// arn:<partition>:lambda:<region>:<account>:function:<name>[:<version or alias>], at most
// 2048 characters.
func CheckArn(arn string) error {
	if len(arn) < 20 || len(arn) > 2048 {
		return fmt.Errorf("%w: length %d", ErrBadArn, len(arn))
	}
	parts := strings.SplitN(arn, ":", 8)
	if len(parts) < 7 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "lambda" ||
		parts[3] == "" || !digits(parts[4], 12) || parts[5] != "function" || !isFunctionName(parts[6]) {
		return fmt.Errorf("%w: %q", ErrBadArn, clip(arn))
	}
	if len(parts) == 8 && (parts[7] == "" || strings.ContainsAny(parts[7], ":/ ")) {
		return fmt.Errorf("%w: %q", ErrBadArn, clip(arn))
	}
	return nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isFunctionName(s string) bool {
	if s == "" || len(s) > 140 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
