package passhash

import (
	"errors"
	"strings"
	"testing"
)

// Vectors made by other implementations: bcrypt by libxcrypt's crypt(3) (Python ctypes),
// argon2id by libargon2's argon2id_hash_encoded, PBKDF2-SHA256 by Python's
// hashlib.pbkdf2_hmac in Django's format, scrypt by Python's hashlib.scrypt in passlib's
// format; Firebase's is the sample of github.com/firebase/scrypt's README.
const legacyPassword = "Correct-Horse-9!"

var vectors = []struct {
	scheme   Scheme
	password string
	hash     string
}{
	{Bcrypt, legacyPassword, "$2b$05$IVNd6z4jfQg9BU1VsdR4IexuMgdkJt8G/epSBfyE6kETAYVzp4.we"},
	{Bcrypt, legacyPassword, "$2y$04$tFhkN2duNbN0h1U3rEzbWe9p0Qey/nUv699w4CagybG9DT1D/prsa"},
	{Argon2id, legacyPassword, "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRTT01FU0FMVA$45C04zeHfWNIhjR4+mkZF6zSzI2Eca8C2eIcrzvwJGE"},
	{PBKDF2SHA256, legacyPassword, "pbkdf2_sha256$1000$seasalt123$wFiyvbEZLIRGRuQPqZx8jwPhoHK+GwoRgicKqhNcepM="},
	{Scrypt, legacyPassword, "$scrypt$ln=10,r=8,p=1$GDyUBpLut/MvpSbZiz35wA$eyj.SIQUggyS5cxqnSLylv0Dj4O2A/zaEykrpwGYZNo"},
	{FirebaseScrypt, "user1password", "$firebase-scrypt$rounds=8,memcost=14" +
		"$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==" +
		"$Bw==$42xEC+ixf3L2lw==" +
		"$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		h, err := Parse(v.hash)
		if err != nil {
			t.Fatalf("Parse(%s): %v", v.hash, err)
		}
		if h.Scheme() != v.scheme {
			t.Errorf("%s: scheme %s, want %s", v.hash, h.Scheme(), v.scheme)
		}
		if !h.Verify(v.password) {
			t.Errorf("%s: the right password does not verify", v.scheme)
		}
		for _, wrong := range []string{"", v.password + "x", strings.ToUpper(v.password), v.password[1:]} {
			if h.Verify(wrong) {
				t.Errorf("%s: wrong password %q verifies", v.scheme, wrong)
			}
		}
	}
}

// TestTampered flips one character of each hash's digest: the password no longer verifies
// (or the string no longer parses).
func TestTampered(t *testing.T) {
	for _, v := range vectors {
		b := []byte(v.hash)
		i := len(b) - 5
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		h, err := Parse(string(b))
		if err == nil && h.Verify(v.password) {
			t.Errorf("%s: tampered hash still verifies", v.scheme)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for _, bad := range []string{
		"", "plaintext", "$2b$", "$2b$99$IVNd6z4jfQg9BU1VsdR4IexuMgdkJt8G/epSBfyE6kETAYVzp4.we",
		"$2b$16$IVNd6z4jfQg9BU1VsdR4IexuMgdkJt8G/epSBfyE6kETAYVzp4.we", // over the cost bound
		"$2x$05$IVNd6z4jfQg9BU1VsdR4IexuMgdkJt8G/epSBfyE6kETAYVzp4.we",
		"$argon2id$v=16$m=4096,t=3,p=1$c29tZXNhbHRTT01FU0FMVA$45C04zeHfWNIhjR4+mkZF6zSzI2Eca8C2eIcrzvwJGE",
		"$argon2id$v=19$m=1048576,t=3,p=1$c29tZXNhbHRTT01FU0FMVA$45C04zeHfWNIhjR4+mkZF6zSzI2Eca8C2eIcrzvwJGE",
		"$argon2id$v=19$t=3,m=4096,p=1$c29tZXNhbHRTT01FU0FMVA$45C04zeHfWNIhjR4+mkZF6zSzI2Eca8C2eIcrzvwJGE",
		"$argon2i$v=19$m=4096,t=3,p=1$c29tZXNhbHRTT01FU0FMVA$45C04zeHfWNIhjR4+mkZF6zSzI2Eca8C2eIcrzvwJGE",
		"pbkdf2_sha256$0$seasalt123$wFiyvbEZLIRGRuQPqZx8jwPhoHK+GwoRgicKqhNcepM=",
		"pbkdf2_sha256$9000000$seasalt123$wFiyvbEZLIRGRuQPqZx8jwPhoHK+GwoRgicKqhNcepM=",
		"pbkdf2_sha256$01000$seasalt123$wFiyvbEZLIRGRuQPqZx8jwPhoHK+GwoRgicKqhNcepM=",
		"pbkdf2_sha256$1000$$wFiyvbEZLIRGRuQPqZx8jwPhoHK+GwoRgicKqhNcepM=",
		"$scrypt$ln=21,r=8,p=1$GDyUBpLut/MvpSbZiz35wA$eyj.SIQUggyS5cxqnSLylv0Dj4O2A/zaEykrpwGYZNo",
		"$scrypt$ln=17,r=8,p=1$GDyUBpLut/MvpSbZiz35wA$eyj.SIQUggyS5cxqnSLylv0Dj4O2A/zaEykrpwGYZNo", // 128 MiB
		"$scrypt$ln=10,r=8,p=1$GDyUBpLut+MvpSbZiz35wA$eyj.SIQUggyS5cxqnSLylv0Dj4O2A/zaEykrpwGYZNo",
		"$firebase-scrypt$rounds=8,memcost=14$jxspr8Ki0RYycVU8zykbdLG$Bw==$42xEC+ixf3L2lw==$lSrfV15cpx95",
		strings.Repeat("$2b$", 200),
	} {
		if _, err := Parse(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Parse(%.60q) = %v, want ErrFormat", bad, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.hash, v.password)
	}
	f.Add("$scrypt$ln=1,r=1,p=1$AA$AAAAAAAAAAAAAAAAAAAAAA", "x")
	f.Fuzz(func(t *testing.T, s, password string) {
		h, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Parse error %v is not ErrFormat", err)
			}
			return
		}
		if len(s) > MaxLen {
			t.Fatalf("Parse accepted %d bytes", len(s))
		}
		_ = h.Verify(password) // must not panic, whatever parsed
	})
}
