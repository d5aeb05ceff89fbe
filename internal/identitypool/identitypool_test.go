package identitypool

import (
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
)

// TestKeysFitEveryAdmittedName builds every key kind from the longest parts the API and the
// configuration admit.
func TestKeysFitEveryAdmittedName(t *testing.T) {
	pool := "us-east-1:" + strings.Repeat("a", 45) // 55 characters
	id := "us-east-1:" + strings.Repeat("b", 45)
	longRole := "arn:aws-us-gov:iam::123456789012:role/" + strings.Repeat("r", 512)
	keys := map[string]string{
		"pool":            poolKey(pool),
		"identity":        identityKey(id),
		"member":          memberKey(pool, id),
		"login":           loginKey(pool, strings.Repeat("p", 128), strings.Repeat("𝔘", 1024)),
		"declared role":   roleKey(longRole),
		"custom role":     roleKey(strings.Repeat("𝔘", 2048)),
		"OIDC provider":   oidcRecordKey(strings.Repeat("𝔘", 32)),
		"OIDC ARN's name": oidcRecordKey(strings.Repeat("o", 1000)),
	}
	for what, k := range keys {
		if err := store.CheckKey(k); err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	// ARNs and provider names that fit keep the keys they had.
	short := "arn:aws:iam::123456789012:role/" + strings.Repeat("r", 400)
	if got := roleKey(short); got != "ir/"+short {
		t.Errorf("roleKey(%.40q…) = %.40q…, want it spelled out", short, got)
	}
	if got := oidcRecordKey("accounts.example.com/tenant"); got != "io/accounts.example.com/tenant" {
		t.Errorf("oidcRecordKey = %q", got)
	}
	if roleKey(longRole) == roleKey(longRole+"x") {
		t.Error("two long role ARNs share a key")
	}
}
