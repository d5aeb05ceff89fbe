package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/bound"
)

// What a sign-in's risk is judged by: where it comes from and on what device. The signals and
// whom each is taken from (README, "Adaptive authentication"):
//
//   - Address: for AdminInitiateAuth / AdminRespondToAuthChallenge, ContextData.IpAddress
//     (the caller is the application's back end, authenticated by SigV4, speaking for its
//     user); for the public calls, UserContextData.IpAddress only when the app client has
//     EnablePropagateAdditionalUserContextData (Cognito's rule: otherwise a client could
//     name any address); else the header the host trusts for it (Deps.ClientAddressHeader,
//     set by an operator behind a proxy; the Worker sets the request's address from
//     CF-Connecting-IP, which Cloudflare writes); else the request's peer address.
//   - Country: the header the host trusts for it (Deps.CountryHeader: CF-IPCountry on the
//     Worker; on hostsim none unless the operator names one), two letters; unknown otherwise.
//   - Device: the DEVICE_KEY the client sends (a remembered device); else the DeviceId or
//     DeviceFingerprint inside UserContextData.EncodedData (what Cognito's advanced-security
//     script collects; its signature is Cognito's and cannot be checked here, so it is a
//     claim, like the rest); else the User-Agent (for the Admin calls, the one among
//     ContextData.HttpHeaders). Only a digest is kept.
//
// Every one of these is a claim the caller could forge with the right knowledge (the header
// ones only where an operator trusts a proxy that writes them); they raise or lower a risk
// score, never replace the password or a second factor.

// signInSignals are the signals one request carries.
type signInSignals struct {
	IP         string // canonical text of the address; "" unknown
	Country    string // ISO 3166 alpha-2, upper case; "" unknown
	Device     string // digest of the device identity; "" unknown
	DeviceName string // what the user can recognise it by (bounded)
	Timezone   string
	// password is the password of a USER_PASSWORD_AUTH sign-in, for the compromised
	// credentials check (SRP sign-ins never show it to the server).
	password string
}

type signalsKey struct{}

// withSignInSignals gathers the signals of a sign-in request through client c: userContext
// is the public calls' UserContextData, adminContext the Admin calls' ContextData (one is
// nil), params its AuthParameters or ChallengeResponses. Later steps read them with
// signalsOf. Malformed context data is ignored as if absent (the signals fall back), never
// an error: Cognito treats it as advisory.
func (s *Service) withSignInSignals(ctx context.Context, c *Client, userContext, adminContext map[string]any, params map[string]string) context.Context {
	sig := &signInSignals{}
	r := requestOf(ctx)
	userAgent := ""
	if r != nil {
		userAgent = r.Header.Get("User-Agent")
	}
	var encoded string
	switch {
	case adminContext != nil:
		sig.IP = canonicalIP(stringMember(adminContext, "IpAddress"))
		encoded = stringMember(adminContext, "EncodedData")
		if ua := headerMember(adminContext, "User-Agent"); ua != "" {
			userAgent = ua
		}
	case userContext != nil:
		if c != nil && c.EnablePropagateAdditionalUserContextData {
			sig.IP = canonicalIP(stringMember(userContext, "IpAddress"))
		}
		encoded = stringMember(userContext, "EncodedData")
	}
	if sig.IP == "" && r != nil {
		sig.IP = s.requestIP(r.RemoteAddr, r.Header.Get)
	}
	if r != nil && s.d.CountryHeader != "" {
		sig.Country = countryCode(r.Header.Get(s.d.CountryHeader))
	}
	cd, _ := parseEncodedData(encoded)
	switch {
	case params["DEVICE_KEY"] != "":
		sig.Device, sig.DeviceName = deviceDigest("key", params["DEVICE_KEY"]), "Remembered device"
	case cd != nil && cd.id() != "":
		sig.Device, sig.DeviceName = deviceDigest("ucd", cd.id()), cd.name()
	case userAgent != "":
		sig.Device, sig.DeviceName = deviceDigest("ua", userAgent), userAgent
	}
	if sig.DeviceName == "" && userAgent != "" {
		sig.DeviceName = userAgent
	}
	sig.DeviceName = bound.String(sig.DeviceName, 128)
	if cd != nil {
		sig.Timezone = bound.String(cd.ClientTimezone, 16)
	}
	return context.WithValue(ctx, signalsKey{}, sig)
}

// signalsOf returns the signals withSignInSignals gathered, or empty ones.
func signalsOf(ctx context.Context) *signInSignals {
	if sig, ok := ctx.Value(signalsKey{}).(*signInSignals); ok {
		return sig
	}
	return &signInSignals{}
}

// signalsFor returns the signals withSignInSignals gathered or, for a sign-in that did not
// come through the JSON API (the managed-login pages), those of its request alone.
func (s *Service) signalsFor(ctx context.Context, c *Client) *signInSignals {
	if sig, ok := ctx.Value(signalsKey{}).(*signInSignals); ok {
		return sig
	}
	return signalsOf(s.withSignInSignals(ctx, c, nil, nil, nil))
}

type requestKey struct{}

// WithRequest gives a sign-in outside the JSON API (the managed-login pages) its HTTP
// request, whose address, country and User-Agent threat protection scores it by.
func WithRequest(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// requestOf is the request of ctx: the JSON API's, or the one WithRequest gave.
func requestOf(ctx context.Context) *http.Request {
	if r := awsjson.HTTPRequest(ctx); r != nil {
		return r
	}
	r, _ := ctx.Value(requestKey{}).(*http.Request)
	return r
}

// notePassword keeps a USER_PASSWORD_AUTH sign-in's password in its signals for the
// compromised-credentials check after the password is verified.
func notePassword(ctx context.Context, password string) {
	if sig, ok := ctx.Value(signalsKey{}).(*signInSignals); ok {
		sig.password = password
	}
}

// requestIP is the caller's address as this host knows it: the operator's trusted header
// (its last, nearest entry when it is a list such as X-Forwarded-For) or the peer address.
func (s *Service) requestIP(remoteAddr string, header func(string) string) string {
	if s.d.ClientAddressHeader != "" {
		if v := header(s.d.ClientAddressHeader); v != "" {
			parts := strings.Split(v, ",")
			if ip := canonicalIP(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	return canonicalIP(host)
}

// canonicalIP is s as a canonical address ("" when it is not one): IPv4-mapped IPv6
// addresses as IPv4, zones dropped.
func canonicalIP(s string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return a.Unmap().WithZone("").String()
}

// countryCode is v when it is a two-letter country code (CF-IPCountry's XX, unknown, and T1,
// Tor, are not countries).
func countryCode(v string) string {
	v = strings.ToUpper(strings.TrimSpace(v))
	if len(v) != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z' || v == "XX" {
		return ""
	}
	return v
}

// deviceDigest is what a device is remembered by: a digest of how it was identified.
func deviceDigest(kind, id string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + id))
	return hex.EncodeToString(sum[:16])
}

// stringMember is m[k] when it is a string.
func stringMember(m map[string]any, k string) string {
	v, _ := m[k].(string)
	return v
}

// headerMember is the value of header name among ContextData.HttpHeaders
// ([{headerName, headerValue}]).
func headerMember(m map[string]any, name string) string {
	list, _ := m["HttpHeaders"].([]any)
	for _, h := range list {
		hm, _ := h.(map[string]any)
		if strings.EqualFold(stringMember(hm, "headerName"), name) {
			return stringMember(hm, "headerValue")
		}
	}
	return ""
}

// contextData is the part of Cognito's advanced-security EncodedData poolgate reads.
type contextData struct {
	DeviceId          string `json:"DeviceId"`
	DeviceFingerprint string `json:"DeviceFingerprint"`
	DeviceName        string `json:"DeviceName"`
	UserAgent         string `json:"UserAgent"`
	ClientTimezone    string `json:"ClientTimezone"`
}

func (cd *contextData) id() string {
	if cd.DeviceId != "" {
		return cd.DeviceId
	}
	return cd.DeviceFingerprint
}

func (cd *contextData) name() string {
	if cd.DeviceName != "" {
		return cd.DeviceName
	}
	return cd.UserAgent
}

// maxEncodedData bounds the EncodedData poolgate decodes.
const maxEncodedData = 16 << 10

// parseEncodedData reads UserContextData.EncodedData as Cognito's advanced-security script
// writes it: base64 of {"payload": "<JSON text>", "signature": ..., "version": ...}, the
// payload holding {"contextData": {...}, "username", "userPoolId", "timestamp"}.
func parseEncodedData(encoded string) (*contextData, error) {
	if encoded == "" {
		return nil, nil
	}
	if len(encoded) > maxEncodedData {
		return nil, fmt.Errorf("userpool: EncodedData of %d bytes", len(encoded))
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(encoded); err != nil {
			return nil, fmt.Errorf("userpool: EncodedData: %w", err)
		}
	}
	var outer struct {
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(raw, &outer); err != nil {
		return nil, fmt.Errorf("userpool: EncodedData: %w", err)
	}
	var payload struct {
		ContextData *contextData `json:"contextData"`
	}
	if err := json.Unmarshal([]byte(outer.Payload), &payload); err != nil {
		return nil, fmt.Errorf("userpool: EncodedData payload: %w", err)
	}
	if payload.ContextData == nil {
		return nil, fmt.Errorf("userpool: EncodedData payload has no contextData")
	}
	return payload.ContextData, nil
}

// parseIPRanges reads a list of CIDR ranges (IPv4 or IPv6), as the exception lists hold them.
func parseIPRanges(list []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(list))
	for _, r := range list {
		pfx, err := netip.ParsePrefix(r)
		if err != nil {
			return nil, awsjson.InvalidParameter("Value '%s' is not a valid IP address range in CIDR notation.", bound.String(r, 64))
		}
		out = append(out, pfx.Masked())
	}
	return out, nil
}

// inRanges reports whether ip is in one of ranges (invalid entries never match: the lists
// were checked when stored).
func inRanges(ip string, ranges []string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, r := range ranges {
		if pfx, err := netip.ParsePrefix(r); err == nil && pfx.Contains(a) {
			return true
		}
	}
	return false
}
