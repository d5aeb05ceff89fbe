package store

import (
	"strings"
	"testing"
)

func TestFitPart(t *testing.T) {
	long := strings.Repeat("𝔘", 128) // 512 bytes
	digest := FitPart(long, 100)
	if len(digest) != DigestPartLen || !strings.HasPrefix(digest, "~ ") {
		t.Fatalf("FitPart of 512 bytes in 100: %q (%d bytes), want a %d-byte digest form", digest, len(digest), DigestPartLen)
	}
	if again := FitPart(long, 100); again != digest {
		t.Fatalf("FitPart is not deterministic: %q, then %q", digest, again)
	}
	if other := FitPart(long+"x", 100); other == digest {
		t.Fatalf("two long parts share the digest form %q", digest)
	}
	for _, part := range []string{"alice", "ÄBC", "~tilde", "a/b", strings.Repeat("é", 50), long} {
		if got := FitPart(part, len(part)); got != part {
			t.Errorf("FitPart(%.20q, its length) = %q, want it unchanged", part, got)
		}
	}
	if got := FitPart("abcd", 3); got == "abcd" || len(got) != DigestPartLen {
		t.Errorf("FitPart(abcd, 3) = %q, want the digest form", got)
	}
	// A part that looks like a digest form is digested too, so it cannot name the key of the
	// part it looks like.
	if got := FitPart(digest, 1000); got == digest || len(got) != DigestPartLen {
		t.Errorf("FitPart(a digest form, room to spare) = %q, want another digest form", got)
	}
	// Same length, another mark: kept.
	near := "~x" + digest[2:]
	if got := FitPart(near, 1000); got != near {
		t.Errorf("FitPart(%q) = %q, want it unchanged", near, got)
	}
}
