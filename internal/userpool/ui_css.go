package userpool

import (
	"sort"
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/bound"
)

// The classic hosted UI takes CSS only for the classes Cognito names, and for each class only
// the properties Cognito's template lists (developer guide, "Customizing hosted UI (classic)
// branding"). poolgate's pages put the CSS inside a <style> element on its own origin, so the
// check is also the defence against markup and script injection: a rule is a selector list of
// those classes and a block of "property: value" declarations whose values are made only of
// the characters CSS lengths, keywords and colours need. Nothing else passes, in particular
// no '<', '>', '\', '@' (at-rules: @import, @media, @font-face), quotes, url(), expression()
// or '!'. [est: Cognito's exact value grammar is not published; it refuses @import,
// @supports, @page, @media and JavaScript, and url() has no use on any listed property.]
//
// What pages receive (PageCSS) is re-written from the parse, not the text as sent: comments
// are dropped, so nothing the check did not read reaches a page.

// uiCSSProperties maps each allowed selector to the properties it may set.
var uiCSSProperties = func() map[string][]string {
	color := []string{"color"}
	desc := []string{"padding-top", "padding-bottom", "display", "font-size"}
	return map[string][]string{
		".background-customizable":                   {"background-color"},
		".banner-customizable":                       {"padding", "background-color"},
		".label-customizable":                        {"font-weight"},
		".textDescription-customizable":              desc,
		".idpDescription-customizable":               desc,
		".legalText-customizable":                    {"color", "font-size"},
		".submitButton-customizable":                 {"font-size", "font-weight", "margin", "height", "width", "color", "background-color"},
		".submitButton-customizable:hover":           {"color", "background-color"},
		".errorMessage-customizable":                 {"margin", "padding", "font-size", "width", "background", "border", "color", "box-sizing"},
		".inputField-customizable":                   {"width", "height", "color", "background-color", "border"},
		".inputField-customizable:focus":             {"border-color", "outline"},
		".idpButton-customizable":                    {"height", "width", "text-align", "margin-bottom", "color", "background-color", "border-color"},
		".idpButton-customizable:hover":              {"color", "background-color"},
		".socialButton-customizable":                 {"height", "text-align", "width", "margin-bottom"},
		".redirect-customizable":                     {"text-align"},
		".logo-customizable":                         {"max-width", "max-height"},
		".passwordCheck-notValid-customizable":       color,
		".passwordCheck-valid-customizable":          color,
		".passwordCheck-notValid-customizable:hover": color,
	}
}()

// cssFunctions are the only functions a value may call (colours).
var cssFunctions = []string{"rgb", "rgba", "hsl", "hsla"}

// cssRule is one parsed rule: its selectors and declarations, in order.
type cssRule struct {
	selectors []string
	decls     [][2]string // property, value
}

// checkUICSS parses css and returns the text pages may embed, or Cognito's
// InvalidParameterException naming the first thing that is not allowed.
func checkUICSS(css string) (string, error) {
	rules, err := parseUICSS(css)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range rules {
		b.WriteString(strings.Join(r.selectors, ", "))
		b.WriteString(" {")
		for _, d := range r.decls {
			b.WriteString(" " + d[0] + ": " + d[1] + ";")
		}
		b.WriteString(" }\n")
	}
	return b.String(), nil
}

func cssError(format string, args ...any) error {
	return awsjson.InvalidParameter("Invalid CSS: "+format, args...)
}

// parseUICSS reads css as rules of allowed selectors and declarations.
func parseUICSS(css string) ([]cssRule, error) {
	text, err := stripCSSComments(css)
	if err != nil {
		return nil, err
	}
	var rules []cssRule
	for {
		text = strings.TrimSpace(text)
		if text == "" {
			return rules, nil
		}
		open := strings.IndexByte(text, '{')
		if open < 0 {
			return nil, cssError("expected '{' after %q.", bound.String(text, 64))
		}
		end := strings.IndexByte(text[open:], '}')
		if end < 0 {
			return nil, cssError("unterminated block.")
		}
		end += open
		var r cssRule
		for _, sel := range strings.Split(text[:open], ",") {
			sel = strings.TrimSpace(sel)
			if _, ok := uiCSSProperties[sel]; !ok {
				return nil, cssError("selector %q is not allowed; the hosted UI takes %s.", bound.String(sel, 64), strings.Join(uiCSSSelectors(), " "))
			}
			r.selectors = append(r.selectors, sel)
		}
		body := text[open+1 : end]
		if strings.ContainsAny(body, "{") {
			return nil, cssError("nested blocks are not allowed.")
		}
		for _, decl := range strings.Split(body, ";") {
			if strings.TrimSpace(decl) == "" {
				continue
			}
			prop, value, ok := strings.Cut(decl, ":")
			if !ok {
				return nil, cssError("expected 'property: value' in %q.", bound.String(strings.TrimSpace(decl), 64))
			}
			prop, value = strings.ToLower(strings.TrimSpace(prop)), strings.TrimSpace(value)
			for _, sel := range r.selectors {
				if !contains(uiCSSProperties[sel], prop) {
					return nil, cssError("property %q is not allowed for %s.", bound.String(prop, 64), sel)
				}
			}
			if err := checkCSSValue(value); err != nil {
				return nil, err
			}
			r.decls = append(r.decls, [2]string{prop, value})
		}
		rules = append(rules, r)
		text = text[end+1:]
	}
}

// stripCSSComments removes /* ... */ comments; an unterminated one is an error.
func stripCSSComments(css string) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(css, "/*")
		if i < 0 {
			b.WriteString(css)
			return b.String(), nil
		}
		b.WriteString(css[:i])
		b.WriteByte(' ')
		j := strings.Index(css[i+2:], "*/")
		if j < 0 {
			return "", cssError("unterminated comment.")
		}
		css = css[i+2+j+2:]
	}
}

// checkCSSValue allows lengths, numbers, keywords, #colours and rgb()/hsl() calls: ASCII
// letters, digits, space, '#', '%', '.', ',', '-', '+', '/' and parentheses that follow one of
// cssFunctions and do not nest.
func checkCSSValue(v string) error {
	if v == "" {
		return cssError("empty value.")
	}
	depth := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte(" #%.,-+/", c) >= 0:
		case c == '(':
			name := v[:i]
			if k := strings.LastIndexAny(name, " ,("); k >= 0 {
				name = name[k+1:]
			}
			if depth > 0 || !contains(cssFunctions, strings.ToLower(name)) {
				return cssError("function %q is not allowed.", bound.String(name, 32))
			}
			depth++
		case c == ')':
			if depth == 0 {
				return cssError("unbalanced ')'.")
			}
			depth--
		default:
			return cssError("character %q is not allowed in a value.", string(rune(c)))
		}
	}
	if depth != 0 {
		return cssError("unbalanced '('.")
	}
	return nil
}

// uiCSSSelectors lists the allowed selectors, sorted (for messages and documentation).
func uiCSSSelectors() []string {
	out := make([]string, 0, len(uiCSSProperties))
	for s := range uiCSSProperties {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
