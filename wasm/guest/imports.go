//go:build wasip1

package guest

// The poolgate host functions, as declared in internal/abi (names, signatures and the buffer
// convention are documented there). //go:wasmimport needs literal names; hostsim's tests compile
// this package into a module and compare its import section with abi.Imports.
//
// A string parameter is passed as (ptr, len); *byte with a uint32 length is a byte string;
// (out, outCap) is the caller's result buffer.

//go:wasmimport poolgate kv_get
func kvGet(key string, out *byte, outCap uint32) int32

//go:wasmimport poolgate kv_get_unless_unchanged
func kvGetUnlessUnchanged(key string, have *byte, haveLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate kv_put
func kvPut(key string, val *byte, valLen uint32, ttlSeconds int64) int32

//go:wasmimport poolgate kv_delete
func kvDelete(key string) int32

//go:wasmimport poolgate kv_list
func kvList(prefix, cursor string, limit int32, out *byte, outCap uint32) int32

//go:wasmimport poolgate kv_get_entry
func kvGetEntry(key string, out *byte, outCap uint32) int32

//go:wasmimport poolgate kv_commit
func kvCommit(ops *byte, opsLen uint32) int32

//go:wasmimport poolgate crypto_modexp
func cryptoModExp(base *byte, baseLen uint32, exp *byte, expLen uint32, mod *byte, modLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate crypto_rsa_sign
func cryptoRSASign(key *byte, keyLen uint32, digest *byte, digestLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate crypto_rsa_sign_pair
func cryptoRSASignPair(keyA *byte, keyALen uint32, digestA *byte, digestALen uint32, keyB *byte, keyBLen uint32, digestB *byte, digestBLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate crypto_rsa_generate
func cryptoRSAGenerate(bits int32, out *byte, outCap uint32) int32

//go:wasmimport poolgate crypto_rsa_verify
func cryptoRSAVerify(key *byte, keyLen uint32, digest *byte, digestLen uint32, sig *byte, sigLen uint32) int32

//go:wasmimport poolgate crypto_ecdsa_sign
func cryptoECDSASign(key *byte, keyLen uint32, digest *byte, digestLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate crypto_ecdsa_verify
func cryptoECDSAVerify(key *byte, keyLen uint32, digest *byte, digestLen uint32, sig *byte, sigLen uint32) int32

//go:wasmimport poolgate crypto_aes_gcm_seal
func cryptoAESGCMSeal(key *byte, keyLen uint32, nonce *byte, nonceLen uint32, ad *byte, adLen uint32, in *byte, inLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate crypto_aes_gcm_open
func cryptoAESGCMOpen(key *byte, keyLen uint32, nonce *byte, nonceLen uint32, ad *byte, adLen uint32, in *byte, inLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate send_message
func sendMessage(msg *byte, msgLen uint32) int32

//go:wasmimport poolgate log
func hostLog(level int32, text string)

//go:wasmimport poolgate runtime_config
func runtimeConfig(out *byte, outCap uint32) int32

//go:wasmimport poolgate http_fetch
func httpFetch(req *byte, reqLen uint32, out *byte, outCap uint32) int32

//go:wasmimport poolgate body_read
func bodyRead(out *byte, outCap uint32) int32
