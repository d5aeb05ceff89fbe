package jose_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/poolgate/poolgate/internal/jose"
)

// BenchmarkVerify compares one RS256 token check (parse, key lookup, signature, times)
// through jose with the pure-Go provider against jwx doing the same with the same key set.
// The numbers are in this package's doc comment.
func BenchmarkVerify(b *testing.B) {
	v, is, _ := fixture(b)
	tok := is.Good()
	b.Run("jose", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := v.Verify(context.Background(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("jwx", func(b *testing.B) {
		set, err := jwk.Parse([]byte(fmt.Sprintf(`{"keys":[%s,%s]}`, rsaJWKJSON("r1", &fixRSA.PublicKey), ecJWKJSON("e1", &fixEC.PublicKey))))
		if err != nil {
			b.Fatal(err)
		}
		clk := jwt.ClockFunc(func() time.Time { return is.Now })
		b.ReportAllocs()
		for b.Loop() {
			if _, err := jwt.Parse([]byte(tok), jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithClock(clk)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParse is the structural part alone: strict parsing and claim decoding.
func BenchmarkParse(b *testing.B) {
	_, is, _ := fixture(b)
	tok := is.Good()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jose.Parse(tok); err != nil {
			b.Fatal(err)
		}
	}
}
