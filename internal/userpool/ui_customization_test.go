package userpool

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
)

// testPNG and testJPEG are small real images.
func testPNG(t testing.TB, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for x := 0; x < 4; x++ {
		img.Set(x, 0, c)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 4)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// brandedPool is a pool with a domain (the classic UI needs one) and a client.
func brandedPool(env *testEnv) (pool, client string) {
	pool = env.createPool(nil)
	env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "brand-" + strings.ToLower(pool[len(pool)-6:])})
	client, _ = env.createClient(pool, nil)
	return pool, client
}

func TestUICustomizationLifecycle(t *testing.T) {
	env := newTestEnv(t)
	pool, client := brandedPool(env)
	other, _ := env.createClient(pool, nil)
	logo := testPNG(t, color.RGBA{255, 0, 0, 255})

	// Nothing set: the pool's answer names ALL and carries nothing else.
	u := mObj(env.call("GetUICustomization", map[string]any{"UserPoolId": pool}), "UICustomization")
	if u["ClientId"] != "ALL" || u["UserPoolId"] != pool || u["CSS"] != nil || u["ImageUrl"] != nil {
		t.Fatalf("empty GetUICustomization: %v", u)
	}

	all := mObj(env.call("SetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": "ALL",
		"CSS": ".label-customizable { font-weight: 700; }", "ImageFile": logo}), "UICustomization")
	wantURL := testIssuer + "/" + pool + "/ui/logo/ALL/" + imageName(logo, "png")
	if all["ClientId"] != "ALL" || all["ImageUrl"] != wantURL || all["CSSVersion"] == nil || all["CreationDate"] == nil {
		t.Fatalf("SetUICustomization ALL: %v (want ImageUrl %s)", all, wantURL)
	}

	// A client without its own customization falls back to ALL.
	got := mObj(env.call("GetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": client}), "UICustomization")
	if got["ClientId"] != "ALL" || got["CSS"] != ".label-customizable { font-weight: 700; }" {
		t.Fatalf("fallback: %v", got)
	}
	// Its own wins, for it only.
	env.clock.Advance(2e9)
	own := mObj(env.call("SetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": client,
		"CSS": ".background-customizable { background-color: #123456; }", "ImageFile": testJPEG(t)}), "UICustomization")
	if own["ClientId"] != client || !strings.HasSuffix(own["ImageUrl"].(string), ".jpeg") {
		t.Fatalf("client customization: %v", own)
	}
	if got := mObj(env.call("GetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": client}), "UICustomization"); got["ClientId"] != client {
		t.Fatalf("client's own: %v", got)
	}
	if got := mObj(env.call("GetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": other}), "UICustomization"); got["ClientId"] != "ALL" {
		t.Fatalf("other client: %v", got)
	}

	// The logo is served under its name only; a new logo has a new name.
	ctx := context.Background()
	img, err := env.svc.ClassicLogo(ctx, pool, "ALL", imageName(logo, "png"))
	if err != nil || img.ContentType != "image/png" || !bytes.Equal(img.Bytes, logo) {
		t.Fatalf("ClassicLogo: %+v %v", img, err)
	}
	for _, name := range []string{imageName(logo, "jpeg"), "0000000000000000.png", "../x", ""} {
		if _, err := env.svc.ClassicLogo(ctx, pool, "ALL", name); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ClassicLogo(%q): %v", name, err)
		}
	}
	if _, err := env.svc.ClassicLogo(ctx, pool, "ALL/../x", imageName(logo, "png")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ClassicLogo with a slash in the owner: %v", err)
	}

	// Neither CSS nor image resets the client's customization: it falls back again.
	env.call("SetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": client})
	if got := mObj(env.call("GetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": client}), "UICustomization"); got["ClientId"] != "ALL" {
		t.Fatalf("after reset: %v", got)
	}

	// Deleting a client deletes its customization.
	env.call("SetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": other, "CSS": ".label-customizable { font-weight: 100 }"})
	env.call("DeleteUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": other})
	if u, err := env.svc.getUICustomization(ctx, pool, other); err != nil || u != nil {
		t.Fatalf("customization of a deleted client: %+v %v", u, err)
	}
}

// TestUICustomizationRefusals: Cognito's rules and the forgeries a page's origin must not
// serve: markup in CSS, bytes that are not the image they claim, oversize logos.
func TestUICustomizationRefusals(t *testing.T) {
	env := newTestEnv(t)
	pool, _ := brandedPool(env)
	bare := env.createPool(nil)
	html := []byte("<html><script>alert(document.cookie)</script></html>")
	gif := []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")
	big := append(testPNG(t, color.Black), make([]byte, maxUILogoBytes)...)
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
	for _, tc := range []struct {
		name string
		in   map[string]any
		typ  string
		msg  string
	}{
		{"no domain", map[string]any{"UserPoolId": bare, "CSS": ".label-customizable { font-weight: 400 }"},
			"InvalidParameterException", "There has to be an existing domain associated with this user pool."},
		{"unknown pool", map[string]any{"UserPoolId": "us-east-1_nope", "CSS": ""}, "ResourceNotFoundException", ""},
		{"unknown client", map[string]any{"UserPoolId": pool, "ClientId": "nosuchclient", "CSS": ""}, "ResourceNotFoundException", ""},
		{"style injection", map[string]any{"UserPoolId": pool, "CSS": "</style><script>alert(1)</script>"}, "InvalidParameterException", ""},
		{"import", map[string]any{"UserPoolId": pool, "CSS": "@import url(//evil.example/x.css);"}, "InvalidParameterException", ""},
		{"html as image", map[string]any{"UserPoolId": pool, "ImageFile": html}, "InvalidParameterException", "The image file must be a PNG or JPEG image."},
		{"svg as image", map[string]any{"UserPoolId": pool, "ImageFile": svg}, "InvalidParameterException", "The image file must be a PNG or JPEG image."},
		{"gif", map[string]any{"UserPoolId": pool, "ImageFile": gif}, "InvalidParameterException", "The image file must be a PNG or JPEG image."},
		{"over 100 KB", map[string]any{"UserPoolId": pool, "ImageFile": big}, "InvalidParameterException", "The image file is larger than the 100 KB Cognito allows."},
		{"css over bound", map[string]any{"UserPoolId": pool, "CSS": strings.Repeat(" ", 131073)}, "InvalidParameterException",
			"1 validation error detected: Value at 'cSS' failed to satisfy constraint: Member must have length less than or equal to 131072"},
	} {
		typ, msg := env.callErr("SetUICustomization", tc.in)
		if typ != tc.typ || (tc.msg != "" && msg != tc.msg) {
			t.Errorf("%s: %s %q, want %s %q", tc.name, typ, msg, tc.typ, tc.msg)
		}
	}
	env.wantErr("GetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": "nosuchclient"}, "ResourceNotFoundException", "")
	if u, _ := env.svc.getUICustomization(context.Background(), pool, "ALL"); u != nil {
		t.Fatalf("a refused call stored %+v", u)
	}
}
