package oauth

import (
	"context"
	"fmt"
	"strings"

	"github.com/poolgate/poolgate/internal/markup"
	"github.com/poolgate/poolgate/internal/userpool"
)

// What a pool's branding changes on the pages (userpool.PageBranding): the logo in the
// banner; the classic customization's CSS, which styles the elements carrying Cognito's
// `*-customizable` classes; a managed login style's primary and background colours (light and
// dark) and colour scheme. The CSS comes checked and rewritten by userpool (only Cognito's
// classes and properties, no markup, no url()), and the colours are `#hex`; both go into a
// second inline style sheet that the page's policy allows by its hash, like the first.

// brand fills p's branding for req's client. A branding that cannot be read is logged and the default shown: the
// sign-in must not fail on its looks.
func (s *Server) brand(ctx context.Context, req *authRequest, p *page) {
	b, err := s.cfg.UserPools.ClientPageBranding(ctx, req.pool, req.client)
	if err != nil {
		s.cfg.Logf("oauth: branding of %s/%s: %v", req.pool.Id, req.client.ClientId, err)
		return
	}
	css := brandCSS(b)
	if markup.EndsEarly("style", css) {
		// userpool's check keeps markup out of branding CSS: a stored one holding an end tag
		// did not come through it.
		s.cfg.Logf("oauth: branding of %s/%s: its CSS holds a </style> tag", req.pool.Id, req.client.ClientId)
		return
	}
	p.Brand = markup.CSS(css)
	p.LogoURL = b.LogoURL
	switch b.ColorScheme {
	case "LIGHT":
		p.Scheme = "light"
	case "DARK":
		p.Scheme = "dark"
	}
}

// brandCSS is the style sheet of b: colour variables first, the classic CSS after (so its
// rules win over the pages' own at equal specificity).
func brandCSS(b *userpool.PageBranding) string {
	var sb strings.Builder
	vars := func(selector, primary, background string) {
		if primary == "" && background == "" {
			return
		}
		fmt.Fprintf(&sb, "%s{", selector)
		if primary != "" {
			fmt.Fprintf(&sb, "--accent:%s;--accent-press:%s;", primary, primary)
		}
		if background != "" {
			fmt.Fprintf(&sb, "--bg:%s;", background)
		}
		sb.WriteString("}\n")
	}
	vars(":root", b.PrimaryColor, b.BackgroundColor)
	if b.PrimaryColorDark != "" || b.BackgroundColorDark != "" {
		vars(":root[data-scheme=\"dark\"]", b.PrimaryColorDark, b.BackgroundColorDark)
		sb.WriteString("@media (prefers-color-scheme: dark){")
		vars(":root:not([data-scheme=\"light\"])", b.PrimaryColorDark, b.BackgroundColorDark)
		sb.WriteString("}\n")
	}
	sb.WriteString(b.CSS)
	return sb.String()
}
