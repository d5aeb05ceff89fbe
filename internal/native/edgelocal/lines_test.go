package edgelocal

import (
	"slices"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/bound"
)

// TestReadLinesClipsLongLines: a line far longer than the reader's buffer (and than
// bufio.Scanner's limit) is passed on clipped, and the lines after it still arrive.
func TestReadLinesClipsLongLines(t *testing.T) {
	huge := strings.Repeat("x", 3<<20)
	in := "first\r\n" + huge + "\nlast line\n\nno newline at the end"
	var got []string
	readLines(strings.NewReader(in), 100, func(s string) { got = append(got, s) })
	want := []string{"first", bound.String(huge, 100), "last line", "", "no newline at the end"}
	if !slices.Equal(got, want) {
		t.Fatalf("lines = %q,\nwant %q", clipAll(got), clipAll(want))
	}
	if len(got[1]) != 100 || !strings.HasSuffix(got[1], bound.Ellipsis) {
		t.Fatalf("the long line came out as %d bytes: %.40q", len(got[1]), got[1])
	}
}

func clipAll(lines []string) []string {
	out := make([]string, len(lines))
	for i, s := range lines {
		out[i] = bound.String(s, 120)
	}
	return out
}
