// Package listing pages through store keys for the API's list actions, handing out sealed
// continuation tokens bound to one listing.
//
// A token seals the store cursor of the batch that held the last item handed out and that
// item's key, so a listing resumes correctly even when keys near the page edge are deleted in
// between. Tokens sealed for one scope (e.g. "ListUsers/<pool>") do not open in another.
package listing

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/store"
)

// batch is how many keys one store List call asks for.
const batch = 200

// Pager pages through Store with tokens sealed by Seal under Purpose + scope.
type Pager struct {
	Store   store.Store
	Seal    *seal.Sealer
	Now     func() time.Time
	Purpose string // e.g. "userpool/page/"
}

type token struct {
	Cursor string `json:"c,omitempty"`
	After  string `json:"a"`
}

func (p Pager) sealToken(scope string, t token) (string, error) {
	plain, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	sealed, err := p.Seal.Seal(p.Purpose+scope, plain, time.Time{})
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

func (p Pager) openToken(scope, tok string) (token, error) {
	var t token
	if tok == "" {
		return t, nil
	}
	bad := awsjson.InvalidParameter("Invalid pagination token.")
	sealed, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return t, bad
	}
	plain, err := p.Seal.Open(p.Purpose+scope, sealed, p.Now())
	if err != nil {
		return t, bad
	}
	if err := json.Unmarshal(plain, &t); err != nil || t.After == "" {
		return t, bad
	}
	return t, nil
}

// Page returns up to limit items for the keys under prefix, in key order, resuming after tok.
// load turns a key into an item and says whether it belongs in the listing. The next token is
// empty when no further item matches; a bad token is InvalidParameterException.
func Page[T any](ctx context.Context, p Pager, scope, prefix, tok string, limit int,
	load func(key string) (T, bool, error)) ([]T, string, error) {
	t, err := p.openToken(scope, tok)
	if err != nil {
		return nil, "", err
	}
	items := make([]T, 0, min(limit, batch))
	cursor := t.Cursor
	var lastKey, lastCursor string
	for {
		page, err := p.Store.List(ctx, prefix, cursor, batch)
		if err != nil {
			if tok != "" {
				return nil, "", awsjson.InvalidParameter("Invalid pagination token.")
			}
			return nil, "", err
		}
		for _, k := range page.Keys {
			if t.After != "" && k <= t.After {
				continue
			}
			item, ok, err := load(k)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				continue
			}
			if len(items) == limit {
				// A further item exists: hand out a token for it.
				next, err := p.sealToken(scope, token{Cursor: lastCursor, After: lastKey})
				return items, next, err
			}
			items = append(items, item)
			lastKey, lastCursor = k, cursor
		}
		if page.Cursor == "" {
			return items, "", nil
		}
		cursor = page.Cursor
	}
}

// Slice pages through items already in memory, sorted by key, with the same tokens as Page.
func Slice[T any](p Pager, scope, tok string, limit int, items []T, key func(T) string) ([]T, string, error) {
	t, err := p.openToken(scope, tok)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, min(limit, len(items)))
	for _, it := range items {
		k := key(it)
		if t.After != "" && k <= t.After {
			continue
		}
		if len(out) == limit {
			next, err := p.sealToken(scope, token{After: key(out[len(out)-1])})
			return out, next, err
		}
		out = append(out, it)
	}
	return out, "", nil
}
