package srp

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
)

var pure hostcrypto.Pure

// The vector of spec §3.8, cross-checked there against amazon-cognito-identity-js.
const (
	vecPool      = "TestPool1"
	vecUser      = "alice"
	vecPassword  = "Passw0rd!"
	vecSaltHex   = "f1e2d3c4b5a69788796a5b4c3d2e1f00"
	vecBlockB64  = "c2VjcmV0LWJsb2NrLWJ5dGVz"
	vecTimestamp = "Tue Jan 6 09:05:03 UTC 2026"
	vecSignature = "g9RVaNTkZ1mozYhaTsXua0UPt8S0JPL2xwgfww5xv6M="
)

// fingerprint is the spec's: the first 16 hex digits of SHA-256 over the lower-case padHex text.
func fingerprint(n *big.Int) (prefix, fp string) {
	text := hex.EncodeToString(padBytes(n))
	sum := sha256.Sum256([]byte(text))
	return text[:4], hex.EncodeToString(sum[:])[:16]
}

func TestSpecVector(t *testing.T) {
	saltBytes, _ := hex.DecodeString(vecSaltHex)
	block, _ := base64.StdEncoding.DecodeString(vecBlockB64)
	if string(block) != "secret-block-bytes" {
		t.Fatalf("SECRET_BLOCK decodes to %q", block)
	}

	inner := passwordInner(vecPool, vecUser, vecPassword)
	if got := hex.EncodeToString(inner); got != "b482ba53883a2caa35b1538f64cff57888c27746baa1c342b9e135a5c41f5a4a" {
		t.Errorf("inner = %s", got)
	}
	x := privateX(new(big.Int).SetBytes(saltBytes), inner)
	if got := fmt.Sprintf("%064x", x); got != "f0f2ff890e1d2f161fd8e9710961a27d3216f2135f3bf92e6f1432e6e1c170c1" {
		t.Errorf("x = %s", got)
	}

	salt, v, err := NewVerifier(pure, bytes.NewReader(saltBytes), vecPool, vecUser, vecPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(salt, saltBytes) {
		t.Fatalf("salt = %x, want the bytes read", salt)
	}
	checkElement(t, "v", new(big.Int).SetBytes(v), "1ea9", "f0575e5b0752a827")

	cl, err := NewClient(pure, bytes.NewReader(bytes.Repeat([]byte{0xa1}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	A, err := ValidateA(cl.AHex())
	if err != nil {
		t.Fatalf("ValidateA(client A): %v", err)
	}
	checkElement(t, "A", new(big.Int).SetBytes(A), "7860", "299c2f400d99ae3f")

	b, B, err := NewServerSession(pure, bytes.NewReader(bytes.Repeat([]byte{0xb2}, 32)), v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, bytes.Repeat([]byte{0xb2}, 32)) {
		t.Fatalf("b = %x, want 32 bytes of b2", b)
	}
	checkElement(t, "B", new(big.Int).SetBytes(B), "0094", "e51e43d2de1d010e")

	// Both halves' formulas for S agree, and u and K match.
	uServer, sServer, err := serverPremaster(pure, new(big.Int).SetBytes(A), new(big.Int).SetBytes(B),
		new(big.Int).SetBytes(b), new(big.Int).SetBytes(v))
	if err != nil {
		t.Fatal(err)
	}
	uClient, sClient, err := cl.premaster(new(big.Int).SetBytes(B), x)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]*big.Int{"server": uServer, "client": uClient} {
		if got := fmt.Sprintf("%064x", u); got != "5712f658c36096a1c58075ae34fb16b29d3b568739c89dc25ca940d53efabb0b" {
			t.Errorf("u (%s) = %s", name, got)
		}
	}
	checkElement(t, "S (server)", sServer, "00f2", "b1eaeaa0d540c920")
	checkElement(t, "S (client)", sClient, "00f2", "b1eaeaa0d540c920")
	key, err := sessionKey(uServer, sServer)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(key); got != "2e78afa67194bb0f711c7c57565d5d70" {
		t.Errorf("K = %s", got)
	}

	// The public API end to end.
	if SaltHex(salt) != "00"+vecSaltHex {
		t.Errorf("SaltHex = %s, want 00%s", SaltHex(salt), vecSaltHex)
	}
	claim, err := cl.Signature(vecPool, vecUser, vecPassword, SaltHex(salt), BHex(B), block, vecTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	if claim != vecSignature {
		t.Errorf("client signature = %s, want %s", claim, vecSignature)
	}
	// A client that parses SALT without the sign byte (as the spec's own vector writes it) agrees.
	claim2, err := cl.Signature(vecPool, vecUser, vecPassword, vecSaltHex, strings.ToUpper(BHex(B)), block, vecTimestamp)
	if err != nil || claim2 != vecSignature {
		t.Errorf("client signature from unpadded SALT, upper-case SRP_B = %s, %v", claim2, err)
	}
	want, _ := base64.StdEncoding.DecodeString(vecSignature)
	got, err := ServerSignature(pure, A, B, b, v, vecPool, vecUser, block, vecTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("ServerSignature = %x, want %x", got, want)
	}
	ok, err := VerifySignature(pure, A, B, b, v, vecPool, vecUser, block, vecTimestamp, vecSignature)
	if err != nil || !ok {
		t.Errorf("VerifySignature(vector) = %v, %v; want true", ok, err)
	}
}

func checkElement(t *testing.T, name string, n *big.Int, wantPrefix, wantFP string) {
	t.Helper()
	prefix, fp := fingerprint(n)
	if prefix != wantPrefix || fp != wantFP {
		t.Errorf("padHex(%s) starts %s fingerprint %s, want %s… %s", name, prefix, fp, wantPrefix, wantFP)
	}
}

func TestMultiplierK(t *testing.T) {
	if got := fmt.Sprintf("%064x", multiplierK); got != "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6" {
		t.Errorf("k = %s", got)
	}
	if len(nBytes) != groupBytes || groupN.BitLen() != 3072 || !groupN.ProbablyPrime(4) {
		t.Errorf("N is %d bytes, %d bits", len(nBytes), groupN.BitLen())
	}
}

func TestPadBytes(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "00"}, {0x01, "01"}, {0x14, "14"}, {0x7f, "7f"}, {0x80, "0080"}, {0xec, "00ec"},
		{0x100, "0100"}, {0x7fff, "7fff"}, {0xffff, "00ffff"}, {0x123456, "123456"},
	}
	for _, tc := range tests {
		if got := hex.EncodeToString(padBytes(big.NewInt(tc.in))); got != tc.want {
			t.Errorf("padHex(%#x) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := BHex([]byte{0, 0, 0x0a, 0xbc}); got != "0abc" {
		t.Errorf("BHex(000abc) = %s, want 0abc", got)
	}
}

func TestPoolName(t *testing.T) {
	tests := map[string]string{
		"us-east-1_TestPool1":   "TestPool1",
		"eu-west-2_abcDEF123":   "abcDEF123",
		"us-east-1_a_b":         "a",
		"us-east-1_":            "",
		"no-underscore":         "",
		"":                      "",
		"_leading":              "leading",
		"us-gov-west-1_Pool-Id": "Pool-Id",
	}
	for in, want := range tests {
		if got := PoolName(in); got != want {
			t.Errorf("PoolName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRoundTrip runs whole logins with random values: the right password is accepted, and any
// change to the password, user, pool, SECRET_BLOCK or TIMESTAMP is rejected.
func TestRoundTrip(t *testing.T) {
	const pool, user, password = "RoundTrip9", "Ünïcode-user", "correct horse battery staple"
	salt, v, err := NewVerifier(pure, rand.Reader, pool, user, password)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword(pure, pool, user, password, salt, v); err != nil || !ok {
		t.Errorf("CheckPassword(right) = %v, %v", ok, err)
	}
	for _, wrong := range []struct{ pool, user, password string }{
		{pool, user, password + "!"}, {pool, user, ""}, {pool, "other", password}, {"OtherPool", user, password},
		// Shifting a character across the ':' separator changes inner.
		{pool, user + ":" + "x", password[1:]},
	} {
		if ok, err := CheckPassword(pure, wrong.pool, wrong.user, wrong.password, salt, v); err != nil || ok {
			t.Errorf("CheckPassword(%q, %q, %q) = %v, %v; want false", wrong.pool, wrong.user, wrong.password, ok, err)
		}
	}

	block := []byte("sealed state, opaque to the client")
	ts := "Sun Nov 22 20:38:57 UTC 2026"
	login := func(clientPool, clientUser, clientPassword string, serverBlock []byte, serverTS string) bool {
		t.Helper()
		cl, err := NewClient(pure, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		A, err := ValidateA(cl.AHex())
		if err != nil {
			t.Fatal(err)
		}
		b, B, err := NewServerSession(pure, rand.Reader, v)
		if err != nil {
			t.Fatal(err)
		}
		claim, err := cl.Signature(clientPool, clientUser, clientPassword, SaltHex(salt), BHex(B), block, ts)
		if err != nil {
			t.Fatal(err)
		}
		ok, err := VerifySignature(pure, A, B, b, v, pool, user, serverBlock, serverTS, claim)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !login(pool, user, password, block, ts) {
		t.Error("right password rejected")
	}
	if login(pool, user, "wrong password", block, ts) {
		t.Error("wrong password accepted")
	}
	if login(pool, "other", password, block, ts) {
		t.Error("wrong user accepted")
	}
	if login("OtherPool", user, password, block, ts) {
		t.Error("wrong pool accepted")
	}
	if login(pool, user, password, []byte("another block"), ts) {
		t.Error("signature over another SECRET_BLOCK accepted")
	}
	if login(pool, user, password, block, "Sun Nov 22 20:38:58 UTC 2026") {
		t.Error("signature over another TIMESTAMP accepted")
	}
}

func TestVerifySignatureMalformedClaim(t *testing.T) {
	salt, v, _ := NewVerifier(pure, rand.Reader, "P", "u", "pw")
	cl, _ := NewClient(pure, rand.Reader)
	A, _ := ValidateA(cl.AHex())
	b, B, _ := NewServerSession(pure, rand.Reader, v)
	claim, err := cl.Signature("P", "u", "pw", SaltHex(salt), BHex(B), nil, vecTimestamp)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(claim)
	for _, bad := range []string{
		"", "not base64!", strings.TrimRight(claim, "="), base64.RawURLEncoding.EncodeToString(raw),
		claim + "AAAA", base64.StdEncoding.EncodeToString(raw[:31]), claim[:len(claim)-2] + "B=",
	} {
		ok, err := VerifySignature(pure, A, B, b, v, "P", "u", nil, vecTimestamp, bad)
		if ok || err != nil {
			t.Errorf("VerifySignature(%q) = %v, %v; want false, nil", bad, ok, err)
		}
	}
	if ok, err := VerifySignature(pure, A, B, b, v, "P", "u", nil, vecTimestamp, claim); !ok || err != nil {
		t.Errorf("VerifySignature(good claim) = %v, %v", ok, err)
	}
}

func TestValidateA(t *testing.T) {
	n := new(big.Int).Set(groupN)
	twoN := new(big.Int).Lsh(n, 1)
	rejected := []string{
		"", "0", "00", "0000",
		n.Text(16), strings.ToUpper(n.Text(16)), "00" + n.Text(16), twoN.Text(16),
		"xyz", "+1", "-1", "0x02", " 02", "02 ", "02\n", "0_2", "é",
		strings.Repeat("0", 770) + "2", // 771 digits
		strings.Repeat("f", 771),
	}
	for _, s := range rejected {
		if A, err := ValidateA(s); !errors.Is(err, ErrBadA) {
			t.Errorf("ValidateA(%.20q…) = %x, %v; want ErrBadA", s, A, err)
		}
	}
	accepted := map[string]*big.Int{
		"2":                            big.NewInt(2),
		"02":                           big.NewInt(2),
		"abcDEF":                       big.NewInt(0xabcdef),
		strings.Repeat("0", 769) + "2": big.NewInt(2), // 770 digits
		new(big.Int).Add(n, big.NewInt(1)).Text(16): new(big.Int).Add(n, big.NewInt(1)),
		strings.Repeat("f", 770):                    new(big.Int).SetBytes(bytes.Repeat([]byte{0xff}, 385)),
	}
	for s, want := range accepted {
		A, err := ValidateA(s)
		if err != nil {
			t.Errorf("ValidateA(%.20q…): %v", s, err)
			continue
		}
		if new(big.Int).SetBytes(A).Cmp(want) != 0 {
			t.Errorf("ValidateA(%.20q…) = %x, want %x", s, A, want)
		}
	}
}

func TestServerSignatureRejectsBadInputs(t *testing.T) {
	_, v, _ := NewVerifier(pure, rand.Reader, "P", "u", "pw")
	cl, _ := NewClient(pure, rand.Reader)
	A, _ := ValidateA(cl.AHex())
	b, B, _ := NewServerSession(pure, rand.Reader, v)
	n := nBytes
	tests := []struct {
		name       string
		A, B, b, v []byte
		want       error // nil: any error
	}{
		{"A zero", nil, B, b, v, ErrBadA},
		{"A = N", n, B, b, v, ErrBadA},
		// One byte past the limit whatever A's length (A has no leading zero byte, so it is
		// 383 bytes about once in 256 draws: two zero bytes in front were not always enough).
		{"A too long", append(make([]byte, maxElementBytes+1-len(A)), A...), B, b, v, ErrBadA},
		{"B zero", A, []byte{0}, b, v, ErrBadB},
		{"B = N", A, n, b, v, ErrBadB},
		{"b zero", A, B, make([]byte, 32), v, nil},
		{"b too long", A, B, bytes.Repeat([]byte{1}, 129), v, nil},
		{"v zero", A, B, b, nil, nil},
		{"v = N", A, B, b, n, nil},
	}
	for _, tc := range tests {
		_, err := ServerSignature(pure, tc.A, tc.B, tc.b, tc.v, "P", "u", nil, vecTimestamp)
		if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: ServerSignature error = %v, want %v", tc.name, err, tc.want)
		}
		if ok, err := VerifySignature(pure, tc.A, tc.B, tc.b, tc.v, "P", "u", nil, vecTimestamp, vecSignature); ok || err == nil {
			t.Errorf("%s: VerifySignature = %v, %v; want an error", tc.name, ok, err)
		}
	}
}

func TestClientRejectsBadChallenge(t *testing.T) {
	cl, err := NewClient(pure, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	n := groupN.Text(16)
	tests := []struct{ name, salt, B string }{
		{"B zero", "01", "0"},
		{"B = N", "01", n},
		{"B = 2N", "01", new(big.Int).Lsh(groupN, 1).Text(16)},
		{"B not hex", "01", "zz"},
		{"B empty", "01", ""},
		{"B too long", "01", strings.Repeat("1", 771)},
		{"salt empty", "", "02"},
		{"salt not hex", "-1", "02"},
		{"salt too long", strings.Repeat("1", 2049), "02"},
	}
	for _, tc := range tests {
		if sig, err := cl.Signature("P", "u", "pw", tc.salt, tc.B, nil, vecTimestamp); err == nil {
			t.Errorf("%s: Signature = %q, want an error", tc.name, sig)
		}
	}
	if _, err := cl.Signature("P", "u", "pw", "01", n, nil, vecTimestamp); !errors.Is(err, ErrBadB) {
		t.Errorf("B = N: error %v, want ErrBadB", err)
	}
}

func TestNewServerSessionRedrawsZeroB(t *testing.T) {
	_, v, _ := NewVerifier(pure, rand.Reader, "P", "u", "pw")
	r := bytes.NewReader(append(make([]byte, 32), bytes.Repeat([]byte{0xb2}, 32)...))
	b, _, err := NewServerSession(pure, r, v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, bytes.Repeat([]byte{0xb2}, 32)) {
		t.Errorf("b = %x, want the second draw", b)
	}
	if _, _, err := NewServerSession(pure, bytes.NewReader(make([]byte, 32*maxSessionAttempts)), v); err == nil {
		t.Error("NewServerSession with an all-zero random source: want an error")
	}
	if _, _, err := NewServerSession(pure, bytes.NewReader(make([]byte, 31)), v); err == nil {
		t.Error("NewServerSession with a short random source: want an error")
	}
	if _, _, err := NewServerSession(pure, rand.Reader, nBytes); err == nil {
		t.Error("NewServerSession with v = N: want an error")
	}
	if _, err := NewClient(pure, bytes.NewReader(make([]byte, 32*maxSessionAttempts))); err == nil {
		t.Error("NewClient with an all-zero random source: want an error")
	}
	if _, _, err := NewVerifier(pure, bytes.NewReader(make([]byte, 3)), "P", "u", "pw"); err == nil {
		t.Error("NewVerifier with a short random source: want an error")
	}
}

// brokenProvider returns N itself (unreduced) or an error from ModExp.
type brokenProvider struct {
	hostcrypto.Pure
	fail bool
}

func (p brokenProvider) ModExp(base, exp, mod []byte) ([]byte, error) {
	if p.fail {
		return nil, errors.New("host is gone")
	}
	return mod, nil
}

func TestProviderFailuresSurface(t *testing.T) {
	salt, v, _ := NewVerifier(pure, rand.Reader, "P", "u", "pw")
	for _, p := range []brokenProvider{{fail: true}, {fail: false}} {
		if _, _, err := NewVerifier(p, rand.Reader, "P", "u", "pw"); err == nil {
			t.Errorf("%+v: NewVerifier succeeded", p)
		}
		if _, err := CheckPassword(p, "P", "u", "pw", salt, v); err == nil {
			t.Errorf("%+v: CheckPassword succeeded", p)
		}
		if _, _, err := NewServerSession(p, rand.Reader, v); err == nil {
			t.Errorf("%+v: NewServerSession succeeded", p)
		}
		if _, err := NewClient(p, rand.Reader); err == nil {
			t.Errorf("%+v: NewClient succeeded", p)
		}
		if _, err := ServerSignature(p, []byte{2}, []byte{3}, []byte{4}, v, "P", "u", nil, vecTimestamp); err == nil {
			t.Errorf("%+v: ServerSignature succeeded", p)
		}
	}
}

func TestTimestamp(t *testing.T) {
	good := map[string]time.Time{
		"Tue Jan 6 09:05:03 UTC 2026":  time.Date(2026, 1, 6, 9, 5, 3, 0, time.UTC),
		"Sun Nov 22 20:38:57 UTC 2026": time.Date(2026, 11, 22, 20, 38, 57, 0, time.UTC),
		"Thu Feb 29 00:00:00 UTC 2024": time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		"Wed Dec 31 23:59:59 UTC 2025": time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC),
		"Thu Jan 1 00:00:00 UTC 1970":  time.Unix(0, 0).UTC(),
	}
	for s, want := range good {
		got, err := ParseTimestamp(s)
		if err != nil {
			t.Errorf("ParseTimestamp(%q): %v", s, err)
			continue
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, want %v", s, got, want)
		}
		if f := FormatTimestamp(want); f != s {
			t.Errorf("FormatTimestamp(%v) = %q, want %q", want, f, s)
		}
	}
	bad := []string{
		"Tue Jan 06 09:05:03 UTC 2026", // zero-padded day
		"Mon Jan 6 09:05:03 UTC 2026",  // wrong weekday
		"Tue Jan  6 09:05:03 UTC 2026", // space-padded day
		"Sat Feb 29 00:00:00 UTC 2025", // no such day (would normalise to Sat Mar 1)
		"Tue Jan 0 09:05:03 UTC 2026",
		"Tue Jan 32 09:05:03 UTC 2026",
		"Tue Jan 123 09:05:03 UTC 2026",
		"tue Jan 6 09:05:03 UTC 2026",
		"Tuesday Jan 6 09:05:03 UTC 2026",
		"Tue January 6 09:05:03 UTC 2026",
		"Tue JAN 6 09:05:03 UTC 2026",
		"Tue Jan 6 9:05:03 UTC 2026",
		"Tue Jan 6 09:5:03 UTC 2026",
		"Tue Jan 6 09:05:03.5 UTC 2026",
		"Tue Jan 6 09-05-03 UTC 2026",
		"Tue Jan 6 24:00:00 UTC 2026",
		"Tue Jan 6 09:60:03 UTC 2026",
		"Tue Jan 6 09:05:60 UTC 2026",
		"Tue Jan 6 +9:05:03 UTC 2026",
		"Tue Jan +6 09:05:03 UTC 2026",
		"Tue Jan 6 09:05:03 GMT 2026",
		"Tue Jan 6 09:05:03 utc 2026",
		"Tue Jan 6 09:05:03 UTC 26",
		"Tue Jan 6 09:05:03 UTC 02026",
		"Tue Jan 6 09:05:03 UTC 2026 ",
		" Tue Jan 6 09:05:03 UTC 2026",
		"Tue Jan 6 09:05:03 UTC 2026\n",
		"Tue Jan 6 09:05:03 UTC",
		"Tue, 06 Jan 2026 09:05:03 GMT",
		"2026-01-06T09:05:03Z",
		"",
		"garbage",
	}
	for _, s := range bad {
		if got, err := ParseTimestamp(s); !errors.Is(err, ErrBadTimestamp) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want ErrBadTimestamp", s, got, err)
		}
	}
	// FormatTimestamp converts to UTC.
	est := time.FixedZone("EST", -5*3600)
	if got := FormatTimestamp(time.Date(2026, 1, 6, 4, 5, 3, 999, est)); got != "Tue Jan 6 09:05:03 UTC 2026" {
		t.Errorf("FormatTimestamp(EST) = %q", got)
	}
}

func BenchmarkServerLogin(b *testing.B) {
	_, v, err := NewVerifier(pure, rand.Reader, vecPool, vecUser, vecPassword)
	if err != nil {
		b.Fatal(err)
	}
	cl, err := NewClient(pure, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	A, err := ValidateA(cl.AHex())
	if err != nil {
		b.Fatal(err)
	}
	block := []byte("secret-block-bytes")
	for b.Loop() {
		sb, B, err := NewServerSession(pure, rand.Reader, v)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ServerSignature(pure, A, B, sb, v, vecPool, vecUser, block, vecTimestamp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientLogin(b *testing.B) {
	salt, v, _ := NewVerifier(pure, rand.Reader, vecPool, vecUser, vecPassword)
	_, B, _ := NewServerSession(pure, rand.Reader, v)
	for b.Loop() {
		cl, err := NewClient(pure, rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := cl.Signature(vecPool, vecUser, vecPassword, SaltHex(salt), BHex(B), nil, vecTimestamp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	salt, v, _ := NewVerifier(pure, rand.Reader, vecPool, vecUser, vecPassword)
	for b.Loop() {
		if ok, err := CheckPassword(pure, vecPool, vecUser, vecPassword, salt, v); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func b64Decode(s string) ([]byte, error) { return base64.StdEncoding.Strict().DecodeString(s) }
