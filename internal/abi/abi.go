// Package abi is the contract between poolgate's wasip1 guest (wasm/) and its hosts (hostsim/):
// the import and export names with their signatures, the error codes, the buffer convention,
// and the binary encodings of what crosses the boundary.
//
// # Buffer convention (one for every call)
//
// Inputs: the guest passes each byte string as (ptr, len) into its own linear memory. The host
// reads the bytes during the call and copies them before keeping them: a view of guest memory
// dies when the memory grows.
//
// Variable-size results ("ask size, then fill"): the guest passes an output buffer (out_ptr,
// out_cap) that it owns. The host returns the full length n of the result:
//
//	n <  0       the call failed; -n is a Code (CodeNotFound, CodeInvalid, ...).
//	0 <= n <= cap the result is in out[0:n].
//	n >  cap     nothing was written; the guest grows its buffer to at least n and calls again.
//
// Calls that return a size are idempotent (a repeated kv_get reads again; a value that grew in
// between is answered with the new size), so the retry is always safe. The guest keeps a scratch
// buffer that grows to the largest result seen, so retries are rare.
//
// Calls without a result return 0 on success or -Code.
//
// Guest exports hand memory to the host the other way round: poolgate_alloc returns a guest
// buffer the host fills before poolgate_handle or poolgate_apply; those return a packed
// ptr<<32|len (see Pack) of a guest-owned result that stays valid until the next export call.
// The host copies it out before that call.
//
// # Memory before and after kv_get("k") with out_cap = 8 and a 3-byte value "abc"
//
//	                 key_ptr   out_ptr
//	                   |         |
//	before: [.....]['k'][.....][? ? ? ? ? ? ? ?]     kv_get(key_ptr, 1, out_ptr, 8)
//	after:  [.....]['k'][.....]['a''b''c'? ? ? ? ?]  result 3
//
// # Request bodies and handoffs
//
// A request crosses into the guest with its body (poolgate's JSON APIs, bodies that are
// empty), or with Request.BodyPending set: the guest then reads the body from the host with
// BodyRead, as far as it needs, during the same poolgate_handle call. The guest's gateway
// does not forward allowed requests itself: poolgate_handle answers with a Response of Status
// StatusHandoff whose Body is the JSON of the gateway's Upstream (where to send the request,
// with which headers, and how to edit or replace the origin's answer). The host then sends
// the request to the origin with the whole body (the bytes the guest read, then the rest) and
// streams the origin's response to the client, after the guest instance is free again.
//
// Clock and randomness are not poolgate imports: the guest reads them through WASI
// (clock_time_get, random_get), which the host wires to its clock and to crypto/rand.
package abi

import "time"

// ImportModule is the module name of every poolgate host function.
const ImportModule = "poolgate"

// Host functions (guest imports). Parameters are i32 unless noted; "→ size" means the sized-result
// convention of the package documentation, "→ status" means 0 or -Code.
const (
	// KVGet reads a value: (key_ptr, key_len, out_ptr, out_cap) → size; -CodeNotFound for a
	// missing or expired key.
	KVGet = "kv_get"
	// KVPut writes a value: (key_ptr, key_len, val_ptr, val_len, ttl_seconds i64) → status.
	// ttl_seconds <= 0 means no expiry; the host's store rounds short TTLs up to its minimum.
	KVPut = "kv_put"
	// KVDelete removes a key (missing is not an error): (key_ptr, key_len) → status.
	KVDelete = "kv_delete"
	// KVList lists keys: (prefix_ptr, prefix_len, cursor_ptr, cursor_len, limit, out_ptr,
	// out_cap) → size of a Page encoded by EncodePage. limit <= 0 asks for the store's default.
	KVList = "kv_list"
	// KVGetUnlessUnchanged reads a value the guest may already hold (store.UnchangedGetter):
	// (key_ptr, key_len, have_ptr, have_len, out_ptr, out_cap) → size, as kv_get;
	// -CodeUnchanged, with nothing written, when the value is have byte for byte;
	// -CodeNotFound for a missing or expired key.
	KVGetUnlessUnchanged = "kv_get_unless_unchanged"
	// KVGetEntry reads a value with its version (store.Store.GetEntry): (key_ptr, key_len,
	// out_ptr, out_cap) → size of a store.Entry encoded by EncodeEntry; -CodeNotFound for a
	// missing or expired key. A retry with a larger buffer reads again (and may see a newer
	// version), like kv_get.
	KVGetEntry = "kv_get_entry"
	// KVCommit applies operations atomically (store.Store.Commit): (ops_ptr, ops_len) → status
	// for a []store.Op encoded by EncodeCommit. 0: every condition held and every write was
	// applied. -CodeConflict: a condition did not hold and nothing was written (the guest reads
	// again and retries, or reports the conflict). -CodeInvalid: the ops do not decode, or break
	// store.CheckCommit's rules, keys included (the host checks them again: it does not trust
	// the guest; it logs why). -CodeCanceled, -CodeInternal (a store failure; logged) as kv_put.
	// The host reads the whole op list during the call and keeps none of the guest's memory.
	//
	//	         ops_ptr
	//	           |
	//	before: [..][2 n op1 op2 ...][..]      kv_commit(ops_ptr, len)
	//	after:  unchanged                      result 0, -CodeConflict, ...
	KVCommit = "kv_commit"
	// CryptoModExp computes base^exp mod mod (unsigned big-endian byte strings):
	// (base_ptr, base_len, exp_ptr, exp_len, mod_ptr, mod_len, out_ptr, out_cap) → size.
	// The result never needs more than mod_len bytes. -CodeInvalid for a zero or even modulus.
	CryptoModExp = "crypto_modexp"
	// CryptoRSASign signs a SHA-256 digest with RSASSA-PKCS1-v1_5 using a PKCS#1 DER private key:
	// (key_ptr, key_len, digest_ptr, digest_len, out_ptr, out_cap) → size (the modulus length).
	CryptoRSASign = "crypto_rsa_sign"
	// CryptoRSASignPair makes two CryptoRSASign signatures at once (the host may make them side
	// by side): (keyA_ptr, keyA_len, digestA_ptr, digestA_len, keyB_ptr, keyB_len, digestB_ptr,
	// digestB_len, out_ptr, out_cap) → size of A's signature's length (2 bytes, big-endian),
	// A's signature, B's signature. Either failing fails the call, as CryptoRSASign would.
	CryptoRSASignPair = "crypto_rsa_sign_pair"
	// CryptoRSAGenerate makes a new RSA private key: (bits, out_ptr, out_cap) → size of its
	// PKCS#1 DER. Each call makes a different key, so a guest retrying with a larger buffer
	// simply receives another key; pass 4 KiB to fit any size offered (2048..4096 bits).
	CryptoRSAGenerate = "crypto_rsa_generate"
	// CryptoRSAVerify checks an RSASSA-PKCS1-v1_5 SHA-256 signature with a PKIX DER public key:
	// (key_ptr, key_len, digest_ptr, digest_len, sig_ptr, sig_len) → status; -CodeVerify when
	// the signature does not verify, -CodeInvalid for a key that does not parse.
	CryptoRSAVerify = "crypto_rsa_verify"
	// CryptoECDSASign signs a SHA-256 digest with a P-256 SEC 1 DER private key:
	// (key_ptr, key_len, digest_ptr, digest_len, out_ptr, out_cap) → size (64: r||s).
	CryptoECDSASign = "crypto_ecdsa_sign"
	// CryptoECDSAVerify checks a P-256 r||s signature with a PKIX DER public key:
	// (key_ptr, key_len, digest_ptr, digest_len, sig_ptr, sig_len) → status, as CryptoRSAVerify.
	CryptoECDSAVerify = "crypto_ecdsa_verify"
	// CryptoAESGCMSeal encrypts and authenticates with AES-GCM (12-byte nonce, 16-byte tag):
	// (key_ptr, key_len, nonce_ptr, nonce_len, ad_ptr, ad_len, in_ptr, in_len, out_ptr,
	// out_cap) → size (in_len + 16: the ciphertext with its tag). The key is 16, 24 or 32
	// bytes; another key or nonce length is -CodeInvalid. The host reads every input before
	// it writes out, so out may be in's own storage.
	CryptoAESGCMSeal = "crypto_aes_gcm_seal"
	// CryptoAESGCMOpen authenticates and decrypts what CryptoAESGCMSeal made: the same
	// parameters, in being the ciphertext with its tag → size (in_len - 16); -CodeVerify when
	// it does not authenticate (nothing is written), -CodeInvalid as for CryptoAESGCMSeal.
	CryptoAESGCMOpen = "crypto_aes_gcm_open"
	// SendMessage delivers a message.Message encoded as JSON: (msg_ptr, msg_len) → status.
	SendMessage = "send_message"
	// Log writes a line to the host's log: (level, text_ptr, text_len) → nothing.
	Log = "log"
	// RuntimeConfig returns the RuntimeConfig as JSON: (out_ptr, out_cap) → size.
	RuntimeConfig = "runtime_config"
	// HTTPFetch sends an outbound HTTP request (external JWKS, OIDC discovery) and returns the
	// whole response: (req_ptr, req_len, out_ptr, out_cap) → size of a Response encoded by
	// EncodeResponse. The request is encoded by EncodeRequest with URI the absolute http(s)
	// URL, Host the Host header to send ("" for the URL's host) and RemoteAddr unused.
	//
	// Unlike the other sized results, a fetch is not repeated: when the response does not fit
	// (size > out_cap), the host keeps it for the current export call and the guest collects it
	// by calling http_fetch again with req_len = 0 and a buffer of at least size bytes
	// (-CodeNotFound when nothing is kept). Bodies are buffered, not streamed: a response body
	// over MaxFetchBody fails the call. -CodeInvalid for a request that does not decode or a
	// URL that is not http(s); -CodeCanceled when the request's deadline passed; -CodeInternal
	// when the origin cannot be reached or answers too much (the host logs why).
	HTTPFetch = "http_fetch"
	// BodyRead reads the pending body of the current request (Request.BodyPending):
	// (out_ptr, out_cap) → n. It is a read, not a sized result: 0 < n <= out_cap bytes were
	// written to out[0:n]; 0 means the body has ended (and stays 0); -CodeNotFound when the
	// current export call has no pending body; -CodeCanceled when the request's deadline
	// passed; -CodeInternal when reading from the client failed (the host logs why);
	// -CodeInvalid for out_cap 0 or a buffer outside memory.
	BodyRead = "body_read"
)

// FetchTimeoutHeader, on an HTTPFetch request, is the time left to the guest's deadline for
// it, in whole milliseconds (a trigger's 5 s): the host stops waiting then and the call
// fails with -CodeCanceled. The host removes it before sending the request. The guest's
// context deadline cannot cross the import otherwise.
const FetchTimeoutHeader = "X-Poolgate-Fetch-Timeout-Ms"

// MaxFetchTimeout bounds what FetchTimeoutHeader may ask for.
const MaxFetchTimeout = 60 * time.Second

// MaxFetchBody bounds the body of an HTTPFetch response (and the body a guest sends with
// one): hosts without streaming buffer whole bodies.
const MaxFetchBody = 10 << 20

// Guest exports.
const (
	// ExportAlloc returns the guest's input buffer, grown to at least size bytes:
	// (size i32) → ptr i32. The buffer belongs to the guest and stays valid until the next
	// ExportAlloc; the host writes the request into it and passes (ptr, len) to ExportHandle or
	// ExportApply. The host never frees it.
	ExportAlloc = "poolgate_alloc"
	// ExportInit builds the guest's service from RuntimeConfig: () → packed i64 of an encoded
	// Result. The host calls it once after instantiating, before any other poolgate export.
	ExportInit = "poolgate_init"
	// ExportHandle serves one HTTP request: (req_ptr, req_len) → packed i64 of a Response
	// encoded by EncodeResponse. A panic in the guest's handler becomes a 500 response. A
	// Response with Status StatusHandoff is not an answer: its Body is the JSON of a
	// handoff.Upstream the host sends on itself (see the package documentation); a host
	// answers 500 when that JSON does not decode.
	ExportHandle = "poolgate_handle"
	// ExportApply applies a declarative configuration file (JSON): (cfg_ptr, cfg_len) → packed
	// i64 of an encoded Result whose Text is the summary of what was applied, or the error.
	ExportApply = "poolgate_apply"
	// ExportInitialize is the reactor initializer the Go toolchain adds to a c-shared wasip1
	// module: it runs the Go runtime and package initializers. The host runs it at instantiation.
	ExportInitialize = "_initialize"
	// ExportMemory is the guest's linear memory.
	ExportMemory = "memory"
)

// WASIModule is the only other module the guest may import from.
const WASIModule = "wasi_snapshot_preview1"

// ValueType is a WebAssembly value type, with its binary-format encoding
// (the same values as wazero's api.ValueType).
type ValueType byte

const (
	I32 ValueType = 0x7f
	I64 ValueType = 0x7e
)

func (v ValueType) String() string {
	switch v {
	case I32:
		return "i32"
	case I64:
		return "i64"
	}
	return "unknown"
}

// Func is the signature of one import or export.
type Func struct {
	Name    string
	Params  []ValueType
	Results []ValueType
}

func i32s(n int) []ValueType {
	v := make([]ValueType, n)
	for i := range v {
		v[i] = I32
	}
	return v
}

// Imports lists every host function the guest imports from ImportModule. Hosts register exactly
// these; a test compiles the guest and compares its import section with this table.
var Imports = []Func{
	{KVGet, i32s(4), []ValueType{I32}},
	{KVPut, append(i32s(4), I64), []ValueType{I32}},
	{KVDelete, i32s(2), []ValueType{I32}},
	{KVList, i32s(7), []ValueType{I32}},
	{KVGetUnlessUnchanged, i32s(6), []ValueType{I32}},
	{KVGetEntry, i32s(4), []ValueType{I32}},
	{KVCommit, i32s(2), []ValueType{I32}},
	{CryptoModExp, i32s(8), []ValueType{I32}},
	{CryptoRSASign, i32s(6), []ValueType{I32}},
	{CryptoRSASignPair, i32s(10), []ValueType{I32}},
	{CryptoRSAVerify, i32s(6), []ValueType{I32}},
	{CryptoRSAGenerate, i32s(3), []ValueType{I32}},
	{CryptoECDSASign, i32s(6), []ValueType{I32}},
	{CryptoECDSAVerify, i32s(6), []ValueType{I32}},
	{CryptoAESGCMSeal, i32s(10), []ValueType{I32}},
	{CryptoAESGCMOpen, i32s(10), []ValueType{I32}},
	{SendMessage, i32s(2), []ValueType{I32}},
	{Log, i32s(3), nil},
	{RuntimeConfig, i32s(2), []ValueType{I32}},
	{HTTPFetch, i32s(4), []ValueType{I32}},
	{BodyRead, i32s(2), []ValueType{I32}},
}

// Exports lists the functions the guest exports for its host.
var Exports = []Func{
	{ExportAlloc, []ValueType{I32}, []ValueType{I32}},
	{ExportInit, nil, []ValueType{I64}},
	{ExportHandle, i32s(2), []ValueType{I64}},
	{ExportApply, i32s(2), []ValueType{I64}},
	{ExportInitialize, nil, nil},
}

// Code is an error code a host function returns, negated.
type Code int32

const (
	// CodeNotFound: kv_get of a missing or expired key; body_read without a pending body.
	CodeNotFound Code = 1
	// CodeInvalid: a malformed argument (memory out of range, a key the store rejects, DER that
	// does not parse, an even modulus, bad JSON).
	CodeInvalid Code = 2
	// CodeVerify: a signature that does not verify.
	CodeVerify Code = 3
	// CodeCanceled: the request's deadline passed or it was canceled.
	CodeCanceled Code = 4
	// CodeInternal: the host failed (its store, its sender); the host logs the details.
	CodeInternal Code = 5
	// CodeConflict: kv_commit found a condition that did not hold and wrote nothing
	// (store.ErrConflict).
	CodeConflict Code = 6
	// CodeUnchanged: kv_get_unless_unchanged found the value the guest already holds.
	CodeUnchanged Code = 7
)

var codeNames = map[Code]string{
	CodeNotFound:  "not found",
	CodeInvalid:   "invalid argument",
	CodeVerify:    "verification failed",
	CodeCanceled:  "canceled",
	CodeInternal:  "host internal error",
	CodeConflict:  "conflicting write",
	CodeUnchanged: "unchanged",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return "unknown code"
}

// Error makes a Code usable as an error value.
func (c Code) Error() string { return "abi: " + c.String() }

// Log levels for the Log import.
const (
	LogDebug int32 = 0
	LogInfo  int32 = 1
	LogWarn  int32 = 2
	LogError int32 = 3
)

// LevelName names a log level ("debug", "info", "warn", "error").
func LevelName(level int32) string {
	switch level {
	case LogDebug:
		return "debug"
	case LogInfo:
		return "info"
	case LogWarn:
		return "warn"
	case LogError:
		return "error"
	}
	return "level?"
}

// Pack packs a guest pointer and length into the i64 an export returns: ptr<<32 | len.
func Pack(ptr, n uint32) uint64 { return uint64(ptr)<<32 | uint64(n) }

// Unpack splits a packed i64 into pointer and length.
func Unpack(v uint64) (ptr, n uint32) { return uint32(v >> 32), uint32(v) }
