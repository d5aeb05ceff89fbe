package breached

import (
	"bytes"
	"testing"
)

func TestContains(t *testing.T) {
	for _, pw := range []string{"123456", "password", "Password1", "QWERTY123", "iloveyou1", "777angel"} {
		if !Contains(pw) {
			t.Errorf("Contains(%q) = false, want true", pw)
		}
	}
	for _, pw := range []string{"", "Xq7#vLm2!pRt9@wZ", "correct horse battery staple 42", "poolgate-not-breached-1"} {
		if Contains(pw) {
			t.Errorf("Contains(%q) = true, want false", pw)
		}
	}
}

func TestListSortedAndSized(t *testing.T) {
	if len(list)%HashLen != 0 || Len() != 20000 {
		t.Fatalf("list of %d bytes: %d entries, want 20000 of %d bytes", len(list), Len(), HashLen)
	}
	for i := 1; i < Len(); i++ {
		if bytes.Compare(list[(i-1)*HashLen:i*HashLen], list[i*HashLen:(i+1)*HashLen]) >= 0 {
			t.Fatalf("entry %d is not above entry %d", i, i-1)
		}
	}
}
