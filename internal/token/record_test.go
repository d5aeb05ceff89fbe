package token

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

var updateRecord = flag.Bool("update-record", false, "rewrite testdata/record-v1.json with this code")

// recordGolden is what testdata/record-v1.json holds: a pool's stored key records (each with
// a signing key and a key rotated out), sealed under newSealer(t, 1), with the JWKS and
// the tokens (RS256 is deterministic) the keyring produced from them.
type recordGolden struct {
	Records map[string]json.RawMessage `json:"records"` // by store key
	JWKS    json.RawMessage            `json:"jwks"`
	Tokens  map[string]string          `json:"tokens"` // by use
}

// TestStoredRecordStillLoads: key records written by the keyring when it parsed keys with
// crypto/x509 (testdata/record-v1.json) load with today's code: the same JWKS, the same
// signatures, and their tokens verify.
func TestStoredRecordStillLoads(t *testing.T) {
	const golden = "testdata/record-v1.json"
	if *updateRecord {
		f := fixedKeyFixture(t)
		if err := f.kr.Rotate(ctx, pool); err != nil {
			t.Fatal(err)
		}
		g := recordGolden{Records: map[string]json.RawMessage{}, Tokens: map[string]string{}}
		for _, use := range uses {
			k := storeKey(slotID{pool, use})
			b, err := f.st.Get(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			g.Records[k] = b
			g.Tokens[use] = f.sign(t, f.kr, use, f.claims(use, time.Hour))
		}
		jwks, err := f.kr.JWKS(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		g.JWKS = jwks
		out, _ := json.MarshalIndent(g, "", "  ")
		if err := os.WriteFile(golden, append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	b, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	var g recordGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	for k, rec := range g.Records {
		if err := f.st.Commit(ctx, []store.Op{store.Create(k, rec, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	jwks, err := f.kr.JWKS(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := json.Compact(&want, g.JWKS); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(jwks, want.Bytes()) {
		t.Fatalf("JWKS from the stored records:\n%s\nwant\n%s", jwks, want.Bytes())
	}
	for _, use := range uses {
		if tok := f.sign(t, f.kr, use, f.claims(use, time.Hour)); tok != g.Tokens[use] {
			t.Errorf("%s token signed with the stored key:\n%s\nwant\n%s", use, tok, g.Tokens[use])
		}
		claims, err := f.kr.Verify(ctx, pool, g.Tokens[use])
		if err != nil || claims.TokenUse != use {
			t.Errorf("stored %s token: %v, %+v", use, err, claims)
		}
	}
}
