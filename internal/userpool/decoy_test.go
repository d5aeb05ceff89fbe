package userpool

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
)

// TestDecoyDerivation: a decoy's salt, verifier and userId are HMAC blocks of the decoy key
// over "label 0 pool 0 name 0 i", the same for a name on every sign-in (and across versions:
// an unknown name whose salt changed would stand out). The blocks are computed here one
// keyed HMAC each, as the definition reads, and compared with decoyFor's.
func TestDecoyDerivation(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	for _, in := range []map[string]any{nil, {"UsernameAttributes": []string{"email"}}} {
		p, err := env.svc.getPool(ctx, env.createPool(in))
		if err != nil {
			t.Fatal(err)
		}
		key, err := env.svc.decoyKey(ctx)
		if err != nil {
			t.Fatal(err)
		}
		name := "Nobody@Example.com"
		block := func(label string, n int) []byte {
			var out []byte
			for i := byte(0); len(out) < n; i++ {
				m := hmac.New(sha256.New, key)
				fmt.Fprintf(m, "%s\x00%s\x00%s\x00", label, p.Id, usernameKey(p, name))
				m.Write([]byte{i})
				out = m.Sum(out)
			}
			return out[:n]
		}
		wantID := name
		if len(p.UsernameAttributes) > 0 {
			b := block("sub", 16)
			b[6] = b[6]&0x0f | 0x40
			b[8] = b[8]&0x3f | 0x80
			h := hex.EncodeToString(b)
			wantID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		}
		for range 2 {
			d, err := env.svc.decoyFor(ctx, p, name, false)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(d.salt, block("salt", 16)) || !bytes.Equal(d.verifier, block("verifier", decoyVerifierSz)) || d.userID != wantID {
				t.Fatalf("decoy of %q in %s: salt %x verifier %x… userId %q; want %x, %x…, %q", name, p.Id,
					d.salt, d.verifier[:8], d.userID, block("salt", 16), block("verifier", decoyVerifierSz)[:8], wantID)
			}
		}
	}
}
