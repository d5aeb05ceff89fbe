//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall/js"

	"github.com/poolgate/poolgate/internal/store"
)

// kvMaxListLimit is the largest page Workers KV's list returns.
const kvMaxListLimit = 1000

// kvSource reads the Workers KV namespace of a deployment from before the store moved to
// Durable Objects, for the one-time copy of its records (migrate.go). Values travel as
// ArrayBuffers (binary-safe); a missing key is JS null, which becomes store.ErrNotFound.
type kvSource struct {
	ns js.Value // the binding, env.POOLGATE_KV

	gets, lists atomic.Int64 // calls made to the binding, for the stats endpoint
}

// newKVSource wraps a KV namespace binding.
func newKVSource(binding js.Value) (*kvSource, error) {
	if binding.Type() != js.TypeObject || binding.Get("get").Type() != js.TypeFunction || binding.Get("list").Type() != js.TypeFunction {
		return nil, errors.New("edge: the KV binding is missing or is not a KV namespace")
	}
	return &kvSource{ns: binding}, nil
}

// Get returns the value under key, or store.ErrNotFound.
func (s *kvSource) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	s.gets.Add(1)
	v, err := s.io(ctx, "get", key, map[string]any{"type": "arrayBuffer"})
	if err != nil {
		return nil, fmt.Errorf("edge: kv get %.80q: %w", key, boundError(err))
	}
	if v.IsNull() || v.IsUndefined() {
		return nil, store.ErrNotFound
	}
	b, err := bytesFromJS(v)
	if err != nil {
		return nil, fmt.Errorf("edge: kv get %.80q: %w", key, err)
	}
	return b, nil
}

// kvKey is a key of a KV listing with its expiration (Unix seconds, 0 for none).
type kvKey struct {
	Name       string
	Expiration int64
}

// list returns up to limit keys after KV's cursor ("" for the first page), with their
// expirations, and the cursor of the next page ("" when the listing is complete).
func (s *kvSource) list(ctx context.Context, cursor string, limit int) ([]kvKey, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if limit <= 0 || limit > kvMaxListLimit {
		limit = kvMaxListLimit
	}
	opts := map[string]any{"limit": limit}
	if cursor != "" {
		opts["cursor"] = cursor
	}
	s.lists.Add(1)
	res, err := s.io(ctx, "list", opts)
	if err != nil {
		return nil, "", fmt.Errorf("edge: kv list: %w", boundError(err))
	}
	keys := res.Get("keys")
	if keys.Type() != js.TypeObject {
		return nil, "", errors.New("edge: kv list: no keys in the answer")
	}
	n := keys.Length()
	out := make([]kvKey, 0, n)
	for i := range n {
		k := keys.Index(i)
		kk := kvKey{Name: k.Get("name").String()}
		if exp := k.Get("expiration"); exp.Type() == js.TypeNumber {
			kk.Expiration = int64(exp.Float())
		}
		out = append(out, kk)
	}
	next := ""
	if !res.Get("list_complete").Truthy() {
		next = res.Get("cursor").String()
		if next == "" {
			return nil, "", errors.New("edge: kv list: an incomplete listing without a cursor")
		}
	}
	return out, next, nil
}

// crossRequestRetries is how often a call is repeated after workerd refused it for touching
// an I/O object of another request. Every call is made in its own request's context (see
// ioCall); the refusal was still seen, rarely (2 calls in a soak of 100 000 requests), and
// a refused call was never made, so it is safe to repeat.
const crossRequestRetries = 2

// io makes one KV call, repeating it if workerd refused it as cross-request I/O.
func (s *kvSource) io(ctx context.Context, method string, args ...any) (js.Value, error) {
	for attempt := 0; ; attempt++ {
		v, err := ioCall(ctx, s.ns, method, args...)
		if err == nil || attempt >= crossRequestRetries || !crossRequest(err) {
			return v, err
		}
	}
}

// crossRequest reports whether workerd refused a call for using another request's I/O object.
func crossRequest(err error) bool {
	var je *jsError
	return errors.As(err, &je) && strings.Contains(je.Message, "on behalf of a different request")
}
