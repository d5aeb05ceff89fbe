// Package creds owns the temporary AWS credentials that identity pools vend: it mints them as
// self-contained sealed session tokens and, with no store read, turns a request's access key
// and session token back into the principal, role and policy they were issued for.
package creds

import (
	"bytes"
	"compress/flate"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/poolgate/poolgate/internal/policy"
	"github.com/poolgate/poolgate/internal/seal"
	"github.com/poolgate/poolgate/internal/sigv4"
)

const (
	// DefaultLifetime is how long vended credentials live (Cognito's default, spec §7.1).
	DefaultLifetime = time.Hour
	// MaxLifetime bounds Grant.Lifetime.
	MaxLifetime = 12 * time.Hour
	// AccessKeyPrefix starts every vended access key id, as AWS's temporary keys do.
	AccessKeyPrefix = "ASIA"
	// MaxSessionTokenLen bounds the session tokens Lookup looks at.
	MaxSessionTokenLen = 64 << 10
)

// Key-derivation labels: the session tokens and the secret keys use keys of their own.
const (
	labelSession = "poolgate creds session v1"
	labelSecret  = "poolgate creds secret v1"
	purpose      = "creds/session"
)

// Principal is who a verified request acts as: the identity, the role it assumed and the
// role's policy, as sealed into the session token when the credentials were vended.
// Principals from Lookup share Policy and Logins with other lookups of the same token: treat
// them as read-only.
type Principal struct {
	IdentityID     string
	IdentityPoolID string
	RoleArn        string
	Policy         *policy.Document
	Authenticated  bool
	Issued         time.Time
	Expires        time.Time
	Logins         []string // provider names of the logins the credentials were vended for
	AccessKeyID    string
	// Username is the user-pool user name (cognito:username) when the credentials were vended
	// for a login to one of poolgate's own user pools; "" otherwise. It is the value of
	// ${aws:username} [est: poolgate's choice; AWS leaves aws:username unset for web identities].
	Username string
}

// Vars returns the policy variables and single-valued condition keys the principal defines:
// cognito-identity.amazonaws.com:sub (the identity id), :aud (the identity pool id),
// aws:username (see Username), aws:PrincipalArn (the role), aws:PrincipalType ("AssumedRole")
// and aws:TokenIssueTime. Keys that depend on the request (aws:SourceIp, aws:CurrentTime, ...)
// are the caller's to add.
func (p *Principal) Vars() map[string]string {
	v := map[string]string{
		"cognito-identity.amazonaws.com:sub": p.IdentityID,
		"cognito-identity.amazonaws.com:aud": p.IdentityPoolID,
		"aws:PrincipalArn":                   p.RoleArn,
		"aws:PrincipalType":                  "AssumedRole",
		"aws:TokenIssueTime":                 p.Issued.UTC().Format(time.RFC3339),
	}
	if p.Username != "" {
		v["aws:username"] = p.Username
	}
	return v
}

// Sets returns the multi-valued condition keys: cognito-identity.amazonaws.com:amr is
// ["authenticated", <login providers>...] or ["unauthenticated"], as in Cognito's tokens.
func (p *Principal) Sets() map[string][]string {
	amr := []string{"unauthenticated"}
	if p.Authenticated {
		amr = append([]string{"authenticated"}, p.Logins...)
	}
	return map[string][]string{"cognito-identity.amazonaws.com:amr": amr}
}

// Request builds the policy request for an action on a resource; extra adds request keys
// (e.g. aws:SourceIp, aws:SecureTransport, s3:prefix) and cannot override the principal's own.
func (p *Principal) Request(action, resource string, extra map[string]string) policy.Request {
	vars := p.Vars()
	for k, v := range extra {
		if _, own := vars[k]; !own {
			vars[k] = v
		}
	}
	return policy.Request{Action: action, Resource: resource, Vars: vars, Sets: p.Sets()}
}

// Evaluate decides the principal's policy for an action on a resource (see Request).
func (p *Principal) Evaluate(action, resource string, extra map[string]string) policy.Decision {
	return p.Policy.Evaluate(p.Request(action, resource, extra))
}

// Grant is what the identity pool decided to vend credentials for.
type Grant struct {
	IdentityID, IdentityPoolID, RoleArn string
	Policy                              *policy.Document
	Authenticated                       bool
	Logins                              []string
	Username                            string
	Lifetime                            time.Duration // 0 means DefaultLifetime
}

// Credentials are AWS-shaped temporary credentials.
type Credentials struct {
	AccessKeyID, SecretKey, SessionToken string
	Expiration                           time.Time
}

// claims is the sealed content of a session token.
type claims struct {
	AccessKeyID    string   `json:"k"`
	Nonce          []byte   `json:"n"`
	IdentityID     string   `json:"i"`
	IdentityPoolID string   `json:"p"`
	RoleArn        string   `json:"r"`
	Authenticated  bool     `json:"a,omitempty"`
	Logins         []string `json:"l,omitempty"`
	Username       string   `json:"u,omitempty"`
	Issued         int64    `json:"t"`
	Expires        int64    `json:"x"`
	Policy         []byte   `json:"d"`           // the role's policy JSON, deflated when Deflated
	Deflated       bool     `json:"z,omitempty"` // Policy is raw DEFLATE
}

// Issuer mints credentials. It is safe for concurrent use.
type Issuer struct {
	sealer *seal.Sealer
	v      *Verifier

	randMu sync.Mutex
	rand   io.Reader
}

// NewIssuer returns an Issuer whose keys derive from the 32-byte master key.
func NewIssuer(masterKey []byte, rand io.Reader, now func() time.Time) (*Issuer, error) {
	v, err := NewVerifier(masterKey, now)
	if err != nil {
		return nil, err
	}
	if rand == nil {
		return nil, errors.New("creds: nil random source")
	}
	s, err := seal.New(seal.DeriveKey(masterKey, labelSession), rand)
	if err != nil {
		return nil, fmt.Errorf("creds: %w", err)
	}
	return &Issuer{sealer: s, v: v, rand: rand}, nil
}

// Verifier returns the verifier for the credentials this Issuer mints.
func (i *Issuer) Verifier() *Verifier { return i.v }

// Issue mints credentials for g. They expire after g.Lifetime (DefaultLifetime when 0).
func (i *Issuer) Issue(g Grant) (*Credentials, error) {
	if g.IdentityID == "" || g.IdentityPoolID == "" || g.RoleArn == "" || g.Policy == nil {
		return nil, errors.New("creds: grant needs an identity, a pool, a role and a policy")
	}
	life := g.Lifetime
	if life == 0 {
		life = DefaultLifetime
	}
	if life < 0 || life > MaxLifetime {
		return nil, fmt.Errorf("creds: lifetime %v outside (0, %v]", life, MaxLifetime)
	}
	var random [10 + 16]byte
	i.randMu.Lock()
	_, err := io.ReadFull(i.rand, random[:])
	i.randMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("creds: reading randomness: %w", err)
	}
	akid := AccessKeyPrefix + base32.StdEncoding.EncodeToString(random[:10]) // 16 characters
	nonce := random[10:]

	now := i.v.now()
	exp := now.Add(life).Truncate(time.Second)
	c := claims{
		AccessKeyID: akid, Nonce: nonce,
		IdentityID: g.IdentityID, IdentityPoolID: g.IdentityPoolID, RoleArn: g.RoleArn,
		Authenticated: g.Authenticated, Logins: g.Logins, Username: g.Username,
		Issued: now.Unix(), Expires: exp.Unix(),
	}
	c.Policy, c.Deflated, err = packPolicy(g.Policy.JSON())
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("creds: %w", err)
	}
	sealed, err := i.sealer.Seal(purpose, plain, exp)
	if err != nil {
		return nil, fmt.Errorf("creds: %w", err)
	}
	tok := base64.StdEncoding.EncodeToString(sealed)
	if len(tok) > MaxSessionTokenLen {
		return nil, fmt.Errorf("creds: session token of %d bytes is over the %d limit; shorten the role's policy", len(tok), MaxSessionTokenLen)
	}
	return &Credentials{
		AccessKeyID:  akid,
		SecretKey:    i.v.secret(akid, nonce),
		SessionToken: tok,
		Expiration:   exp,
	}, nil
}

// deflaters recycles DEFLATE writers: each holds about a megabyte of tables.
var deflaters = sync.Pool{New: func() any {
	w, err := flate.NewWriter(io.Discard, flate.BestCompression)
	if err != nil {
		panic("creds: " + err.Error()) // only for an invalid level
	}
	return w
}}

// packPolicy deflates the policy when that makes it shorter.
func packPolicy(doc []byte) ([]byte, bool, error) {
	if len(doc) < 256 {
		return doc, false, nil
	}
	var b bytes.Buffer
	w := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(w)
	w.Reset(&b)
	if _, err := w.Write(doc); err != nil {
		return nil, false, fmt.Errorf("creds: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, false, fmt.Errorf("creds: %w", err)
	}
	if b.Len() >= len(doc) {
		return doc, false, nil
	}
	return b.Bytes(), true, nil
}

// Verifier resolves vended credentials statelessly. It is safe for concurrent use.
type Verifier struct {
	opener    *seal.Sealer
	secretKey []byte
	now       func() time.Time

	mu       sync.Mutex
	policies map[[32]byte]*policy.Document // parsed policies by digest of their packed bytes
	sessions map[string]*opened            // opened session tokens, by token
	cached   int                           // bytes of the tokens in sessions
}

// opened is a session token Lookup has opened: what it yields, except the expiry check,
// which is made on every use.
type opened struct {
	secret string
	p      Principal
}

// Cache bounds: each cache is emptied when full. A token enters the session cache only once
// it has opened, so forgeries cannot fill it.
const (
	maxCachedPolicies     = 256
	maxCachedSessionBytes = 8 << 20
)

// NewVerifier returns a Verifier for credentials minted under the 32-byte master key. A host
// that only verifies (an edge location guarding origins) needs nothing else.
func NewVerifier(masterKey []byte, now func() time.Time) (*Verifier, error) {
	if len(masterKey) != seal.KeySize {
		return nil, fmt.Errorf("creds: master key is %d bytes, want %d", len(masterKey), seal.KeySize)
	}
	if now == nil {
		return nil, errors.New("creds: nil clock")
	}
	opener, err := seal.New(seal.DeriveKey(masterKey, labelSession), refuseReader{})
	if err != nil {
		return nil, fmt.Errorf("creds: %w", err)
	}
	return &Verifier{
		opener:    opener,
		secretKey: seal.DeriveKey(masterKey, labelSecret),
		now:       now,
		policies:  map[[32]byte]*policy.Document{},
		sessions:  map[string]*opened{},
	}, nil
}

// refuseReader makes the Verifier's Sealer unable to seal: it only opens.
type refuseReader struct{}

func (refuseReader) Read([]byte) (int, error) {
	return 0, errors.New("creds: a Verifier does not seal")
}

// secret derives the secret access key of an access key id and its token's nonce.
func (v *Verifier) secret(akid string, nonce []byte) string {
	m := hmac.New(sha256.New, v.secretKey)
	m.Write([]byte(akid))
	m.Write([]byte{0})
	m.Write(nonce)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))[:40]
}

// Lookup opens the session token sent with accessKeyID and returns the secret key to verify
// the request's signature with, and the principal. It reads no store; an instance keeps the
// tokens it has opened (bounded) so that a client's next requests skip the decryption. Refusals
// are *sigv4.Error: UnrecognizedClient for an unknown, malformed, forged or mismatched key or
// token, ExpiredToken for a genuine token past its expiry.
func (v *Verifier) Lookup(accessKeyID, sessionToken string) (string, *Principal, error) {
	if !strings.HasPrefix(accessKeyID, AccessKeyPrefix) || sessionToken == "" || len(sessionToken) > MaxSessionTokenLen {
		return "", nil, sigv4.UnknownKey()
	}
	v.mu.Lock()
	o := v.sessions[sessionToken]
	v.mu.Unlock()
	if o == nil {
		var err error
		if o, err = v.open(sessionToken); err != nil {
			return "", nil, err
		}
		v.mu.Lock()
		if v.cached+len(sessionToken) > maxCachedSessionBytes {
			clear(v.sessions)
			v.cached = 0
		}
		v.sessions[sessionToken] = o
		v.cached += len(sessionToken)
		v.mu.Unlock()
	}
	if v.now().Unix() >= o.p.Expires.Unix() {
		return "", nil, sigv4.TokenExpired()
	}
	if subtle.ConstantTimeCompare([]byte(o.p.AccessKeyID), []byte(accessKeyID)) != 1 {
		return "", nil, sigv4.UnknownKey()
	}
	p := o.p
	return o.secret, &p, nil
}

// open decrypts and decodes a session token.
func (v *Verifier) open(sessionToken string) (*opened, error) {
	sealed, err := base64.StdEncoding.DecodeString(sessionToken)
	if err != nil {
		return nil, sigv4.UnknownKey()
	}
	plain, err := v.opener.Open(purpose, sealed, v.now())
	switch {
	case errors.Is(err, seal.ErrExpired):
		return nil, sigv4.TokenExpired()
	case err != nil:
		return nil, sigv4.UnknownKey()
	}
	var c claims
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, sigv4.UnknownKey()
	}
	doc, err := v.policy(c.Policy, c.Deflated)
	if err != nil {
		return nil, sigv4.UnknownKey()
	}
	return &opened{
		secret: v.secret(c.AccessKeyID, c.Nonce),
		p: Principal{
			IdentityID: c.IdentityID, IdentityPoolID: c.IdentityPoolID, RoleArn: c.RoleArn,
			Policy: doc, Authenticated: c.Authenticated, Logins: c.Logins, Username: c.Username,
			Issued: time.Unix(c.Issued, 0).UTC(), Expires: time.Unix(c.Expires, 0).UTC(),
			AccessKeyID: c.AccessKeyID,
		},
	}, nil
}

// policy returns the parsed policy of a token, from the cache when it was seen before.
func (v *Verifier) policy(packed []byte, deflated bool) (*policy.Document, error) {
	h := sha256.New()
	if deflated {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	h.Write(packed)
	var digest [32]byte
	h.Sum(digest[:0])
	v.mu.Lock()
	doc := v.policies[digest]
	v.mu.Unlock()
	if doc != nil {
		return doc, nil
	}
	raw := packed
	if deflated {
		r := flate.NewReader(bytes.NewReader(packed))
		b, err := io.ReadAll(io.LimitReader(r, policy.MaxSize+1))
		if err != nil {
			return nil, fmt.Errorf("creds: inflating policy: %w", err)
		}
		raw = b
	}
	doc, err := policy.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("creds: %w", err)
	}
	v.mu.Lock()
	if len(v.policies) >= maxCachedPolicies {
		clear(v.policies)
	}
	v.policies[digest] = doc
	v.mu.Unlock()
	return doc, nil
}

// VerifyRequest checks the SigV4 signature of r made with vended credentials (opt.Lookup is
// set here) and returns the signature result and the principal. Refusals are *sigv4.Error.
func (v *Verifier) VerifyRequest(r *http.Request, body []byte, opt sigv4.Options) (*sigv4.Result, *Principal, error) {
	var p *Principal
	opt.Lookup = func(akid, tok string) (string, error) {
		secret, principal, err := v.Lookup(akid, tok)
		if err != nil {
			return "", err
		}
		p = principal
		return secret, nil
	}
	res, err := sigv4.VerifyRequest(r, body, opt)
	if err != nil {
		return nil, nil, err
	}
	return res, p, nil
}
