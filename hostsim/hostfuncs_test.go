package hostsim

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/internal/store/storetest"
)

// TestHostFunctions calls the host functions directly against a live instance's memory (inside
// the guest's own input buffer, which nothing else uses between requests) and checks the buffer
// convention and error codes of internal/abi exactly.
func TestHostFunctions(t *testing.T) {
	clock := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	st := memstore.New(clock.Now)
	rec := &message.Recorder{}
	s := start(t, Options{Store: st, Clock: clock.Now, Sender: rec, Instances: 1})
	ctx := context.Background()
	in, err := s.pool.acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.pool.release(in, true)
	in.stack[0] = 4096
	if err := in.alloc.CallWithStack(ctx, in.stack[:]); err != nil {
		t.Fatal(err)
	}
	buf := uint32(in.stack[0]) // 4096 guest-owned bytes we may scribble on
	mem := in.mem
	put := func(off uint32, b []byte) (ptr, n uint64) {
		if !mem.Write(buf+off, b) {
			t.Fatal("write outside memory")
		}
		return uint64(buf + off), uint64(len(b))
	}
	h := &host{store: st, crypto: hostcrypto.Pure{}, sender: rec, logf: newTestLogger(t), config: []byte(`{"region":"r"}`)}
	call := func(f api.GoModuleFunc, args ...uint64) int32 {
		stack := make([]uint64, max(len(args), 1))
		copy(stack, args)
		f(ctx, in.mod, stack)
		return api.DecodeI32(stack[0])
	}
	outOfRange := uint64(mem.Size() + 16)
	code := func(c abi.Code) int32 { return -int32(c) }

	kp, kn := put(0, []byte("user/alice"))
	vp, vn := put(64, []byte("value-123"))
	if got := call(h.kvPut, kp, kn, vp, vn, uint64(120)); got != 0 {
		t.Fatalf("kv_put = %d", got)
	}
	out := uint64(buf + 1024)
	// Too small: the size comes back and nothing is written.
	put(1024, []byte("XXXX"))
	if got := call(h.kvGet, kp, kn, out, 4); got != 9 {
		t.Fatalf("kv_get with a 4-byte buffer = %d, want 9", got)
	}
	if b, _ := mem.Read(buf+1024, 4); string(b) != "XXXX" {
		t.Fatalf("kv_get wrote %q into a buffer too small for the value", b)
	}
	if got := call(h.kvGet, kp, kn, out, 9); got != 9 {
		t.Fatalf("kv_get = %d", got)
	}
	if b, _ := mem.Read(buf+1024, 9); string(b) != "value-123" {
		t.Fatalf("kv_get wrote %q", b)
	}
	// The store got a copy: changing guest memory does not change it.
	put(64, []byte("CHANGED!!"))
	if v, _ := st.Get(ctx, "user/alice"); string(v) != "value-123" {
		t.Fatalf("store holds %q after the guest's memory changed", v)
	}
	// TTL seconds reach the store.
	clock.Advance(119 * time.Second)
	if got := call(h.kvGet, kp, kn, out, 64); got != 9 {
		t.Fatalf("kv_get before the TTL = %d", got)
	}
	clock.Advance(2 * time.Second)
	if got := call(h.kvGet, kp, kn, out, 64); got != code(abi.CodeNotFound) {
		t.Fatalf("kv_get after the TTL = %d, want -CodeNotFound", got)
	}
	if got := call(h.kvGet, outOfRange, 4, out, 64); got != code(abi.CodeInvalid) {
		t.Fatalf("kv_get with the key outside memory = %d", got)
	}
	st.Put(ctx, "user/alice", []byte("v"), store.PutOptions{})
	if got := call(h.kvGet, kp, kn, outOfRange, 64); got != code(abi.CodeInvalid) {
		t.Fatalf("kv_get with the buffer outside memory = %d", got)
	}
	if got := call(h.kvDelete, kp, kn); got != 0 {
		t.Fatalf("kv_delete = %d", got)
	}
	if got := call(h.kvDelete, kp, kn); got != 0 {
		t.Fatalf("kv_delete of a missing key = %d", got)
	}
	if got := call(h.kvGet, kp, kn, out, 64); got != code(abi.CodeNotFound) {
		t.Fatalf("kv_get after delete = %d", got)
	}

	// kv_list returns an encoded page.
	for _, k := range []string{"p/a", "p/b", "p/c", "q/a"} {
		st.Put(ctx, k, nil, store.PutOptions{})
	}
	pp, pn := put(0, []byte("p/"))
	n := call(h.kvList, pp, pn, 0, 0, 2, out, 1024)
	raw, _ := mem.Read(buf+1024, uint32(n))
	page, err := abi.DecodePage(raw)
	if err != nil || len(page.Keys) != 2 || page.Keys[0] != "p/a" || page.Keys[1] != "p/b" || page.Cursor == "" {
		t.Fatalf("kv_list page %+v, %v", page, err)
	}

	// Crypto: results by the sized convention; codes for bad input and bad signatures.
	mp, mn := put(0, []byte{0x0b})
	bp, bn := put(8, []byte{0x03})
	ep, en := put(16, []byte{0x04})
	if got := call(h.modExp, bp, bn, ep, en, mp, mn, out, 8); got != 1 {
		t.Fatalf("crypto_modexp size = %d", got)
	}
	if b, _ := mem.Read(buf+1024, 1); b[0] != 81%11 {
		t.Fatalf("3^4 mod 11 = %d", b[0])
	}
	mp, mn = put(0, []byte{0x0a})
	if got := call(h.modExp, bp, bn, ep, en, mp, mn, out, 8); got != code(abi.CodeInvalid) {
		t.Fatalf("crypto_modexp with an even modulus = %d", got)
	}
	kp, kn = put(0, []byte("not a key"))
	dp, dn := put(64, bytes.Repeat([]byte{1}, 32))
	sp, sn := put(128, bytes.Repeat([]byte{2}, 64))
	if got := call(h.signer(h.crypto.SignRSA), kp, kn, dp, dn, out, 512); got != code(abi.CodeInvalid) {
		t.Fatalf("crypto_rsa_sign with a bad key = %d", got)
	}
	if got := call(h.verifier(h.crypto.VerifyECDSA), kp, kn, dp, dn, sp, sn); got != code(abi.CodeInvalid) {
		t.Fatalf("crypto_ecdsa_verify with a bad key = %d", got)
	}

	// send_message: JSON in, the Sender called; bad JSON is CodeInvalid.
	jp, jn := put(0, []byte(`{"pool":"p","username":"bob","kind":"SignUp","code":"42"}`))
	if got := call(h.sendMessage, jp, jn); got != 0 {
		t.Fatalf("send_message = %d", got)
	}
	if m, ok := rec.Last("bob", "SignUp"); !ok || m.Code != "42" {
		t.Fatalf("sender got %+v", rec.Messages())
	}
	jp, jn = put(0, []byte(`{"pool":`))
	if got := call(h.sendMessage, jp, jn); got != code(abi.CodeInvalid) {
		t.Fatalf("send_message with bad JSON = %d", got)
	}

	// runtime_config follows the sized convention.
	if got := call(h.runtimeConfig, out, 2); got != int32(len(h.config)) {
		t.Fatalf("runtime_config size = %d", got)
	}
	if got := call(h.runtimeConfig, out, 64); got != int32(len(h.config)) {
		t.Fatalf("runtime_config = %d", got)
	}
	if b, _ := mem.Read(buf+1024, uint32(len(h.config))); !bytes.Equal(b, h.config) {
		t.Fatalf("runtime_config wrote %q", b)
	}
}

func TestClockFuncs(t *testing.T) {
	clock := storetest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 500, time.UTC))
	wall, mono := clockFuncs(clock.Now)
	sec, nsec := wall()
	if sec != clock.Now().Unix() || nsec != 500 {
		t.Fatalf("walltime %d.%09d", sec, nsec)
	}
	m0 := mono()
	clock.Advance(time.Hour)
	if d := mono() - m0; d != int64(time.Hour) {
		t.Fatalf("monotonic advanced %v, want 1h", time.Duration(d))
	}
	clock.Advance(-2 * time.Hour)
	if m := mono(); m < m0+int64(time.Hour) {
		t.Fatal("monotonic clock went backwards")
	}
}
