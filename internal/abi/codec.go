package abi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// Binary form. Every encoding starts with a version byte; strings and byte strings are a uvarint
// length followed by the bytes; a header block is a uvarint count of (name, value) string pairs,
// one pair per value, names in ascending order. Decoders check every length against the bytes
// that remain, reject trailing bytes, and never panic.
//
//	Request:  version=2, method, uri, host, remote_addr, header block, body, byte body_pending (0 or 1)
//	Response: version=2, uvarint status (100..999, or 0 = StatusHandoff), header block, body
//	Page:     version=2, uvarint key count, keys..., cursor
//	Result:   version=2, byte ok (1) or failed (0), text
//	Entry:    version=2, uvarint store version (> 0), value
//	Commit:   version=2, uvarint op count, ops...; an op is byte kind (store.OpKind),
//	          byte conditional (0 or 1), uvarint if_version (0 when unconditional), key,
//	          value, uvarint ttl_nanoseconds (0 = none)
//
// A pending request has an empty body (the guest reads it with BodyRead); a handoff response
// has an empty header block. Version 2 added body_pending and StatusHandoff: a host and a guest
// built from different versions fail on the version byte, not on a field.
const version = 2

// ErrMalformed is returned (wrapped) by every decoder for input that is not a valid encoding.
var ErrMalformed = errors.New("abi: malformed encoding")

// Request is an HTTP request as it crosses into the guest.
type Request struct {
	Method     string
	URI        string // the request target as received: path and query, e.g. "/oauth2/token?x=1"
	Host       string
	RemoteAddr string
	Header     http.Header // one pair per value on the wire; names kept as given
	Body       []byte
	// BodyPending says the body was not sent: the guest reads it with the BodyRead import
	// during this export call. Body is then empty.
	BodyPending bool
}

// StatusHandoff is the Status of a Response that hands the request back to the host: the
// guest's gateway allowed it and the host sends it to the origin itself (streaming both
// bodies). Body is the JSON form of the gateway's Upstream (internal/handoff: Decode checks
// it) and Header is empty.
const StatusHandoff = 0

// Response is the guest's HTTP response, or a handoff (Status StatusHandoff).
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Page is the result of kv_list.
type Page struct {
	Keys   []string
	Cursor string
}

// Result is what poolgate_init and poolgate_apply return: success with a summary, or an error text.
type Result struct {
	OK   bool
	Text string
}

// EncodeEntry encodes e (a present entry: its version is never store.NoVersion).
func EncodeEntry(e store.Entry) []byte {
	b := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(e.Value))
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(e.Version))
	return appendBytes(b, e.Value)
}

// DecodeEntry decodes an encoded Entry. Value is nil when empty and otherwise a copy.
func DecodeEntry(b []byte) (store.Entry, error) {
	d := decoder{b: b}
	d.version()
	v := d.uvarint()
	if d.err == nil && v == uint64(store.NoVersion) {
		d.fail("entry without a version")
	}
	e := store.Entry{Version: store.Version(v), Value: d.bytes()}
	if err := d.finish("entry"); err != nil {
		return store.Entry{}, err
	}
	return e, nil
}

// minOpSize is the fewest bytes an encoded op takes (kind, conditional, and four empty varints).
const minOpSize = 6

// EncodeCommit encodes the ops of a commit. A TTL that is not positive is encoded as none.
func EncodeCommit(ops []store.Op) []byte {
	n := 1 + binary.MaxVarintLen32
	for _, op := range ops {
		n += 2 + 2*binary.MaxVarintLen64 + 2*binary.MaxVarintLen32 + len(op.Key) + len(op.Value)
	}
	b := make([]byte, 0, n)
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for _, op := range ops {
		b = append(b, byte(op.Kind), flag(op.Conditional))
		b = binary.AppendUvarint(b, uint64(op.IfVersion))
		b = appendString(b, op.Key)
		b = appendBytes(b, op.Value)
		b = binary.AppendUvarint(b, uint64(max(op.TTL, 0)))
	}
	return b
}

// DecodeCommit decodes the ops of a commit. It checks the encoding (known kinds, flags, no
// version on an unconditional op, TTLs that fit a time.Duration), not store.CheckCommit's
// rules, which the store applies. Values are nil when empty and otherwise copies.
func DecodeCommit(b []byte) ([]store.Op, error) {
	d := decoder{b: b}
	d.version()
	n := d.count(minOpSize)
	var ops []store.Op
	if n > 0 {
		ops = make([]store.Op, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		kind, cond := d.byte(), d.byte()
		op := store.Op{Kind: store.OpKind(kind), Conditional: cond == 1, IfVersion: store.Version(d.uvarint())}
		op.Key = d.string()
		op.Value = d.bytes()
		ttl := d.uvarint()
		switch {
		case d.err != nil:
		case kind > byte(store.OpDelete):
			d.fail("op %d: kind %d", i, kind)
		case cond > 1:
			d.fail("op %d: conditional flag %d", i, cond)
		case !op.Conditional && op.IfVersion != store.NoVersion:
			d.fail("op %d: a version on an unconditional op", i)
		case ttl > math.MaxInt64:
			d.fail("op %d: ttl %d out of range", i, ttl)
		}
		op.TTL = time.Duration(ttl)
		ops = append(ops, op)
	}
	if err := d.finish("commit"); err != nil {
		return nil, err
	}
	return ops, nil
}

// EncodeRequest encodes r.
func EncodeRequest(r *Request) []byte {
	n := 2 + 5*binary.MaxVarintLen32 + len(r.Method) + len(r.URI) + len(r.Host) + len(r.RemoteAddr) + len(r.Body) + headerSize(r.Header)
	b := make([]byte, 0, n)
	b = append(b, version)
	b = appendString(b, r.Method)
	b = appendString(b, r.URI)
	b = appendString(b, r.Host)
	b = appendString(b, r.RemoteAddr)
	b = appendHeader(b, r.Header)
	b = appendBytes(b, r.Body)
	return append(b, flag(r.BodyPending))
}

func flag(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// DecodeRequest decodes an encoded Request. Header is never nil; Body is nil when empty and
// otherwise a copy (b may be reused after the call). A pending request with a body is
// malformed.
func DecodeRequest(b []byte) (*Request, error) {
	d := decoder{b: b}
	d.version()
	r := &Request{}
	r.Method = d.string()
	r.URI = d.string()
	r.Host = d.string()
	r.RemoteAddr = d.string()
	r.Header = d.header()
	r.Body = d.bytes()
	switch pending := d.byte(); {
	case d.err != nil:
	case pending > 1:
		d.fail("body_pending flag %d", pending)
	case pending == 1 && len(r.Body) > 0:
		d.fail("a pending body with %d bytes sent", len(r.Body))
	default:
		r.BodyPending = pending == 1
	}
	if err := d.finish("request"); err != nil {
		return nil, err
	}
	return r, nil
}

// EncodeResponse encodes r.
func EncodeResponse(r *Response) []byte {
	b := make([]byte, 0, 1+3*binary.MaxVarintLen32+len(r.Body)+headerSize(r.Header))
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(r.Status))
	b = appendHeader(b, r.Header)
	b = appendBytes(b, r.Body)
	return b
}

// DecodeResponse decodes an encoded Response. Header is never nil; Body is nil when empty and
// otherwise a copy. Status is 100..999, or StatusHandoff with an empty header.
func DecodeResponse(b []byte) (*Response, error) {
	d := decoder{b: b}
	d.version()
	status := d.uvarint()
	if d.err == nil && status != StatusHandoff && (status < 100 || status > 999) {
		d.fail("status %d out of range", status)
	}
	r := &Response{Status: int(status)}
	r.Header = d.header()
	if d.err == nil && status == StatusHandoff && len(r.Header) > 0 {
		d.fail("a handoff with %d header names", len(r.Header))
	}
	r.Body = d.bytes()
	if err := d.finish("response"); err != nil {
		return nil, err
	}
	return r, nil
}

// EncodePage encodes p.
func EncodePage(p *Page) []byte {
	n := 1 + binary.MaxVarintLen32*(2+len(p.Keys)) + len(p.Cursor)
	for _, k := range p.Keys {
		n += len(k)
	}
	b := make([]byte, 0, n)
	b = append(b, version)
	b = binary.AppendUvarint(b, uint64(len(p.Keys)))
	for _, k := range p.Keys {
		b = appendString(b, k)
	}
	b = appendString(b, p.Cursor)
	return b
}

// DecodePage decodes an encoded Page. Keys is nil when empty.
func DecodePage(b []byte) (*Page, error) {
	d := decoder{b: b}
	d.version()
	n := d.count(1)
	p := &Page{}
	if n > 0 {
		p.Keys = make([]string, 0, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		p.Keys = append(p.Keys, d.string())
	}
	p.Cursor = d.string()
	if err := d.finish("page"); err != nil {
		return nil, err
	}
	return p, nil
}

// EncodeResult encodes r.
func EncodeResult(r *Result) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen32+len(r.Text))
	b = append(b, version)
	if r.OK {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return appendString(b, r.Text)
}

// DecodeResult decodes an encoded Result.
func DecodeResult(b []byte) (*Result, error) {
	d := decoder{b: b}
	d.version()
	ok := d.byte()
	if d.err == nil && ok > 1 {
		d.fail("result flag %d", ok)
	}
	r := &Result{OK: ok == 1}
	r.Text = d.string()
	if err := d.finish("result"); err != nil {
		return nil, err
	}
	return r, nil
}

func headerSize(h http.Header) int {
	n := binary.MaxVarintLen32
	for k, vs := range h {
		for _, v := range vs {
			n += 2*binary.MaxVarintLen32 + len(k) + len(v)
		}
	}
	return n
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

func appendHeader(b []byte, h http.Header) []byte {
	names := make([]string, 0, len(h))
	pairs := 0
	for k, vs := range h {
		names = append(names, k)
		pairs += len(vs)
	}
	sort.Strings(names)
	b = binary.AppendUvarint(b, uint64(pairs))
	for _, k := range names {
		for _, v := range h[k] {
			b = appendString(b, k)
			b = appendString(b, v)
		}
	}
	return b
}

// decoder reads an encoding front to back; the first error sticks and later reads return zero values.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) version() {
	if v := d.byte(); d.err == nil && v != version {
		d.fail("version %d, want %d", v, version)
	}
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad length")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads an element count and checks it against the remaining bytes, given that each
// element takes at least minSize bytes, so a forged count cannot make the caller allocate.
func (d *decoder) count(minSize int) int {
	v := d.uvarint()
	if d.err != nil {
		return 0
	}
	if v > uint64(len(d.b)/minSize) {
		d.fail("count %d exceeds the remaining %d bytes", v, len(d.b))
		return 0
	}
	return int(v)
}

func (d *decoder) raw() []byte {
	v := d.uvarint()
	if d.err != nil {
		return nil
	}
	if v > uint64(len(d.b)) {
		d.fail("length %d exceeds the remaining %d bytes", v, len(d.b))
		return nil
	}
	p := d.b[:v]
	d.b = d.b[v:]
	return p
}

func (d *decoder) string() string { return string(d.raw()) }

func (d *decoder) bytes() []byte {
	p := d.raw()
	if len(p) == 0 {
		return nil
	}
	return append([]byte(nil), p...)
}

// header reads a header block. Every request and response crosses with one, so it
// allocates little: the values share one array (a name's first value is a one-element,
// full-capacity slice of it, so appending a later value of the name copies rather than
// overwrites), and the names poolgate's clients and handlers use are the constants of
// commonHeaderNames rather than new strings.
func (d *decoder) header() http.Header {
	n := d.count(2)
	h := make(http.Header, min(n, 64))
	var values []string
	if n > 0 {
		values = make([]string, n) // n is bounded by the bytes that remain (count)
	}
	for i := 0; i < n && d.err == nil; i++ {
		k := d.headerName()
		v := d.string()
		if d.err != nil {
			break
		}
		if cur, ok := h[k]; ok {
			h[k] = append(cur, v)
		} else {
			values[i] = v
			h[k] = values[i : i+1 : i+1]
		}
	}
	return h
}

// headerName reads a header name, as d.string does, returning the constant of a common name.
func (d *decoder) headerName() string {
	b := d.raw()
	if name, ok := commonHeaderNames[string(b)]; ok { // the lookup does not allocate
		return name
	}
	return string(b)
}

// commonHeaderNames are the canonical header names the AWS SDKs, browsers and poolgate's own
// responses send on every request, mapped to themselves.
var commonHeaderNames = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{
		"Accept", "Accept-Encoding", "Accept-Language", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
		"Access-Control-Max-Age", "Amz-Sdk-Invocation-Id", "Amz-Sdk-Request", "Authorization",
		"Cache-Control", "Connection", "Content-Length", "Content-Type", "Cookie", "Date", "Host",
		"Location", "Origin", "Pragma", "Referer", "Set-Cookie", "User-Agent", "Vary",
		"X-Amz-Content-Sha256", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Target",
		"X-Amz-User-Agent", "X-Amzn-Requestid", "X-Forwarded-For", "X-Forwarded-Proto",
	} {
		m[k] = k
	}
	return m
}()

func (d *decoder) finish(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return fmt.Errorf("%w: %s: %v", ErrMalformed, what, d.err)
	}
	return nil
}
