package userpool

import (
	"strings"
	"testing"
)

func TestUICSSAccepted(t *testing.T) {
	css := `/* the console's template, trimmed */
.logo-customizable { max-width: 60%; max-height: 30%; }
.banner-customizable { padding: 25px 0px 25px 0px; background-color: lightgray; }
.submitButton-customizable, .submitButton-customizable:hover { color: #fff; background-color: rgb(62, 75, 93); }
.inputField-customizable { width: 100%; height: 34px; color: #555; background-color: #fff; border: 1px solid #ccc }
.inputField-customizable:focus { border-color: hsla(210, 50%, 40%, 0.8); outline: 0 }
.errorMessage-customizable { padding: 5px; font-size: 14px; width: 100%; background: #F5F5F5; border: 2px solid #D64958; color: #D64958; box-sizing: border-box; }
.passwordCheck-valid-customizable { color: #19BF00; }`
	page, err := checkUICSS(css)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, "template") || strings.Contains(page, "/*") {
		t.Fatalf("comments reached the page CSS:\n%s", page)
	}
	for _, want := range []string{".logo-customizable { max-width: 60%; max-height: 30%; }",
		".submitButton-customizable, .submitButton-customizable:hover { color: #fff; background-color: rgb(62, 75, 93); }"} {
		if !strings.Contains(page, want) {
			t.Errorf("page CSS lacks %q:\n%s", want, page)
		}
	}
	// The re-written CSS is itself accepted and unchanged by a second pass.
	again, err := checkUICSS(page)
	if err != nil || again != page {
		t.Fatalf("second pass: %v\n%s", err, again)
	}
	// A comment may say anything: it is dropped, never sent to a page.
	if page, err := checkUICSS(`/* </style><script>alert(1)</script> */ .label-customizable { font-weight: 400 }`); err != nil ||
		strings.ContainsAny(page, "<>") {
		t.Fatalf("comment with markup: %q %v", page, err)
	}
	if page, err := checkUICSS("  "); err != nil || page != "" {
		t.Fatalf("empty CSS: %q %v", page, err)
	}
}

// TestUICSSInjection: what would break out of a <style> element, load a resource, or style
// anything but Cognito's classes is refused.
func TestUICSSInjection(t *testing.T) {
	for name, css := range map[string]string{
		"style end tag":         `.label-customizable { font-weight: 400; } </style><script>alert(1)</script>`,
		"tag in value":          `.label-customizable { font-weight: </style><script>alert(1)</script> }`,
		"import":                `@import url(https://evil.example/x.css); .label-customizable { font-weight: 400 }`,
		"media":                 `@media screen { .label-customizable { font-weight: 400 } }`,
		"url":                   `.errorMessage-customizable { background: url(https://evil.example/track.png) }`,
		"data url":              `.errorMessage-customizable { background: url(data:image/png;base64,AAAA) }`,
		"expression":            `.background-customizable { background-color: expression(alert(1)) }`,
		"javascript scheme":     `.background-customizable { background-color: javascript:alert(1) }`,
		"escape":                `.background-customizable { background-color: \75 rl(x) }`,
		"quotes":                `.background-customizable { background-color: "red" }`,
		"important":             `.background-customizable { background-color: red !important }`,
		"other class":           `.background-customizable, body { background-color: red }`,
		"element selector":      `input { color: red }`,
		"attribute selector":    `.label-customizable[x] { font-weight: 400 }`,
		"property not allowed":  `.label-customizable { color: red }`,
		"position":              `.logo-customizable { position: fixed }`,
		"nested block":          `.label-customizable { font-weight: { } }`,
		"unterminated block":    `.label-customizable { font-weight: 400`,
		"unterminated comment":  `.label-customizable { font-weight: 400 } /*`,
		"no block":              `.label-customizable`,
		"nested function":       `.background-customizable { background-color: rgb(calc(1), 2, 3) }`,
		"unknown function":      `.background-customizable { background-color: attr(x) }`,
		"unbalanced paren":      `.background-customizable { background-color: rgb(1, 2, 3 }`,
		"non-ascii":             `.background-customizable { background-color: ｒｅｄ }`,
		"empty value":           `.background-customizable { background-color: ; color }`,
		"less-than after brace": `.label-customizable { font-weight: 400 } <`,
	} {
		if page, err := checkUICSS(css); err == nil {
			t.Errorf("%s: accepted, page CSS %q", name, page)
		} else if !strings.HasPrefix(err.Error(), "InvalidParameterException: Invalid CSS: ") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzUICSS: whatever checkUICSS accepts, the page CSS it returns holds no character that can
// end a <style> element or open another context, and checks again to itself.
func FuzzUICSS(f *testing.F) {
	for _, seed := range []string{
		".label-customizable { font-weight: 400; }",
		".submitButton-customizable:hover { color: rgb(1,2,3) }",
		"/* c */ .logo-customizable { max-width: 100% }",
		"</style>", "@import 'x';", ".a{}", "{", "}", "/*", ".label-customizable{font-weight:(}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, css string) {
		page, err := checkUICSS(css)
		if err != nil {
			return
		}
		if strings.ContainsAny(page, "<>\\@\"'!`&") || strings.Contains(page, "/*") {
			t.Fatalf("page CSS %q from %q", page, css)
		}
		again, err := checkUICSS(page)
		if err != nil || again != page {
			t.Fatalf("page CSS %q does not check to itself: %q %v", page, again, err)
		}
	})
}
