package bound

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestStringBounds: whatever the input (long, multibyte, invalid UTF-8), the result is valid
// UTF-8 of at most max bytes, a prefix of the (repaired) input, and ends in Ellipsis exactly
// when it was cut. (The exact outputs are pinned by internal/awsjson/testdata/envelope.json.)
func TestStringBounds(t *testing.T) {
	inputs := []string{"", "short", strings.Repeat("é", 1000), strings.Repeat("😀", 300) + "x",
		"\xff\xfe" + strings.Repeat("a", 2000), strings.Repeat("ユ", 99) + "\xc3", strings.Repeat("a", 300000)}
	for _, max := range []int{3, 4, 5, 16, 17, 100, MessageBytes} {
		for _, in := range inputs {
			got := String(in, max)
			valid := toValid(in)
			if len(got) > max || !utf8.ValidString(got) {
				t.Fatalf("String(%.20q, %d) = %.40q: %d bytes, valid %v", in, max, got, len(got), utf8.ValidString(got))
			}
			switch {
			case len(valid) <= max && got != valid:
				t.Fatalf("String(%.20q, %d) = %.40q: changed a text that fits", in, max, got)
			case len(valid) > max && !strings.HasSuffix(got, Ellipsis):
				t.Fatalf("String(%.20q, %d) = %.40q: cut without %q", in, max, got, Ellipsis)
			case len(valid) > max && (!strings.HasPrefix(valid, strings.TrimSuffix(got, Ellipsis)) || len(got) < max-3):
				// a character is at most 4 bytes: the cut backs off at most 3
				t.Fatalf("String(%.20q, %d) = %.40q: not the longest prefix", in, max, got)
			}
		}
	}
}

// TestHeader: a header value is printable ASCII of at most max bytes, with no CR or LF.
func TestHeader(t *testing.T) {
	in := "a\r\nX-Injected: yes\x00\x7f é😀 " + strings.Repeat("z", 5000)
	got := Header(in, 200)
	if len(got) > 200 || strings.ContainsAny(got, "\r\n\x00\x7f") || !strings.HasPrefix(got, "a  X-Injected: yes   ?? ") {
		t.Fatalf("Header = %q", got)
	}
	for i := 0; i < len(got); i++ {
		if got[i] < 0x20 || got[i] > 0x7e {
			t.Fatalf("Header byte %d is %#x", i, got[i])
		}
	}
	if got := Header("  plain  ", 64); got != "plain" {
		t.Fatalf("Header keeps the spaces around: %q", got)
	}
}

// TestLogf: a log line that quotes a megabyte arrives clipped to LogBytes, formatted once.
func TestLogf(t *testing.T) {
	var lines []string
	logf := Logf(func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) })
	logf("hostsim: POST %s: %v", "/"+strings.Repeat("p", 1<<20), "failed")
	logf("short %d%%", 5)
	if len(lines) != 2 || len(lines[0]) != LogBytes || !strings.HasPrefix(lines[0], "hostsim: POST /ppp") ||
		!strings.HasSuffix(lines[0], Ellipsis) || lines[1] != "short 5%" {
		t.Fatalf("lines: %d, first %d bytes %.30q, second %q", len(lines), len(lines[0]), lines[0], lines[1:])
	}
}

// TestWriter: each write (a log.Logger line) is clipped, keeping its final newline; short
// valid lines pass unchanged.
func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := Writer(&b)
	long := strings.Repeat("w", 3*LogBytes) + "\n"
	if n, err := w.Write([]byte(long)); n != len(long) || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	w.Write([]byte("ok\n"))
	w.Write([]byte("bad \xff\n"))
	lines := strings.Split(b.String(), "\n")
	if len(lines) != 4 || len(lines[0]) != LogBytes || lines[1] != "ok" || lines[2] != "bad \uFFFD" || lines[3] != "" {
		t.Fatalf("written: %d lines, first %d bytes, then %q", len(lines), len(lines[0]), lines[1:])
	}
}
