// Package tokentest opens a pool's stored signing key, so that tests can sign tokens byte for
// byte with the key the pool verifies with (the forgeries of internal/jose/josetest included).
package tokentest

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"time"

	"github.com/poolgate/poolgate/internal/jose/josetest"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
)

// Signer reads the current signing key of (pool, use) as internal/token stores it (the
// record at key/<pool>/<use>, its private key sealed by atRest under
// token/signing-key/<pool>/<use>/<kid>) and returns a signer with it, its kid and its public
// key (PKIX DER).
func Signer(ctx context.Context, st store.Store, atRest *seal.Sealer, pool, use string, now time.Time) (sign func(header, payload string) string, kid string, public []byte, err error) {
	b, err := st.Get(ctx, "key/"+pool+"/"+use)
	if err != nil {
		return nil, "", nil, fmt.Errorf("tokentest: %w", err)
	}
	var rec struct {
		Keys []struct {
			Kid     string `json:"kid"`
			Public  []byte `json:"public"`
			Private []byte `json:"private"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || len(rec.Keys) == 0 {
		return nil, "", nil, fmt.Errorf("tokentest: key record of %s/%s: %v", pool, use, err)
	}
	k := rec.Keys[0]
	der, err := atRest.Open("token/signing-key/"+pool+"/"+use+"/"+k.Kid, k.Private, now)
	if err != nil {
		return nil, "", nil, fmt.Errorf("tokentest: %w", err)
	}
	priv, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, "", nil, fmt.Errorf("tokentest: %w", err)
	}
	return josetest.SignRS256(priv), k.Kid, k.Public, nil
}
