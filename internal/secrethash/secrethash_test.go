package secrethash

import (
	"encoding/base64"
	"strings"
	"testing"
)

// The vector of spec §4.
const (
	vecSecret   = "s3cr3tvalue"
	vecUsername = "alice"
	vecClientID = "testclient123"
	vecHash     = "CLGa4dmKVu9fEx1a1aOaiVpZXj/7gs8sVvN8HcT1AqU="
)

func TestComputeSpecVector(t *testing.T) {
	if got := Compute(vecSecret, vecUsername, vecClientID); got != vecHash {
		t.Errorf("Compute = %s, want %s", got, vecHash)
	}
}

func TestVerify(t *testing.T) {
	if !Verify(vecSecret, vecUsername, vecClientID, vecHash) {
		t.Error("Verify(spec vector) = false")
	}
	raw, _ := base64.StdEncoding.DecodeString(vecHash)
	flipped := append([]byte(nil), raw...)
	flipped[0] ^= 1
	rejected := map[string]struct{ secret, user, client, hash string }{
		"wrong secret":      {"s3cr3tvalue!", vecUsername, vecClientID, vecHash},
		"wrong username":    {vecSecret, "Alice", vecClientID, vecHash},
		"wrong client":      {vecSecret, vecUsername, "testclient124", vecHash},
		"flipped bit":       {vecSecret, vecUsername, vecClientID, base64.StdEncoding.EncodeToString(flipped)},
		"unpadded":          {vecSecret, vecUsername, vecClientID, strings.TrimRight(vecHash, "=")},
		"URL alphabet":      {vecSecret, vecUsername, vecClientID, base64.URLEncoding.EncodeToString(raw)},
		"empty":             {vecSecret, vecUsername, vecClientID, ""},
		"trailing newline":  {vecSecret, vecUsername, vecClientID, vecHash + "\n"},
		"hex of the digest": {vecSecret, vecUsername, vecClientID, strings.Repeat("0", 64)},
	}
	for name, tc := range rejected {
		if Verify(tc.secret, tc.user, tc.client, tc.hash) {
			t.Errorf("%s: Verify = true", name)
		}
	}
	// The message is the plain concatenation, as Cognito defines it: moving the boundary
	// between username and client id gives the same hash (callers pin the client id).
	if !Verify(vecSecret, "alicet", "estclient123", vecHash) {
		t.Error("Verify with the boundary moved = false; the message is not the plain concatenation")
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(vecSecret, vecUsername, vecClientID, vecHash)
	f.Add("", "", "", "")
	f.Add("k", "u", "c", "not base64")
	f.Fuzz(func(t *testing.T, secret, user, client, presented string) {
		want := Compute(secret, user, client)
		if Verify(secret, user, client, presented) != (presented == want) {
			t.Fatalf("Verify(%q) disagrees with Compute = %q", presented, want)
		}
		if !Verify(secret, user, client, want) {
			t.Fatal("Verify rejects Compute's own hash")
		}
	})
}
