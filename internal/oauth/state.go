package oauth

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Sealed state. Each kind has its own seal purpose, so one never opens as another.
const (
	purposeCode    = "oauth/code"
	purposeSession = "oauth/session"
	purposeCSRF    = "oauth/csrf"

	codeTTL    = 5 * time.Minute // spec §6: a code is valid for 5 minutes
	sessionTTL = time.Hour       // spec §6: the session cookie lasts 1 hour
	csrfTTL    = time.Hour

	sessionCookie = "cognito"
	csrfCookie    = "XSRF-TOKEN"
	csrfField     = "_csrf"

	// maxSealed bounds a sealed value presented back to us (a code is well under 2 KiB).
	maxSealed = 4 << 10
)

// codeState is what an authorization code grants, sealed into the code itself; its ID
// names the consume-once marker that makes it single-use, and is the origin_jti of the
// tokens it is redeemed for, so that a second redemption can revoke them.
type codeState struct {
	ID          string   `json:"i"`
	Pool        string   `json:"p"`
	Client      string   `json:"c"`
	RedirectURI string   `json:"r"`
	Username    string   `json:"u"`
	Sub         string   `json:"s"`
	Scopes      []string `json:"sc"`
	Nonce       string   `json:"n,omitempty"`
	Challenge   string   `json:"cc,omitempty"` // PKCE S256 code_challenge
	AuthTime    int64    `json:"t"`
}

// sessionState is the managed-login session cookie: who signed in to which pool, and when.
type sessionState struct {
	Pool     string `json:"p"`
	Username string `json:"u"`
	Sub      string `json:"s"`
	AuthTime int64  `json:"t"`
}

// sealJSON seals v for purpose until expires, as base64url.
func (s *Server) sealJSON(purpose string, v any, expires time.Time) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("oauth: %s: %w", purpose, err)
	}
	sealed, err := s.cfg.Seal.Seal(purpose, plain, expires)
	if err != nil {
		return "", fmt.Errorf("oauth: %s: %w", purpose, err)
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// openJSON opens a value sealJSON made into v; false for anything forged, expired,
// oversized or of another purpose.
func (s *Server) openJSON(purpose, raw string, v any) bool {
	if raw == "" || len(raw) > maxSealed {
		return false
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(raw)
	if err != nil {
		return false
	}
	plain, err := s.cfg.Seal.Open(purpose, sealed, s.now())
	if err != nil {
		return false
	}
	return json.Unmarshal(plain, v) == nil
}

// randomToken returns n random bytes as base64url.
func (s *Server) randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("oauth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newUUID returns a random (version 4) UUID.
func (s *Server) newUUID() (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("oauth: random: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// setCookie sets a managed-login cookie: HttpOnly, Secure, SameSite=Lax, for the whole host.
func setCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// clearCookie removes a managed-login cookie.
func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// session opens the request's session cookie for pool; nil when there is none, it is
// forged or expired, or it belongs to another pool.
func (s *Server) session(r *http.Request, pool string) *sessionState {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return s.openSession(c.Value, pool)
}

// openSession is the cookie opener: a session for pool, or nil.
func (s *Server) openSession(raw, pool string) *sessionState {
	var st sessionState
	if !s.openJSON(purposeSession, raw, &st) || st.Pool != pool || st.Username == "" {
		return nil
	}
	return &st
}

// startSession sets the session cookie for a sign-in to pool.
func (s *Server) startSession(w http.ResponseWriter, st *sessionState) error {
	v, err := s.sealJSON(purposeSession, st, s.now().Add(sessionTTL))
	if err != nil {
		return err
	}
	setCookie(w, sessionCookie, v, sessionTTL)
	return nil
}

// csrfToken returns the form token for this browser, setting the browser's CSRF cookie
// when it has no usable one. The form token seals the cookie's value, so a form posted from
// elsewhere (which cannot read the cookie nor forge the seal) fails checkCSRF.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
	var secret string
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		if _, err := base64.RawURLEncoding.DecodeString(c.Value); err == nil {
			secret = c.Value
		}
	}
	if secret == "" {
		var err error
		if secret, err = s.randomToken(32); err != nil {
			return "", err
		}
		setCookie(w, csrfCookie, secret, csrfTTL)
	}
	return s.sealJSON(purposeCSRF, secret, s.now().Add(csrfTTL))
}

// checkCSRF reports whether a posted form carries a token made for this browser's cookie.
func (s *Server) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false
	}
	var secret string
	if !s.openJSON(purposeCSRF, r.PostForm.Get(csrfField), &secret) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(secret), []byte(c.Value)) == 1
}
