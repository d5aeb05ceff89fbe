package hostcrypto

import (
	"errors"
	"sync"
	"testing"
)

// TestAcceptedRSA: an accepted triple is accepted again without verify; a refusal is never
// remembered; a triple differing in any part, or only in where its parts split, is verified.
func TestAcceptedRSA(t *testing.T) {
	var a AcceptedRSA
	calls := 0
	ok := func() error { calls++; return nil }
	bad := func() error { calls++; return ErrVerify }
	check := func(name string, pub, digest, sig string, verify func() error, wantErr error, wantCalls int) {
		t.Helper()
		before := calls
		err := a.Verify([]byte(pub), []byte(digest), []byte(sig), verify)
		if !errors.Is(err, wantErr) || calls-before != wantCalls {
			t.Fatalf("%s: %v after %d verifications, want %v after %d", name, err, calls-before, wantErr, wantCalls)
		}
	}
	check("first", "key", "digest", "sig", ok, nil, 1)
	check("again", "key", "digest", "sig", ok, nil, 0)
	check("again, verify would refuse", "key", "digest", "sig", bad, nil, 0)
	check("another key", "key2", "digest", "sig", bad, ErrVerify, 1)
	check("another key again", "key2", "digest", "sig", bad, ErrVerify, 1)
	check("another digest", "key", "digest2", "sig", bad, ErrVerify, 1)
	check("another signature", "key", "digest", "sig2", bad, ErrVerify, 1)
	check("the split moved into the key", "keyd", "igest", "sig", bad, ErrVerify, 1)
	check("the split moved into the signature", "key", "diges", "tsig", bad, ErrVerify, 1)
	failure := errors.New("provider down")
	check("a failure", "key3", "digest", "sig", func() error { calls++; return failure }, failure, 1)
	check("after a failure", "key3", "digest", "sig", ok, nil, 1)
}

// TestAcceptedRSABound: the set empties when full, so later triples are verified again.
func TestAcceptedRSABound(t *testing.T) {
	var a AcceptedRSA
	calls := 0
	ok := func() error { calls++; return nil }
	for i := range maxAcceptedRSA {
		_ = a.Verify([]byte{byte(i), byte(i >> 8)}, nil, nil, ok)
	}
	if len(a.m) != maxAcceptedRSA {
		t.Fatalf("%d entries, want %d", len(a.m), maxAcceptedRSA)
	}
	_ = a.Verify([]byte("one more"), nil, nil, ok)
	if len(a.m) != 1 {
		t.Fatalf("%d entries after the bound, want 1", len(a.m))
	}
	calls = 0
	_ = a.Verify([]byte{0, 0}, nil, nil, ok)
	if calls != 1 {
		t.Fatal("an entry from before the reset was still remembered")
	}
}

// TestAcceptedRSARace: concurrent verifications of accepted and refused triples (run with
// -race); refusals stay refused.
func TestAcceptedRSARace(t *testing.T) {
	var a AcceptedRSA
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				good := []byte{byte(i % 7)}
				if err := a.Verify(good, []byte("d"), []byte("s"), func() error { return nil }); err != nil {
					t.Error(err)
					return
				}
				bad := []byte{byte(g), byte(i), 0xff}
				if err := a.Verify(bad, []byte("d"), []byte("s"), func() error { return ErrVerify }); !errors.Is(err, ErrVerify) {
					t.Errorf("refused triple: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
