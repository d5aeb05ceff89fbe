package store

import (
	"bytes"
	"context"
)

// UnchangedGetter is implemented by stores that can answer a read of a value the caller
// already holds without sending the value again: hostsim's guest asks its host, which compares
// the stored bytes with the caller's and sends nothing when they are the same (a pool's record
// is 4 KB, and every request reads it to check its decoded copy is current).
type UnchangedGetter interface {
	// GetUnlessUnchanged returns key's value, or unchanged = true and no value when the value
	// is have byte for byte. Errors are Get's.
	GetUnlessUnchanged(ctx context.Context, key string, have []byte) (v []byte, unchanged bool, err error)
}

// GetUnlessUnchanged returns key's value from st, or unchanged = true and no value when it is
// have byte for byte (have nil: the caller holds nothing, and the value always comes): through
// st's own GetUnlessUnchanged when it has one, else Get and a comparison.
func GetUnlessUnchanged(ctx context.Context, st Store, key string, have []byte) (v []byte, unchanged bool, err error) {
	if u, ok := st.(UnchangedGetter); ok && have != nil {
		return u.GetUnlessUnchanged(ctx, key, have)
	}
	if v, err = st.Get(ctx, key); err != nil {
		return nil, false, err
	}
	if have != nil && bytes.Equal(v, have) {
		return nil, true, nil
	}
	return v, false, nil
}
