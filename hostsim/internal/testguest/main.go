//go:build wasip1

// Command testguest is a small poolgate guest for hostsim's ABI tests: it is built with the
// same glue as the real module (package guest) but serves endpoints that exercise each import
// and the failure modes of an instance (panic, exit, runaway loop) directly.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/wasm/guest"
)

func main() {}

func init() { guest.Register(newApp) }

// ConfigKey is where Apply stores the configuration it was given.
const configKey = "testguest/config"

type app struct {
	env guest.Env
	mux *http.ServeMux
	id  string // random per instance, so tests can tell instances apart
	n   int    // requests to /counter served by this instance
}

func newApp(env guest.Env) (guest.App, error) {
	if env.Config.Region == "fail-init" {
		return nil, errors.New("testguest: region fail-init is refused")
	}
	a := &app{env: env, mux: http.NewServeMux(), id: rand.Text()}
	a.mux.HandleFunc("GET /kv", a.kvGet)
	a.mux.HandleFunc("POST /kv/unless-unchanged", a.kvGetUnlessUnchanged)
	a.mux.HandleFunc("PUT /kv", a.kvPut)
	a.mux.HandleFunc("DELETE /kv", a.kvDelete)
	a.mux.HandleFunc("GET /list", a.list)
	a.mux.HandleFunc("GET /entry", a.entry)
	a.mux.HandleFunc("POST /commit", a.commit)
	a.mux.HandleFunc("POST /crypto/{op}", a.crypto)
	a.mux.HandleFunc("POST /send", a.send)
	a.mux.HandleFunc("GET /config", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, env.Config) })
	a.mux.HandleFunc("GET /time", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, time.Now().UTC().Format(time.RFC3339Nano))
	})
	a.mux.HandleFunc("GET /counter", func(w http.ResponseWriter, r *http.Request) {
		a.n++
		fmt.Fprintf(w, "%s %d", a.id, a.n)
	})
	a.mux.HandleFunc("GET /big", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Write([]byte(strings.Repeat("0123456789abcdef", n/16+1)[:n]))
	})
	a.mux.HandleFunc("GET /log", func(w http.ResponseWriter, r *http.Request) {
		env.Logf("%s", r.URL.Query().Get("msg"))
		w.WriteHeader(http.StatusNoContent)
	})
	a.mux.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Partial", "yes")
		w.WriteHeader(http.StatusTeapot)
		panic("testguest: deliberate panic")
	})
	a.mux.HandleFunc("GET /exit", func(w http.ResponseWriter, r *http.Request) { os.Exit(3) })
	a.mux.HandleFunc("/spin", func(w http.ResponseWriter, r *http.Request) {
		// Spins for the given duration of guest time, or forever without one.
		d, err := time.ParseDuration(r.URL.Query().Get("for"))
		if err != nil {
			for i := 0; ; i++ {
				a.n = i
			}
		}
		for t0 := time.Now(); time.Since(t0) < d; {
			a.n++
		}
		io.WriteString(w, "done")
	})
	a.mux.HandleFunc("/echo", a.echo)
	a.mux.HandleFunc("/digest", digest)
	a.mux.HandleFunc("/fetch", a.fetch)
	return a, nil
}

// fetch sends the request's method, body and X-Fetch-* headers (without the prefix) to the
// URL in ?url= through http_fetch and answers with the fetched status, headers and body, or
// 502 with the error text.
func (a *app) fetch(w http.ResponseWriter, r *http.Request) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, r.URL.Query().Get("url"), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for k, vs := range r.Header {
		if name, ok := strings.CutPrefix(k, "X-Fetch-"); ok {
			req.Header[name] = vs
		}
	}
	req.Host = r.URL.Query().Get("host")
	resp, err := guest.Transport{}.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Apply stores the configuration (which must be JSON) under configKey.
func (a *app) Apply(ctx context.Context, config []byte) (string, error) {
	if !json.Valid(config) {
		return "", errors.New("testguest: config is not JSON")
	}
	if err := a.env.Store.Put(ctx, configKey, config, store.PutOptions{}); err != nil {
		return "", err
	}
	return fmt.Sprintf("testguest: stored %d bytes", len(config)), nil
}

func (a *app) kvGet(w http.ResponseWriter, r *http.Request) {
	v, err := a.env.Store.Get(r.Context(), r.URL.Query().Get("key"))
	if errors.Is(err, store.ErrNotFound) {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.Write(v)
}

// kvGetUnlessUnchanged reads key through store.GetUnlessUnchanged with the request's body as
// the bytes held: an unchanged value is answered with X-Unchanged and no body.
func (a *app) kvGetUnlessUnchanged(w http.ResponseWriter, r *http.Request) {
	have, _ := io.ReadAll(r.Body)
	v, unchanged, err := store.GetUnlessUnchanged(r.Context(), a.env.Store, r.URL.Query().Get("key"), have)
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.WriteHeader(http.StatusNotFound)
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	case unchanged:
		w.Header().Set("X-Unchanged", "1")
		w.WriteHeader(http.StatusOK)
	default:
		w.Write(v)
	}
}

func (a *app) kvPut(w http.ResponseWriter, r *http.Request) {
	v, _ := io.ReadAll(r.Body)
	ttl, _ := time.ParseDuration(r.URL.Query().Get("ttl") + "ns")
	if err := a.env.Store.Put(r.Context(), r.URL.Query().Get("key"), v, store.PutOptions{TTL: ttl}); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *app) kvDelete(w http.ResponseWriter, r *http.Request) {
	if err := a.env.Store.Delete(r.Context(), r.URL.Query().Get("key")); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *app) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	p, err := a.env.Store.List(r.Context(), q.Get("prefix"), q.Get("cursor"), limit)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// entry answers GetEntry: the value, with its version in X-Version.
func (a *app) entry(w http.ResponseWriter, r *http.Request) {
	e, err := a.env.Store.GetEntry(r.Context(), r.URL.Query().Get("key"))
	if errors.Is(err, store.ErrNotFound) {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	w.Header().Set("X-Version", strconv.FormatUint(uint64(e.Version), 10))
	w.Write(e.Value)
}

// CommitOp is a store.Op as JSON, with the key as bytes: JSON strings cannot carry invalid UTF-8.
type commitOp struct {
	store.Op
	Key []byte
}

// commit runs Commit with the JSON []commitOp it is sent: 204, or 409 for store.ErrConflict.
func (a *app) commit(w http.ResponseWriter, r *http.Request) {
	var in []commitOp
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	var ops []store.Op
	for _, op := range in {
		op.Op.Key = string(op.Key)
		ops = append(ops, op.Op)
	}
	switch err := a.env.Store.Commit(r.Context(), ops); {
	case errors.Is(err, store.ErrConflict):
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// CryptoArgs are the operands of one Provider call, in the order the method takes them. For
// AES-GCM (hostcrypto.AESGCM of the guest's provider): A the key, B the nonce, C the text,
// D the additional data; the result is appended to Prefix, or written over C's own storage
// when InPlace (the call fails if it was not).
type cryptoArgs struct {
	A, B, C, D []byte
	Prefix     []byte
	InPlace    bool
}

func (a *app) crypto(w http.ResponseWriter, r *http.Request) {
	var in cryptoArgs
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	p := a.env.Crypto
	var out []byte
	var err error
	switch r.PathValue("op") {
	case "modexp":
		out, err = p.ModExp(in.A, in.B, in.C)
	case "rsa_sign":
		out, err = p.SignRSA(in.A, in.B)
	case "rsa_sign_pair": // A, B: the first key and digest; C, D: the second's
		var sigA, sigB []byte
		if sigA, sigB, err = hostcrypto.SignRSAPair(p, in.A, in.B, in.C, in.D); err == nil {
			out = append(append([]byte{byte(len(sigA) >> 8), byte(len(sigA))}, sigA...), sigB...)
		}
	case "rsa_generate":
		out, err = p.GenerateRSA(int(binary.BigEndian.Uint16(in.A)))
	case "rsa_verify":
		err = p.VerifyRSA(in.A, in.B, in.C)
	case "ecdsa_sign":
		out, err = p.SignECDSA(in.A, in.B)
	case "ecdsa_verify":
		err = p.VerifyECDSA(in.A, in.B, in.C)
	case "aesgcm_seal", "aesgcm_open":
		out, err = aesGCM(p, r.PathValue("op") == "aesgcm_open", in)
	default:
		http.NotFound(w, r)
		return
	}
	switch {
	case errors.Is(err, hostcrypto.ErrVerify):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "verify"})
	case err != nil:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"out": base64.StdEncoding.EncodeToString(out)})
	}
}

// aesGCM seals or opens in.C as cryptoArgs says. An Open that fails is hostcrypto.ErrVerify.
func aesGCM(p hostcrypto.Provider, open bool, in cryptoArgs) ([]byte, error) {
	aead, err := hostcrypto.AESGCM(p, in.A)
	if err != nil {
		return nil, err
	}
	dst := in.Prefix
	if in.InPlace {
		buf := make([]byte, len(in.C), len(in.C)+aead.Overhead())
		copy(buf, in.C)
		in.C, dst = buf, buf[:0]
	}
	var out []byte
	if open {
		if out, err = aead.Open(dst, in.B, in.C, in.D); err != nil {
			return nil, hostcrypto.ErrVerify
		}
	} else {
		out = aead.Seal(dst, in.B, in.C, in.D)
	}
	if in.InPlace && len(out) > 0 && &out[0] != &in.C[0] {
		return nil, errors.New("the AEAD did not work in place")
	}
	return out, nil
}

func (a *app) send(w http.ResponseWriter, r *http.Request) {
	var m message.Message
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := a.env.Sender.Send(r.Context(), m); err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// Echo is what /echo reports about the request it received.
type echo struct {
	Method, URI, Path, RawQuery, Host, RemoteAddr string
	Header                                        http.Header
	Body                                          []byte
	ContentLength                                 int64
}

func (a *app) echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Add("X-Multi", "one")
	w.Header().Add("X-Multi", "two")
	writeJSON(w, http.StatusAccepted, echo{
		Method: r.Method, URI: r.RequestURI, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		Host: r.Host, RemoteAddr: r.RemoteAddr, Header: r.Header, Body: body, ContentLength: r.ContentLength,
	})
}

// Digest is what /digest reports about the body it read.
type digestReport struct {
	Length        int64
	SHA256        string
	ContentLength int64
	Reads         int // calls of Body.Read that returned bytes
}

// digest reads the request body in 64 KiB reads (the first ?n= bytes, or all of it) into a
// SHA-256 without keeping it, and reports what it read.
func digest(w http.ResponseWriter, r *http.Request) {
	limit, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil {
		limit = -1
	}
	h := sha256.New()
	rep := digestReport{ContentLength: r.ContentLength}
	buf := make([]byte, 64<<10)
	for limit < 0 || rep.Length < limit {
		p := buf
		if limit >= 0 {
			p = buf[:min(int64(len(buf)), limit-rep.Length)]
		}
		n, err := r.Body.Read(p)
		if n > 0 {
			rep.Reads++
			rep.Length += int64(n)
			h.Write(p[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	}
	rep.SHA256 = hex.EncodeToString(h.Sum(nil))
	writeJSON(w, http.StatusOK, rep)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
