package userpool

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// What the hosted pages show of a client's branding. A client with a managed login style
// gets that style's values; otherwise the classic customization applies (its own, else the
// pool's ALL). [est: Cognito chooses by the domain's ManagedLoginVersion; poolgate serves one
// set of pages for both versions, so the client's configuration decides.]
//
// Of a style's Settings document the pages honour only these keys (the branding editor's
// names; colours are "rrggbbaa" or "rrggbb" hex, as the editor writes them) [est]:
//
//	categories.global.colorSchemeMode                 LIGHT | DARK | DYNAMIC
//	components.primaryButton.lightMode.defaults.backgroundColor
//	components.primaryButton.darkMode.defaults.backgroundColor
//	components.pageBackground.lightMode.color
//	components.pageBackground.darkMode.color
//	components.form.logo.enabled                      false hides the logo asset
//
// and of its assets the first raster FORM_LOGO, else PAGE_HEADER_LOGO, preferring LIGHT or
// DYNAMIC to DARK. SVG assets are never shown: served from poolgate's origin they could run
// script.

// PageBranding is what a page needs; every value is safe to embed as it is (the CSS was
// checked and re-written at SetUICustomization, colours are "#" + hex digits, the logo URL is
// a root-relative path of hex, ids and a known extension).
type PageBranding struct {
	// CSS is the classic customization's CSS for a <style> element; "" when none.
	CSS string
	// LogoURL is the logo's root-relative path on poolgate's own origin (so it works on the
	// HTTP and HTTPS listeners and on the Worker alike); "" when there is none.
	LogoURL string
	// ColorScheme is "LIGHT", "DARK", "DYNAMIC", or "" for the page's default.
	ColorScheme string
	// Primary and background colours for light and dark schemes ("#rrggbbaa"); "" when unset.
	PrimaryColor, PrimaryColorDark       string
	BackgroundColor, BackgroundColorDark string
}

// PageBranding returns the branding of client clientID of pool poolID for the hosted pages,
// or ResourceNotFoundException when the pool or the client does not exist.
func (s *Service) PageBranding(ctx context.Context, poolID, clientID string) (*PageBranding, error) {
	if _, err := s.getClient(ctx, poolID, clientID); err != nil {
		return nil, err
	}
	return s.brandingOf(ctx, poolID, clientID)
}

// ClientPageBranding is PageBranding for a pool and client the caller has already loaded
// (the managed-login pages, on every render): it reads only the branding records.
func (s *Service) ClientPageBranding(ctx context.Context, p *Pool, c *Client) (*PageBranding, error) {
	return s.brandingOf(ctx, p.Id, c.ClientId)
}

func (s *Service) brandingOf(ctx context.Context, poolID, clientID string) (*PageBranding, error) {
	b, err := s.brandingOfClient(ctx, poolID, clientID)
	if err != nil {
		return nil, err
	}
	if b != nil {
		return styledPage(b), nil
	}
	u, err := s.effectiveUICustomization(ctx, poolID, clientID)
	if err != nil || u == nil {
		return &PageBranding{}, err
	}
	return &PageBranding{CSS: u.PageCSS, LogoURL: u.logoPath()}, nil
}

// brandingSettings is the part of a Settings document the pages read.
type brandingSettings struct {
	Categories struct {
		Global struct {
			ColorSchemeMode string `json:"colorSchemeMode"`
		} `json:"global"`
	} `json:"categories"`
	Components struct {
		// LightMode and DarkMode match "lightMode" and "darkMode" (encoding/json ignores case).
		PrimaryButton struct {
			LightMode, DarkMode struct {
				Defaults struct {
					BackgroundColor string `json:"backgroundColor"`
				} `json:"defaults"`
			}
		} `json:"primaryButton"`
		PageBackground struct {
			LightMode, DarkMode struct {
				Color string `json:"color"`
			}
		} `json:"pageBackground"`
		Form struct {
			Logo struct {
				Enabled *bool `json:"enabled"`
			} `json:"logo"`
		} `json:"form"`
	} `json:"components"`
}

// styledPage reads a managed login style. A Settings document that does not have the shape
// above only loses the values it spells differently: a member of another type is skipped.
func styledPage(b *storedBranding) *PageBranding {
	out := &PageBranding{}
	var set brandingSettings
	if len(b.Settings) > 0 {
		lenientUnmarshal(b.Settings, &set)
	}
	switch m := set.Categories.Global.ColorSchemeMode; m {
	case "LIGHT", "DARK", "DYNAMIC":
		out.ColorScheme = m
	}
	c := &set.Components
	out.PrimaryColor = cssHexColor(c.PrimaryButton.LightMode.Defaults.BackgroundColor)
	out.PrimaryColorDark = cssHexColor(c.PrimaryButton.DarkMode.Defaults.BackgroundColor)
	out.BackgroundColor = cssHexColor(c.PageBackground.LightMode.Color)
	out.BackgroundColorDark = cssHexColor(c.PageBackground.DarkMode.Color)
	if c.Form.Logo.Enabled == nil || *c.Form.Logo.Enabled {
		out.LogoURL = brandingLogoPath(b)
	}
	return out
}

// lenientUnmarshal decodes what it can of doc into v: a member whose type does not match
// (a number where a string was expected) leaves that field empty instead of failing.
func lenientUnmarshal(doc json.RawMessage, v *brandingSettings) {
	if json.Unmarshal(doc, v) == nil {
		return
	}
	// Decode member by member, keeping the parts that fit.
	var tree map[string]json.RawMessage
	if json.Unmarshal(doc, &tree) != nil {
		return
	}
	var cats struct {
		Global map[string]json.RawMessage `json:"global"`
	}
	if json.Unmarshal(tree["categories"], &cats) == nil {
		json.Unmarshal(cats.Global["colorSchemeMode"], &v.Categories.Global.ColorSchemeMode)
	}
	var comps map[string]json.RawMessage
	if json.Unmarshal(tree["components"], &comps) != nil {
		return
	}
	json.Unmarshal(comps["primaryButton"], &v.Components.PrimaryButton)
	json.Unmarshal(comps["pageBackground"], &v.Components.PageBackground)
	json.Unmarshal(comps["form"], &v.Components.Form)
}

// cssHexColor turns the editor's "rrggbbaa" / "rrggbb" (a leading '#' allowed) into
// "#rrggbbaa" / "#rrggbb", or "" for anything else.
func cssHexColor(v string) string {
	v = strings.TrimPrefix(v, "#")
	if len(v) != 6 && len(v) != 8 {
		return ""
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return ""
		}
	}
	return "#" + strings.ToLower(v)
}

// brandingLogoPath is the root-relative path of b's logo asset, or "".
func brandingLogoPath(b *storedBranding) string {
	var best *BrandingAsset
	rank := func(a *BrandingAsset) int {
		r := 0
		if a.Category == "PAGE_HEADER_LOGO" {
			r += 2
		}
		if a.ColorMode == "DARK" {
			r++
		}
		return r
	}
	for i := range b.Assets {
		a := &b.Assets[i]
		if a.Category != "FORM_LOGO" && a.Category != "PAGE_HEADER_LOGO" {
			continue
		}
		if _, ok := sniffRaster(a.Bytes); !ok {
			continue
		}
		if best == nil || rank(a) < rank(best) {
			best = a
		}
	}
	if best == nil {
		return ""
	}
	kind, _ := sniffRaster(best.Bytes)
	return fmt.Sprintf("/%s/ui/assets/%s/%s", b.UserPoolId, b.ManagedLoginBrandingId, imageName(best.Bytes, kind.ext))
}

// brandingDefaults are the values ReturnMergedResources fills in where a style sets none
// [est: a small subset of Cognito's defaults, the keys the pages honour, with the colours of
// Cognito's default style].
var brandingDefaults = json.RawMessage(`{
  "categories": {"global": {"colorSchemeMode": "LIGHT"}},
  "components": {
    "primaryButton": {
      "lightMode": {"defaults": {"backgroundColor": "0972d3ff", "textColor": "ffffffff"}},
      "darkMode": {"defaults": {"backgroundColor": "539fe5ff", "textColor": "000716ff"}}
    },
    "pageBackground": {"lightMode": {"color": "ffffffff"}, "darkMode": {"color": "0f1b2aff"}, "image": {"enabled": false}}
  }
}`)

// mergeBrandingSettings overlays settings on brandingDefaults: objects merge member by
// member, anything else in settings replaces the default.
func mergeBrandingSettings(settings json.RawMessage) (json.RawMessage, error) {
	var base any
	if err := json.Unmarshal(brandingDefaults, &base); err != nil {
		return nil, fmt.Errorf("userpool: branding defaults: %w", err)
	}
	if len(settings) > 0 {
		var own any
		if err := json.Unmarshal(settings, &own); err != nil {
			return nil, fmt.Errorf("userpool: stored branding settings: %w", err)
		}
		base = mergeJSON(base, own)
	}
	return json.Marshal(base)
}

func mergeJSON(base, over any) any {
	bm, ok1 := base.(map[string]any)
	om, ok2 := over.(map[string]any)
	if !ok1 || !ok2 {
		return over
	}
	for k, v := range om {
		bm[k] = mergeJSON(bm[k], v)
	}
	return bm
}
