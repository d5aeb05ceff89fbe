package hostsim

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/poolgate/poolgate/internal/abi"
	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
)

// host implements the poolgate imports (internal/abi documents each one). It is shared by all
// instances of a Server; the per-request context arrives with every call.
type host struct {
	store  store.Store
	crypto hostcrypto.Provider
	sender message.Sender
	logf   func(format string, args ...any)
	config []byte // the runtime_config JSON
}

// instantiate registers the host functions as module abi.ImportModule in rt, with the
// signatures of abi.Imports.
func (h *host) instantiate(ctx context.Context, rt wazero.Runtime) error {
	impls := map[string]api.GoModuleFunc{
		abi.KVGet:                h.kvGet,
		abi.KVPut:                h.kvPut,
		abi.KVDelete:             h.kvDelete,
		abi.KVList:               h.kvList,
		abi.KVGetUnlessUnchanged: h.kvGetUnlessUnchanged,
		abi.KVGetEntry:           h.kvGetEntry,
		abi.KVCommit:             h.kvCommit,
		abi.CryptoModExp:         h.modExp,
		abi.CryptoRSASign:        h.signer(h.crypto.SignRSA),
		abi.CryptoRSASignPair:    h.rsaSignPair,
		abi.CryptoRSAVerify:      h.verifier(h.crypto.VerifyRSA),
		abi.CryptoRSAGenerate:    h.rsaGenerate,
		abi.CryptoECDSASign:      h.signer(h.crypto.SignECDSA),
		abi.CryptoECDSAVerify:    h.verifier(h.crypto.VerifyECDSA),
		abi.CryptoAESGCMSeal:     aesGCM(false),
		abi.CryptoAESGCMOpen:     aesGCM(true),
		abi.SendMessage:          h.sendMessage,
		abi.Log:                  h.log,
		abi.RuntimeConfig:        h.runtimeConfig,
		abi.HTTPFetch:            h.httpFetch,
		abi.BodyRead:             h.bodyRead,
	}
	if len(impls) != len(abi.Imports) {
		return fmt.Errorf("hostsim: %d host functions for %d imports", len(impls), len(abi.Imports))
	}
	b := rt.NewHostModuleBuilder(abi.ImportModule)
	for _, f := range abi.Imports {
		fn, ok := impls[f.Name]
		if !ok {
			return fmt.Errorf("hostsim: no host function for import %s", f.Name)
		}
		b.NewFunctionBuilder().WithGoModuleFunction(fn, valueTypes(f.Params), valueTypes(f.Results)).Export(f.Name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func valueTypes(vs []abi.ValueType) []api.ValueType {
	out := make([]api.ValueType, len(vs))
	for i, v := range vs {
		out[i] = api.ValueType(v)
	}
	return out
}

// read copies len bytes at ptr out of guest memory: a view dies when the memory grows.
func read(mod api.Module, ptr, n uint64) ([]byte, bool) {
	b, ok := mod.Memory().Read(uint32(ptr), uint32(n))
	if !ok {
		return nil, false
	}
	return append([]byte{}, b...), true
}

func readString(mod api.Module, ptr, n uint64) (string, bool) {
	b, ok := mod.Memory().Read(uint32(ptr), uint32(n))
	return string(b), ok
}

// sized writes a result by abi's sized-result convention and returns what the import returns.
func sized(mod api.Module, outPtr, outCap uint64, result []byte) uint64 {
	if len(result) > math.MaxInt32 {
		return fail(abi.CodeInvalid)
	}
	if uint64(len(result)) <= uint64(uint32(outCap)) && !mod.Memory().Write(uint32(outPtr), result) {
		return fail(abi.CodeInvalid)
	}
	return api.EncodeI32(int32(len(result)))
}

func fail(c abi.Code) uint64 { return api.EncodeI32(-int32(c)) }

// storeCode maps a store error to a code, logging what the guest cannot see.
func (h *host) storeCode(ctx context.Context, op, key string, err error) uint64 {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(abi.CodeNotFound)
	case ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return fail(abi.CodeCanceled)
	}
	h.logf("hostsim: %s %q: %v", op, key, err)
	return fail(abi.CodeInternal)
}

// kv_get(key_ptr, key_len, out_ptr, out_cap) → size
func (h *host) kvGet(ctx context.Context, mod api.Module, stack []uint64) {
	key, ok := readString(mod, stack[0], stack[1])
	if !ok {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	v, err := h.store.Get(ctx, key)
	if err != nil {
		stack[0] = h.storeCode(ctx, abi.KVGet, key, err)
		return
	}
	stack[0] = sized(mod, stack[2], stack[3], v)
}

// kv_get_unless_unchanged(key_ptr, key_len, have_ptr, have_len, out_ptr, out_cap) → size, or
// -CodeUnchanged when the value is the guest's have byte for byte (read in place: nothing
// else runs in this instance during the call).
func (h *host) kvGetUnlessUnchanged(ctx context.Context, mod api.Module, stack []uint64) {
	key, ok1 := readString(mod, stack[0], stack[1])
	have, ok2 := mod.Memory().Read(uint32(stack[2]), uint32(stack[3]))
	if !ok1 || !ok2 {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	v, err := h.store.Get(ctx, key)
	if err != nil {
		stack[0] = h.storeCode(ctx, abi.KVGetUnlessUnchanged, key, err)
		return
	}
	if bytes.Equal(v, have) {
		stack[0] = fail(abi.CodeUnchanged)
		return
	}
	stack[0] = sized(mod, stack[4], stack[5], v)
}

// kv_put(key_ptr, key_len, val_ptr, val_len, ttl_seconds i64) → status
func (h *host) kvPut(ctx context.Context, mod api.Module, stack []uint64) {
	key, ok1 := readString(mod, stack[0], stack[1])
	val, ok2 := read(mod, stack[2], stack[3])
	if !ok1 || !ok2 {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	var opts store.PutOptions
	if ttl := int64(stack[4]); ttl > 0 {
		opts.TTL = time.Duration(min(ttl, math.MaxInt64/int64(time.Second))) * time.Second
	}
	if err := h.store.Put(ctx, key, val, opts); err != nil {
		stack[0] = h.storeCode(ctx, abi.KVPut, key, err)
		return
	}
	stack[0] = 0
}

// kv_delete(key_ptr, key_len) → status
func (h *host) kvDelete(ctx context.Context, mod api.Module, stack []uint64) {
	key, ok := readString(mod, stack[0], stack[1])
	if !ok {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	if err := h.store.Delete(ctx, key); err != nil {
		stack[0] = h.storeCode(ctx, abi.KVDelete, key, err)
		return
	}
	stack[0] = 0
}

// kv_list(prefix_ptr, prefix_len, cursor_ptr, cursor_len, limit, out_ptr, out_cap) → size
func (h *host) kvList(ctx context.Context, mod api.Module, stack []uint64) {
	prefix, ok1 := readString(mod, stack[0], stack[1])
	cursor, ok2 := readString(mod, stack[2], stack[3])
	if !ok1 || !ok2 {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	page, err := h.store.List(ctx, prefix, cursor, int(api.DecodeI32(stack[4])))
	if err != nil {
		stack[0] = h.storeCode(ctx, abi.KVList, prefix, err)
		return
	}
	stack[0] = sized(mod, stack[5], stack[6], abi.EncodePage(&abi.Page{Keys: page.Keys, Cursor: page.Cursor}))
}

// kv_get_entry(key_ptr, key_len, out_ptr, out_cap) → size
func (h *host) kvGetEntry(ctx context.Context, mod api.Module, stack []uint64) {
	key, ok := readString(mod, stack[0], stack[1])
	if !ok {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	e, err := h.store.GetEntry(ctx, key)
	if err != nil {
		stack[0] = h.storeCode(ctx, abi.KVGetEntry, key, err)
		return
	}
	stack[0] = sized(mod, stack[2], stack[3], abi.EncodeEntry(e))
}

// kv_commit(ops_ptr, ops_len) → status
func (h *host) kvCommit(ctx context.Context, mod api.Module, stack []uint64) {
	raw, ok := mod.Memory().Read(uint32(stack[0]), uint32(stack[1]))
	if !ok {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	ops, err := abi.DecodeCommit(raw) // copies keys and values out of guest memory
	if err != nil {
		h.logf("hostsim: %s: %v", abi.KVCommit, err)
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	if err := store.CheckCommit(ops); err != nil {
		h.logf("hostsim: %s: %v", abi.KVCommit, err)
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	switch err := h.store.Commit(ctx, ops); {
	case err == nil:
		stack[0] = 0
	case errors.Is(err, store.ErrConflict):
		stack[0] = fail(abi.CodeConflict)
	default:
		stack[0] = h.storeCode(ctx, abi.KVCommit, ops[0].Key, err)
	}
}

// crypto_modexp(base_ptr, base_len, exp_ptr, exp_len, mod_ptr, mod_len, out_ptr, out_cap) → size
func (h *host) modExp(_ context.Context, mod api.Module, stack []uint64) {
	base, ok1 := read(mod, stack[0], stack[1])
	exp, ok2 := read(mod, stack[2], stack[3])
	m, ok3 := read(mod, stack[4], stack[5])
	if !ok1 || !ok2 || !ok3 {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	out, err := h.crypto.ModExp(base, exp, m)
	if err != nil {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	stack[0] = sized(mod, stack[6], stack[7], out)
}

// crypto_rsa_generate(bits, out_ptr, out_cap) → size
func (h *host) rsaGenerate(_ context.Context, mod api.Module, stack []uint64) {
	der, err := h.crypto.GenerateRSA(int(api.DecodeI32(stack[0])))
	if err != nil {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	stack[0] = sized(mod, stack[1], stack[2], der)
}

// signer adapts a Provider sign method to (key_ptr, key_len, digest_ptr, digest_len, out_ptr, out_cap) → size.
func (h *host) signer(sign func(key, digest []byte) ([]byte, error)) api.GoModuleFunc {
	return func(_ context.Context, mod api.Module, stack []uint64) {
		key, ok1 := read(mod, stack[0], stack[1])
		digest, ok2 := read(mod, stack[2], stack[3])
		if !ok1 || !ok2 {
			stack[0] = fail(abi.CodeInvalid)
			return
		}
		sig, err := sign(key, digest)
		if err != nil {
			stack[0] = fail(abi.CodeInvalid)
			return
		}
		stack[0] = sized(mod, stack[4], stack[5], sig)
	}
}

// crypto_rsa_sign_pair(keyA_ptr, keyA_len, digestA_ptr, digestA_len, keyB_ptr, keyB_len,
// digestB_ptr, digestB_len, out_ptr, out_cap) → size of len(sigA) (2 bytes) ‖ sigA ‖ sigB.
// The provider makes the two side by side when it can (hostcrypto.Pure does).
func (h *host) rsaSignPair(_ context.Context, mod api.Module, stack []uint64) {
	keyA, ok1 := read(mod, stack[0], stack[1])
	digestA, ok2 := read(mod, stack[2], stack[3])
	keyB, ok3 := read(mod, stack[4], stack[5])
	digestB, ok4 := read(mod, stack[6], stack[7])
	if !ok1 || !ok2 || !ok3 || !ok4 {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	sigA, sigB, err := hostcrypto.SignRSAPair(h.crypto, keyA, digestA, keyB, digestB)
	if err != nil || len(sigA) > math.MaxUint16 {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	out := make([]byte, 0, 2+len(sigA)+len(sigB))
	out = append(append(append(out, byte(len(sigA)>>8), byte(len(sigA))), sigA...), sigB...)
	stack[0] = sized(mod, stack[8], stack[9], out)
}

// verifier adapts a Provider verify method to (key_ptr, key_len, digest_ptr, digest_len, sig_ptr, sig_len) → status.
func (h *host) verifier(verify func(key, digest, sig []byte) error) api.GoModuleFunc {
	return func(_ context.Context, mod api.Module, stack []uint64) {
		key, ok1 := read(mod, stack[0], stack[1])
		digest, ok2 := read(mod, stack[2], stack[3])
		sig, ok3 := read(mod, stack[4], stack[5])
		if !ok1 || !ok2 || !ok3 {
			stack[0] = fail(abi.CodeInvalid)
			return
		}
		switch err := verify(key, digest, sig); {
		case err == nil:
			stack[0] = 0
		case errors.Is(err, hostcrypto.ErrVerify):
			stack[0] = fail(abi.CodeVerify)
		default:
			stack[0] = fail(abi.CodeInvalid)
		}
	}
}

// aesGCM is crypto_aes_gcm_seal (open false) or crypto_aes_gcm_open: (key_ptr, key_len,
// nonce_ptr, nonce_len, ad_ptr, ad_len, in_ptr, in_len, out_ptr, out_cap) → size. Natively
// Go's AES-GCM uses AES-NI and carry-less multiplication; setting up the cipher per call costs
// less than keeping keys: about 0.2 µs.
func aesGCM(open bool) api.GoModuleFunc {
	return func(_ context.Context, mod api.Module, stack []uint64) {
		key, ok1 := read(mod, stack[0], stack[1])
		nonce, ok2 := read(mod, stack[2], stack[3])
		ad, ok3 := read(mod, stack[4], stack[5])
		text, ok4 := read(mod, stack[6], stack[7])
		if !ok1 || !ok2 || !ok3 || !ok4 {
			stack[0] = fail(abi.CodeInvalid)
			return
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			stack[0] = fail(abi.CodeInvalid)
			return
		}
		gcm, err := cipher.NewGCM(block)
		if err != nil || len(nonce) != gcm.NonceSize() {
			stack[0] = fail(abi.CodeInvalid)
			return
		}
		var out []byte
		if open {
			if out, err = gcm.Open(text[:0], nonce, text, ad); err != nil {
				stack[0] = fail(abi.CodeVerify)
				return
			}
		} else {
			out = gcm.Seal(nil, nonce, text, ad)
		}
		stack[0] = sized(mod, stack[8], stack[9], out)
	}
}

// send_message(msg_ptr, msg_len) → status
func (h *host) sendMessage(ctx context.Context, mod api.Module, stack []uint64) {
	raw, ok := read(mod, stack[0], stack[1])
	if !ok {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	var m message.Message
	if err := json.Unmarshal(raw, &m); err != nil {
		stack[0] = fail(abi.CodeInvalid)
		return
	}
	if err := h.sender.Send(ctx, m); err != nil {
		if ctx.Err() != nil {
			stack[0] = fail(abi.CodeCanceled)
			return
		}
		h.logf("hostsim: send %s message to %s: %v", m.Kind, m.Destination, err)
		stack[0] = fail(abi.CodeInternal)
		return
	}
	stack[0] = 0
}

// log(level, text_ptr, text_len)
func (h *host) log(_ context.Context, mod api.Module, stack []uint64) {
	text, ok := readString(mod, stack[1], stack[2])
	if !ok {
		text = fmt.Sprintf("(log text out of range: ptr %#x len %d)", uint32(stack[1]), uint32(stack[2]))
	}
	h.logf("guest %s: %s", abi.LevelName(api.DecodeI32(stack[0])), text)
}

// runtime_config(out_ptr, out_cap) → size
func (h *host) runtimeConfig(_ context.Context, mod api.Module, stack []uint64) {
	stack[0] = sized(mod, stack[0], stack[1], h.config)
}
