package markup

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
)

func written(f func(*Writer)) string {
	var w Writer
	f(&w)
	b, err := w.Bytes()
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{`" onmouseover="alert(1)`, "&#34; onmouseover=&#34;alert(1)"},
		{`' autofocus onfocus='x`, "&#39; autofocus onfocus=&#39;x"},
		{"a&amp;b+c", "a&amp;amp;b&#43;c"},
		{"nul\x00here", "nul\uFFFDhere"},
		{"bad \xff\xfe utf-8 \xe2\x80", "bad \uFFFD\uFFFD utf-8 \uFFFD\uFFFD"},
		{"\xc0<", "\uFFFD&lt;"},
		{"Zoë 名前 😀 \ufdd0", "Zoë 名前 😀 \ufdd0"},
	}
	for _, tt := range tests {
		if got := written(func(w *Writer) { w.Text(tt.in) }); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestURLAttr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/login?client_id=abc&scope=openid+email", "/login?client_id=abc&amp;scope=openid&#43;email"},
		{"https://app.example/cb?x=1", "https://app.example/cb?x=1"},
		{"HTTP://app.example/", "HTTP://app.example/"},
		{"mailto:a@example.com", "mailto:a@example.com"},
		{"javascript:alert(1)", Filtered},
		{"JavaScript:alert(1)", Filtered},
		{" javascript:alert(1)", Filtered},
		{"java\tscript:alert(1)", Filtered},
		{"data:text/html,<script>", Filtered},
		{"vbscript:x", Filtered},
		{"otpauth://totp/x", Filtered},
		{"/a/b:c", "/a/b:c"}, // a ':' after a '/' starts no scheme
		{`/x?q="><script>`, "/x?q=%22%3e%3cscript%3e"},
		{"/x?q='(1)'", "/x?q=%27%281%29%27"},
		{"/é?%zz%41%4", "/%c3%a9?%25zz%41%254"},
		{"/x\x00\xff", "/x%00%ff"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := written(func(w *Writer) { w.URLAttr(tt.in) }); got != tt.want {
			t.Errorf("URLAttr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := written(func(w *Writer) { w.TrustedURLAttr("otpauth://totp/a:b?secret=X&issuer=My pool") }); got != "otpauth://totp/a:b?secret=X&amp;issuer=My%20pool" {
		t.Errorf("TrustedURLAttr = %q", got)
	}
}

func TestPrint(t *testing.T) {
	got := written(func(w *Writer) {
		w.Print(`<a href="%u" title="%s">100%% %s</a>%`, "javascript:x", `"q"`, "<b>")
	})
	if want := `<a href="#ZgotmplZ" title="&#34;q&#34;">100% &lt;b&gt;</a>%`; got != want {
		t.Errorf("Print = %q, want %q", got, want)
	}
	for _, f := range []func(*Writer){
		func(w *Writer) { w.Print("%s %s", "one") },
		func(w *Writer) { w.Print("%s", "one", "two") },
		func(w *Writer) { w.Print("%d", "1") },
		func(w *Writer) { w.Style("a{}</STYLE ><script>") },
		func(w *Writer) { w.Script("x='</script>'") },
	} {
		if got := written(f); !strings.HasPrefix(got, "error: markup:") {
			t.Errorf("a bad page wrote %q", got)
		}
	}
	if got := written(func(w *Writer) { w.Style("a{color:red}"); w.Script("x<y") }); got != "<style>a{color:red}</style><script>x<y</script>" {
		t.Errorf("Style, Script = %q", got)
	}
}

// reference escapes s as html/template does in text, in a quoted attribute, in a URL
// attribute, and a template.URL in a URL attribute.
func reference(t testing.TB, s string) (text, attr, url, trusted string) {
	tmpl := template.Must(template.New("").Parse(`{{.S}}|<p title="{{.S}}">|<a href="{{.S}}">|<a href="{{.U}}">`))
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct {
		S string
		U template.URL
	}{s, template.URL(s)}); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(b.String(), "|")
	// The values hold no '|' (the caller's seeds and the fuzz target keep it out).
	return parts[0], strings.TrimSuffix(strings.TrimPrefix(parts[1], `<p title="`), `">`),
		strings.TrimSuffix(strings.TrimPrefix(parts[2], `<a href="`), `">`),
		strings.TrimSuffix(strings.TrimPrefix(parts[3], `<a href="`), `">`)
}

// validUTF8 replaces each invalid byte of s with U+FFFD, as Text does (html/template passes
// it on).
func validUTF8(s string) string { return strings.Map(func(r rune) rune { return r }, s) }

// compareWithHTMLTemplate fails t where Text, URLAttr or TrustedURLAttr write s otherwise
// than html/template does, or leave a quote or angle bracket unescaped.
func compareWithHTMLTemplate(t testing.TB, s string) {
	s = strings.ReplaceAll(s, "|", "")
	// html/template passes invalid UTF-8 on in text; URLs percent-encode it either way.
	text, attr, _, _ := reference(t, validUTF8(s))
	_, _, url, trusted := reference(t, s)
	got := written(func(w *Writer) { w.Text(s) })
	if got != text || got != attr {
		t.Errorf("Text(%q) = %q, html/template %q (text) %q (attribute)", s, got, text, attr)
	}
	if strings.ContainsAny(got, `<>"'`) || strings.ContainsRune(got, 0) {
		t.Errorf("Text(%q) = %q leaves a quote, bracket or NUL", s, got)
	}
	if got := written(func(w *Writer) { w.URLAttr(s) }); got != url {
		t.Errorf("URLAttr(%q) = %q, html/template %q", s, got, url)
	} else if strings.ContainsAny(got, `<>"' `) || strings.ContainsRune(got, 0) || !SafeURL(got) {
		t.Errorf("URLAttr(%q) = %q leaves a quote, bracket, space, NUL or scheme", s, got)
	}
	if got := written(func(w *Writer) { w.TrustedURLAttr(URL(s)) }); got != trusted {
		t.Errorf("TrustedURLAttr(%q) = %q, html/template %q", s, got, trusted)
	} else if strings.ContainsAny(got, `<>"' `) || strings.ContainsRune(got, 0) {
		t.Errorf("TrustedURLAttr(%q) = %q leaves a quote, bracket, space or NUL", s, got)
	}
}

var escapeSeeds = []string{
	"", "a", "<script>alert(1)</script>", `"`, "'", "&", "+", "&amp;", "\x00", "\xff", "\xe2\x80", "\xed\xa0\x80",
	"javascript:alert(1)", "JAVASCRIPT:x", "mailto:x@y", "http://x/y?z=1&w=2", "https:", "/x:y", "x/y:z", "?a:b", "#c:d",
	"%", "%4", "%41", "%zz", "%%41", "é", "\ufdd0", "\uffff", "\ufffd", "😀", "\t\n\r ", "()[]{}!$*,;=@~`^\\",
}

func TestTextAndURLsMatchHTMLTemplate(t *testing.T) {
	for _, s := range escapeSeeds {
		compareWithHTMLTemplate(t, s)
	}
	for c := range 256 {
		compareWithHTMLTemplate(t, "a"+string(rune(c))+string([]byte{byte(c)})+"b")
	}
}

// FuzzEscape holds the writer to html/template on any value, and checks that no escaped
// value keeps a quote or an angle bracket of its input.
func FuzzEscape(f *testing.F) {
	for _, s := range escapeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		compareWithHTMLTemplate(t, s)
	})
}
