package userpool

import (
	"context"
	"encoding/base64"
	"image/color"
	"strings"
	"testing"
)

func TestApplyBranding(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	logo := base64.StdEncoding.EncodeToString(testPNG(t, color.RGBA{1, 2, 3, 255}))
	doc := `{"UserPools": [{
    "Id": "us-east-1_Brand1",
    "Domain": "example-brand",
    "UICustomization": {"CSS": ".label-customizable { font-weight: 700 }", "ImageFile": "` + logo + `"},
    "Clients": [{"ClientId": "brandclient000000000000001",
      "UICustomization": {"CSS": ".background-customizable { background-color: #eee }"},
      "ManagedLoginBranding": {"Settings": {"categories": {"global": {"colorSchemeMode": "DARK"}}},
        "Assets": [{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": "` + logo + `"}]}}]
  }]}`
	applied, err := env.svc.Apply(ctx, decodeConfig(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied.Branding.Created) != 3 || !strings.Contains(applied.String(), "branding: 3 created") {
		t.Fatalf("first apply: %s %v", applied, applied.Branding)
	}
	pb, err := env.svc.PageBranding(ctx, "us-east-1_Brand1", "brandclient000000000000001")
	if err != nil || pb.ColorScheme != "DARK" || pb.LogoURL == "" {
		t.Fatalf("PageBranding after apply: %+v %v", pb, err)
	}
	all := mObj(env.call("GetUICustomization", map[string]any{"UserPoolId": "us-east-1_Brand1"}), "UICustomization")
	if all["CSS"] != ".label-customizable { font-weight: 700 }" || all["ImageUrl"] == nil {
		t.Fatalf("pool-wide customization: %v", all)
	}

	again, err := env.svc.Apply(ctx, decodeConfig(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Branding.Unchanged) != 3 {
		t.Fatalf("second apply changed branding: %v", again.Branding)
	}

	// A changed style replaces its members: no Settings in the file, none stored.
	changed := strings.Replace(doc, `"Settings": {"categories": {"global": {"colorSchemeMode": "DARK"}}},`, ``, 1)
	third, err := env.svc.Apply(ctx, decodeConfig(t, changed))
	if err != nil {
		t.Fatal(err)
	}
	if len(third.Branding.Updated) != 1 || len(third.Branding.Unchanged) != 2 {
		t.Fatalf("third apply: %v", third.Branding)
	}
	b := mObj(env.call("DescribeManagedLoginBrandingByClient", map[string]any{"UserPoolId": "us-east-1_Brand1",
		"ClientId": "brandclient000000000000001"}), "ManagedLoginBranding")
	if b["Settings"] != nil || len(mList(b, "Assets")) != 1 {
		t.Fatalf("style after the third apply: %v", b)
	}

	// The file meets the API's checks.
	for i, tc := range []struct{ name, doc string }{
		{"markup", strings.Replace(doc, `font-weight: 700 }`, `font-weight: 700 } </style>`, 1)},
		{"not a png", strings.Replace(doc, `"Extension": "PNG"`, `"Extension": "JPEG"`, 1)},
		{"no domain", strings.Replace(doc, `"Domain": "example-brand",`, ``, 1)},
	} {
		// Each case on a pool of its own: a refused apply keeps what it did before the refusal.
		n := string(rune('A' + i))
		name, bad := tc.name, tc.doc
		bad = strings.ReplaceAll(bad, "us-east-1_Brand1", "us-east-1_Brand"+n)
		bad = strings.ReplaceAll(bad, "brandclient000000000000001", "brandclient00000000000000"+n)
		bad = strings.ReplaceAll(bad, "example-brand", "example-brand-"+strings.ToLower(n))
		if _, err := env.svc.Apply(ctx, decodeConfig(t, bad)); err == nil {
			t.Errorf("%s: applied", name)
		}
	}
}
