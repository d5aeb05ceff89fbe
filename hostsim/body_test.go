package hostsim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tetratelabs/wazero/api"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/handoff"
)

// randomBytes returns n bytes from a seeded generator.
func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	r.Read(b)
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestBodyRead calls the body_read host function directly against a live instance's memory
// and checks abi.BodyRead's contract: reads in chunks no larger than the buffer, 0 at the end
// (and after it), the tee replaying the whole body after a partial read, and the codes for a
// call without a pending body, a bad buffer, a passed deadline and a failing client.
func TestBodyRead(t *testing.T) {
	s := start(t, Options{Instances: 1})
	ctx := context.Background()
	in, err := s.pool.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.pool.release(in, true)
	in.stack[0] = 8192
	if err := in.alloc.CallWithStack(ctx, in.stack[:]); err != nil {
		t.Fatal(err)
	}
	buf := uint64(uint32(in.stack[0])) // 8192 guest-owned bytes
	h := &host{logf: newTestLogger(t)}
	call := func(ctx context.Context, args ...uint64) int32 {
		stack := append([]uint64(nil), args...)
		h.bodyRead(ctx, in.mod, stack)
		return api.DecodeI32(stack[0])
	}
	code := func(c abi.Code) int32 { return -int32(c) }
	pending := func(r io.Reader) (context.Context, *pendingBody) {
		b := &pendingBody{tee: handoff.NewBodyTee(io.NopCloser(r))}
		return withPendingBody(ctx, b), b
	}

	body := randomBytes(10000, 1)
	bctx, pb := pending(bytes.NewReader(body))
	var got []byte
	var sizes []int32
	for {
		n := call(bctx, buf, 3000)
		if n < 0 || n > 3000 {
			t.Fatalf("body_read with a 3000-byte buffer = %d", n)
		}
		if n == 0 {
			break
		}
		sizes = append(sizes, n)
		b, _ := in.mem.Read(uint32(buf), uint32(n))
		got = append(got, b...)
	}
	if !bytes.Equal(got, body) || len(sizes) != 4 || sizes[3] != 1000 {
		t.Fatalf("read %d bytes in reads of %v, want the 10000-byte body in 3000, 3000, 3000, 1000", len(got), sizes)
	}
	if n := call(bctx, buf, 3000); n != 0 {
		t.Fatalf("body_read after the end = %d, want 0 again", n)
	}
	if all, _ := io.ReadAll(pb.tee.Replay()); !bytes.Equal(all, body) {
		t.Fatalf("replay after a full read: %d bytes", len(all))
	}

	// The guest reads part of the body; the replay still has all of it, in order.
	bctx, pb = pending(iotest.HalfReader(bytes.NewReader(body)))
	if n := call(bctx, buf, 4096); n <= 0 || n > 4096 {
		t.Fatalf("first read = %d", n)
	}
	if all, _ := io.ReadAll(pb.tee.Replay()); !bytes.Equal(all, body) {
		t.Fatalf("replay after a partial read: %d bytes, or out of order", len(all))
	}

	if n := call(ctx, buf, 3000); n != code(abi.CodeNotFound) {
		t.Fatalf("body_read without a pending body = %d, want -CodeNotFound", n)
	}
	bctx, _ = pending(strings.NewReader("abc"))
	if n := call(bctx, buf, 0); n != code(abi.CodeInvalid) {
		t.Fatalf("body_read with out_cap 0 = %d, want -CodeInvalid", n)
	}
	if n := call(bctx, uint64(in.mem.Size()-10), 100); n != code(abi.CodeInvalid) {
		t.Fatalf("body_read with a buffer past the end of memory = %d, want -CodeInvalid", n)
	}
	canceled, cancel := context.WithCancel(bctx)
	cancel()
	if n := call(canceled, buf, 100); n != code(abi.CodeCanceled) {
		t.Fatalf("body_read after the deadline = %d, want -CodeCanceled", n)
	}
	if n := call(bctx, buf, 100); n != 3 {
		t.Fatalf("body_read = %d after the refused calls, want the 3 bytes", n)
	}

	// A failing client: the bytes that arrived first, then -CodeInternal for good.
	bctx, _ = pending(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errors.New("connection reset by peer"))))
	if n := call(bctx, buf, 100); n != 3 {
		t.Fatalf("body_read before the failure = %d", n)
	}
	for range 2 {
		if n := call(bctx, buf, 100); n != code(abi.CodeInternal) {
			t.Fatalf("body_read of a failing body = %d, want -CodeInternal", n)
		}
	}
	// The read deadline hostsim sets on the connection: the guest's deadline passed.
	bctx, _ = pending(iotest.ErrReader(os.ErrDeadlineExceeded))
	if n := call(bctx, buf, 100); n != code(abi.CodeCanceled) {
		t.Fatalf("body_read past the connection's read deadline = %d, want -CodeCanceled", n)
	}
	// A reader that never makes progress is not taken for the end of the body.
	bctx, _ = pending(stuckReader{})
	if n := call(bctx, buf, 100); n != code(abi.CodeInternal) {
		t.Fatalf("body_read of a reader without progress = %d, want -CodeInternal", n)
	}
}

type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

// digestReport mirrors the test guest's /digest report.
type digestReport struct {
	Length        int64
	SHA256        string
	ContentLength int64
	Reads         int
}

// TestPendingBody: a body that is not a JSON API call reaches the guest pending, read through
// body_read as the handler asks for it: larger than maxRequestBytes, with its length or
// without one, or only in part.
func TestPendingBody(t *testing.T) {
	s := start(t, Options{Instances: 1})
	digest := func(target string, body io.Reader) digestReport {
		t.Helper()
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("PUT", target, body))
		var rep digestReport
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &rep) != nil {
			t.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
		}
		return rep
	}
	big := randomBytes(maxRequestBytes+(1<<20), 2)
	rep := digest("/digest", bytes.NewReader(big))
	if rep.Length != int64(len(big)) || rep.SHA256 != sha256Hex(big) || rep.ContentLength != int64(len(big)) {
		t.Fatalf("a %d-byte body with its length: guest read %+v", len(big), rep)
	}
	if rep.Reads < len(big)/(64<<10) {
		t.Fatalf("guest read %d bytes in %d reads of at most 64 KiB", rep.Length, rep.Reads)
	}
	// Without a length (chunked): ContentLength -1, the body still whole.
	rep = digest("/digest", io.MultiReader(bytes.NewReader(big[:300000])))
	if rep.Length != 300000 || rep.SHA256 != sha256Hex(big[:300000]) || rep.ContentLength != -1 {
		t.Fatalf("a body without a length: guest read %+v", rep)
	}
	// The guest reads only what it wants.
	rep = digest("/digest?n=1000", bytes.NewReader(big[:1<<20]))
	if rep.Length != 1000 || rep.SHA256 != sha256Hex(big[:1000]) {
		t.Fatalf("a partial read: %+v", rep)
	}
	// The instance serves on.
	if code, _, _ := do(t, s, "GET", "/counter", ""); code != 200 {
		t.Fatalf("after pending bodies: %d", code)
	}
}
