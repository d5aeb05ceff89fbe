package hostsim

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
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

	// kv_get_entry: an encoded Entry by the sized convention.
	kp, kn = put(0, []byte("uu/p1/alice"))
	if got := call(h.kvGetEntry, kp, kn, out, 64); got != code(abi.CodeNotFound) {
		t.Fatalf("kv_get_entry of a missing key = %d", got)
	}
	st.Put(ctx, "uu/p1/alice", []byte("record"), store.PutOptions{})
	want, _ := st.GetEntry(ctx, "uu/p1/alice")
	enc := abi.EncodeEntry(want)
	put(1024, []byte("XX"))
	if got := call(h.kvGetEntry, kp, kn, out, 2); got != int32(len(enc)) {
		t.Fatalf("kv_get_entry with a 2-byte buffer = %d, want %d", got, len(enc))
	}
	if b, _ := mem.Read(buf+1024, 2); string(b) != "XX" {
		t.Fatalf("kv_get_entry wrote %q into a buffer too small", b)
	}
	if got := call(h.kvGetEntry, kp, kn, out, 64); got != int32(len(enc)) {
		t.Fatalf("kv_get_entry = %d", got)
	}
	raw, _ = mem.Read(buf+1024, uint32(len(enc)))
	if e, err := abi.DecodeEntry(raw); err != nil || e.Version != want.Version || string(e.Value) != "record" {
		t.Fatalf("kv_get_entry wrote %+v, %v", e, err)
	}
	if got := call(h.kvGetEntry, outOfRange, 4, out, 64); got != code(abi.CodeInvalid) {
		t.Fatalf("kv_get_entry with the key outside memory = %d", got)
	}

	// kv_commit: 0, -CodeConflict writing nothing, -CodeInvalid for what does not decode or
	// breaks the commit rules.
	commit := func(ops []store.Op) int32 {
		op, on := put(2048, abi.EncodeCommit(ops))
		return call(h.kvCommit, op, on)
	}
	if got := commit([]store.Op{store.PutIf("uu/p1/alice", want.Version, []byte("v2"), 0), store.Create("ux/p1/alice", []byte("a"), 90*time.Second)}); got != 0 {
		t.Fatalf("kv_commit = %d", got)
	}
	if v, _ := st.Get(ctx, "uu/p1/alice"); string(v) != "v2" {
		t.Fatalf("after kv_commit the store holds %q", v)
	}
	if got := commit([]store.Op{store.Set("uu/p1/bob", []byte("b"), 0), store.PutIf("uu/p1/alice", want.Version, []byte("v3"), 0)}); got != code(abi.CodeConflict) {
		t.Fatalf("kv_commit with a stale version = %d, want -CodeConflict", got)
	}
	if _, err := st.Get(ctx, "uu/p1/bob"); err == nil {
		t.Fatal("a conflicting kv_commit wrote its other op")
	}
	for name, ops := range map[string][]store.Op{
		"cross-shard":   {store.Set("uu/p1/x", nil, 0), store.Set("uu/p2/x", nil, 0)},
		"duplicate key": {store.Set("uu/p1/x", nil, 0), store.Remove("uu/p1/x")},
		"no ops":        nil,
		"empty key":     {store.Set("uu/p1/x", nil, 0), store.Set("", nil, 0)},
	} {
		if got := commit(ops); got != code(abi.CodeInvalid) {
			t.Errorf("kv_commit with %s = %d, want -CodeInvalid", name, got)
		}
	}
	op, on := put(2048, []byte{2, 1, 9})
	if got := call(h.kvCommit, op, on); got != code(abi.CodeInvalid) {
		t.Fatalf("kv_commit of a malformed op list = %d", got)
	}
	if got := call(h.kvCommit, outOfRange, 4); got != code(abi.CodeInvalid) {
		t.Fatalf("kv_commit with the ops outside memory = %d", got)
	}
	clock.Advance(91 * time.Second) // the TTL of a commit put reached the store
	if _, err := st.Get(ctx, "ux/p1/alice"); err == nil {
		t.Fatal("kv_commit's TTL was lost")
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

	// crypto_rsa_sign_pair: len(sigA) (2 bytes) ‖ sigA ‖ sigB, each SignRSA's signature; a bad
	// key on either side is CodeInvalid; a short buffer gets the size and nothing written.
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	goodKey := x509.MarshalPKCS1PrivateKey(rsaKey)
	gp, gn := put(2400, goodKey) // about 1,190 bytes
	d2p, d2n := put(3600, bytes.Repeat([]byte{3}, 32))
	bkp, bkn := put(3640, []byte("not a key"))
	dp, dn = put(3680, bytes.Repeat([]byte{1}, 32))
	pairOut := out // 1024 bytes, up to 2048
	put(uint32(pairOut-uint64(buf)), make([]byte, 16))
	if got := call(h.rsaSignPair, gp, gn, dp, dn, gp, gn, d2p, d2n, pairOut, 16); got != 2+256+256 {
		t.Fatalf("crypto_rsa_sign_pair into 16 bytes = %d, want 514", got)
	}
	if b, _ := mem.Read(uint32(pairOut), 2); !bytes.Equal(b, []byte{0, 0}) {
		t.Fatalf("crypto_rsa_sign_pair wrote %x into a short buffer", b)
	}
	if got := call(h.rsaSignPair, gp, gn, dp, dn, gp, gn, d2p, d2n, pairOut, 1024); got != 2+256+256 {
		t.Fatalf("crypto_rsa_sign_pair = %d, want 514", got)
	}
	framed, _ := mem.Read(uint32(pairOut), 514)
	if framed[0] != 1 || framed[1] != 0 {
		t.Fatalf("crypto_rsa_sign_pair's A length is %x, want 0100", framed[:2])
	}
	for i, d := range [][]byte{bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{3}, 32)} {
		if err := rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, d, framed[2+256*i:2+256*(i+1)]); err != nil {
			t.Fatalf("crypto_rsa_sign_pair's signature %d: %v", i, err)
		}
	}
	if got := call(h.rsaSignPair, gp, gn, dp, dn, bkp, bkn, d2p, d2n, pairOut, 1024); got != code(abi.CodeInvalid) {
		t.Fatalf("crypto_rsa_sign_pair with a bad second key = %d", got)
	}
	if got := call(h.rsaSignPair, bkp, bkn, dp, dn, gp, gn, d2p, d2n, pairOut, 1024); got != code(abi.CodeInvalid) {
		t.Fatalf("crypto_rsa_sign_pair with a bad first key = %d", got)
	}

	// crypto_aes_gcm_*: Go's GCM bytes, written over the input in place; a bad key or nonce
	// length is CodeInvalid, a tampered ciphertext CodeVerify with nothing written.
	gcmKey, gcmNonce, plain := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 12), []byte("the user's secrets")
	block, _ := aes.NewCipher(gcmKey)
	gcm, _ := cipher.NewGCM(block)
	sealed := gcm.Seal(nil, gcmNonce, plain, []byte("ad"))
	kp, kn = put(0, gcmKey)
	np, nn := put(64, gcmNonce)
	ap, an := put(96, []byte("ad"))
	tp, tn := put(128, plain)
	if got := call(aesGCM(false), kp, kn, np, nn, ap, an, tp, tn, tp, uint64(len(sealed))); got != int32(len(sealed)) {
		t.Fatalf("crypto_aes_gcm_seal = %d, want %d", got, len(sealed))
	}
	if b, _ := mem.Read(buf+128, uint32(len(sealed))); !bytes.Equal(b, sealed) {
		t.Fatalf("crypto_aes_gcm_seal wrote %x, want %x", b, sealed)
	}
	if got := call(aesGCM(true), kp, kn, np, nn, ap, an, tp, uint64(len(sealed)), out, 64); got != int32(len(plain)) {
		t.Fatalf("crypto_aes_gcm_open = %d, want %d", got, len(plain))
	}
	if b, _ := mem.Read(buf+1024, uint32(len(plain))); !bytes.Equal(b, plain) {
		t.Fatalf("crypto_aes_gcm_open wrote %q", b)
	}
	put(1024, []byte("XXXX"))
	if got := call(aesGCM(true), kp, kn, np, nn, ap, 1, tp, uint64(len(sealed)), out, 64); got != code(abi.CodeVerify) {
		t.Fatalf("crypto_aes_gcm_open with other additional data = %d, want -CodeVerify", got)
	}
	if b, _ := mem.Read(buf+1024, 4); string(b) != "XXXX" {
		t.Fatalf("a refused crypto_aes_gcm_open wrote %q", b)
	}
	for name, args := range map[string][]uint64{
		"a 31-byte key":           {kp, 31, np, nn, ap, an, tp, tn, out, 64},
		"an 8-byte nonce":         {kp, kn, np, 8, ap, an, tp, tn, out, 64},
		"the text outside memory": {kp, kn, np, nn, ap, an, outOfRange, tn, out, 64},
	} {
		if got := call(aesGCM(false), args...); got != code(abi.CodeInvalid) {
			t.Errorf("crypto_aes_gcm_seal with %s = %d, want -CodeInvalid", name, got)
		}
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
