package message

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMask(t *testing.T) {
	cases := []struct {
		dest, medium, want string
	}{
		{"bob@example.com", MediumEmail, "b***@e***"},
		{"alice.smith+tag@mail.example.org", MediumEmail, "a***@m***"},
		{"a@b.c", MediumEmail, "a***@b***"},
		{"\"weird@local\"@example.com", MediumEmail, "\"***@e***"},
		{"élodie@exämple.fr", MediumEmail, "é***@e***"},
		{"@example.com", MediumEmail, "***@e***"},
		{"bob@", MediumEmail, "b***@***"},
		{"not-an-email", MediumEmail, "n***"},
		{"", MediumEmail, ""},
		{"+12065551234", MediumSMS, "+*******1234"},
		{"+447700900123", MediumSMS, "+********0123"},
		{"+1234", MediumSMS, "+****"},
		{"+12345", MediumSMS, "+*2345"},
		{"12065551234", MediumSMS, "*******1234"},
		{"+", MediumSMS, "+"},
		{"", MediumSMS, ""},
		{"something", "VOICE", "s***"},
	}
	for _, tc := range cases {
		if got := Mask(tc.dest, tc.medium); got != tc.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", tc.dest, tc.medium, got, tc.want)
		}
	}
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{"bob@example.com", "+12065551234", "", "@", "+", "é@ü", "\xff@\xfe", "+12\xff34567"} {
		f.Add(s, MediumEmail)
		f.Add(s, MediumSMS)
	}
	f.Fuzz(func(t *testing.T, dest, medium string) {
		got := Mask(dest, medium)
		if dest == "" {
			if got != "" {
				t.Fatalf("Mask of empty = %q", got)
			}
			return
		}
		// At most five characters survive: "+" and four digits, or two letters and "@".
		if revealed := utf8.RuneCountInString(strings.ReplaceAll(got, "*", "")); revealed > 5 {
			t.Fatalf("Mask(%q, %q) = %q reveals %d characters", dest, medium, got, revealed)
		}
		if utf8.ValidString(dest) && !utf8.ValidString(got) {
			t.Fatalf("Mask(%q) = %q: broke UTF-8", dest, got)
		}
		if medium == MediumSMS && !strings.HasPrefix(dest, "+") && strings.HasPrefix(got, "+") {
			t.Fatalf("Mask(%q) invented a +", dest)
		}
	})
}
