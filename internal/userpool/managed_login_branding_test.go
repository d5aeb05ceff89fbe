package userpool

import (
	"context"
	"encoding/json"
	"image/color"
	"net/http"
	"strings"
	"sync"
	"testing"
)

const testBrandingSettings = `{"categories":{"global":{"colorSchemeMode":"DARK"}},
 "components":{"primaryButton":{"lightMode":{"defaults":{"backgroundColor":"AA3300ff"}},"darkMode":{"defaults":{"backgroundColor":"#ffcc00"}}},
  "pageBackground":{"lightMode":{"color":"fafafaff"},"darkMode":{"color":"red; } body { display:none"}}}}`

func TestManagedLoginBrandingLifecycle(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	client, _ := env.createClient(pool, nil)
	logo := testPNG(t, color.RGBA{0, 0, 255, 255})

	created := mObj(env.call("CreateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ClientId": client,
		"Settings": json.RawMessage(testBrandingSettings),
		"Assets":   []map[string]any{{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": logo, "ResourceId": "logo 1"}}}),
		"ManagedLoginBranding")
	id, _ := created["ManagedLoginBrandingId"].(string)
	if len(id) != 36 || id[14] != '4' || created["UserPoolId"] != pool || created["UseCognitoProvidedValues"] != false ||
		len(mList(created, "Assets")) != 1 || created["CreationDate"] == nil {
		t.Fatalf("CreateManagedLoginBranding: %v", created)
	}
	settings := mObj(created, "Settings")
	if mObj(mObj(settings, "categories"), "global")["colorSchemeMode"] != "DARK" {
		t.Fatalf("Settings came back as %v", settings)
	}

	// One style per client.
	env.wantErr("CreateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ClientId": client, "UseCognitoProvidedValues": true},
		"ManagedLoginBrandingExistsException", "Managed login branding already exists for app client "+client+".")

	byClient := mObj(env.call("DescribeManagedLoginBrandingByClient", map[string]any{"UserPoolId": pool, "ClientId": client}), "ManagedLoginBranding")
	if byClient["ManagedLoginBrandingId"] != id {
		t.Fatalf("DescribeManagedLoginBrandingByClient: %v", byClient)
	}
	// Merged: the defaults fill what the style does not set, the style wins where it does.
	merged := mObj(mObj(env.call("DescribeManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id,
		"ReturnMergedResources": true}), "ManagedLoginBranding"), "Settings")
	comps := mObj(merged, "components")
	if mObj(mObj(mObj(comps, "primaryButton"), "lightMode"), "defaults")["backgroundColor"] != "AA3300ff" ||
		mObj(mObj(mObj(comps, "primaryButton"), "lightMode"), "defaults")["textColor"] != "ffffffff" ||
		mObj(mObj(merged, "categories"), "global")["colorSchemeMode"] != "DARK" {
		t.Fatalf("merged settings: %v", merged)
	}
	plain := mObj(mObj(env.call("DescribeManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id}),
		"ManagedLoginBranding"), "Settings")
	if _, ok := mObj(mObj(mObj(plain, "components"), "primaryButton"), "lightMode")["defaults"].(map[string]any)["textColor"]; ok {
		t.Fatalf("unmerged settings carry defaults: %v", plain)
	}

	// What a page gets: colours normalised, the one that is not a colour dropped, the logo
	// as a path on poolgate's origin that serves the asset.
	ctx := context.Background()
	pb, err := env.svc.PageBranding(ctx, pool, client)
	if err != nil {
		t.Fatal(err)
	}
	wantLogo := "/" + pool + "/ui/assets/" + id + "/" + imageName(logo, "png")
	if pb.ColorScheme != "DARK" || pb.PrimaryColor != "#aa3300ff" || pb.PrimaryColorDark != "#ffcc00" ||
		pb.BackgroundColor != "#fafafaff" || pb.BackgroundColorDark != "" || pb.LogoURL != wantLogo || pb.CSS != "" {
		t.Fatalf("PageBranding: %+v", pb)
	}
	img, err := env.svc.BrandingAssetImage(ctx, pool, id, imageName(logo, "png"))
	if err != nil || img.ContentType != "image/png" || string(img.Bytes) != string(logo) {
		t.Fatalf("BrandingAssetImage: %+v %v", img, err)
	}

	// Update replaces what it is given; UseCognitoProvidedValues drops settings and assets.
	env.clock.Advance(5e9)
	up := mObj(env.call("UpdateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id,
		"Settings": map[string]any{"categories": map[string]any{"global": map[string]any{"colorSchemeMode": "LIGHT"}}}}), "ManagedLoginBranding")
	if len(mList(up, "Assets")) != 1 || mObj(mObj(mObj(up, "Settings"), "categories"), "global")["colorSchemeMode"] != "LIGHT" ||
		up["LastModifiedDate"] == created["LastModifiedDate"] {
		t.Fatalf("UpdateManagedLoginBranding: %v", up)
	}
	up = mObj(env.call("UpdateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id,
		"UseCognitoProvidedValues": true}), "ManagedLoginBranding")
	if up["UseCognitoProvidedValues"] != true || up["Settings"] != nil || len(mList(up, "Assets")) != 0 {
		t.Fatalf("UpdateManagedLoginBranding to defaults: %v", up)
	}
	if pb, _ := env.svc.PageBranding(ctx, pool, client); *pb != (PageBranding{}) {
		t.Fatalf("PageBranding of Cognito's defaults: %+v", pb)
	}

	env.call("DeleteManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id})
	env.wantErr("DescribeManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id}, "ResourceNotFoundException", "")
	env.wantErr("DescribeManagedLoginBrandingByClient", map[string]any{"UserPoolId": pool, "ClientId": client}, "ResourceNotFoundException", "")
	env.wantErr("DeleteManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id}, "ResourceNotFoundException", "")

	// After the delete the client may have a style again; deleting the client deletes it.
	again := mObj(env.call("CreateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ClientId": client, "UseCognitoProvidedValues": true}), "ManagedLoginBranding")
	env.call("DeleteUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": client})
	env.wantErr("DescribeManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": again["ManagedLoginBrandingId"]},
		"ResourceNotFoundException", "")
}

func TestManagedLoginBrandingRefusals(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	client, _ := env.createClient(pool, nil)
	png := testPNG(t, color.White)
	asset := func(cat, mode, ext string, b []byte) []map[string]any {
		return []map[string]any{{"Category": cat, "ColorMode": mode, "Extension": ext, "Bytes": b}}
	}
	many := make([]map[string]any, 41)
	for i := range many {
		many[i] = map[string]any{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG"}
	}
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	for _, tc := range []struct {
		name string
		in   map[string]any
		typ  string
		msg  string
	}{
		{"unknown pool", map[string]any{"UserPoolId": "us-east-1_nope", "ClientId": client}, "ResourceNotFoundException", ""},
		{"unknown client", map[string]any{"UserPoolId": pool, "ClientId": "nosuchclient"}, "ResourceNotFoundException", ""},
		{"defaults and settings", map[string]any{"UserPoolId": pool, "ClientId": client, "UseCognitoProvidedValues": true, "Settings": map[string]any{}},
			"InvalidParameterException", "Settings and Assets must be omitted when UseCognitoProvidedValues is true."},
		{"settings not an object", map[string]any{"UserPoolId": pool, "ClientId": client, "Settings": []int{1}},
			"InvalidParameterException", "Settings must be a JSON object."},
		{"settings too deep", map[string]any{"UserPoolId": pool, "ClientId": client, "Settings": json.RawMessage(deep)},
			"InvalidParameterException", "Settings nests deeper than 32 levels."},
		{"settings too big", map[string]any{"UserPoolId": pool, "ClientId": client, "Settings": map[string]any{"x": strings.Repeat("a", maxBrandingSettingsBytes)}},
			"InvalidParameterException", "Settings is larger than 131072 bytes."},
		{"category", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": asset("LOGO", "LIGHT", "PNG", png)}, "InvalidParameterException", ""},
		{"color mode", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": asset("FORM_LOGO", "SEPIA", "PNG", png)}, "InvalidParameterException", ""},
		{"extension", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": asset("FORM_LOGO", "LIGHT", "GIF", png)}, "InvalidParameterException", ""},
		{"html as png", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": asset("FORM_LOGO", "LIGHT", "PNG", []byte("<html><script>x</script>"))},
			"InvalidParameterException", "The bytes of the FORM_LOGO asset LIGHT are not a PNG file."},
		{"png as jpeg", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": asset("FORM_LOGO", "LIGHT", "JPEG", png)}, "InvalidParameterException", ""},
		{"text as svg", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": asset("FAVICON_SVG", "LIGHT", "SVG", []byte("hello"))}, "InvalidParameterException", ""},
		{"duplicate asset", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": append(asset("FORM_LOGO", "LIGHT", "PNG", png), asset("FORM_LOGO", "LIGHT", "PNG", png)...)},
			"InvalidParameterException", "Duplicate asset for category FORM_LOGO and color mode LIGHT."},
		{"41 assets", map[string]any{"UserPoolId": pool, "ClientId": client, "Assets": many}, "InvalidParameterException",
			"1 validation error detected: Value at 'assets' failed to satisfy constraint: Member must have length less than or equal to 40"},
		{"resource id", map[string]any{"UserPoolId": pool, "ClientId": client,
			"Assets": []map[string]any{{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "ResourceId": "a/b"}}}, "InvalidParameterException", ""},
	} {
		typ, msg := env.callErr("CreateManagedLoginBranding", tc.in)
		if typ != tc.typ || (tc.msg != "" && msg != tc.msg) {
			t.Errorf("%s: %s %q, want %s %q", tc.name, typ, msg, tc.typ, tc.msg)
		}
	}
	if id, _ := env.svc.brandingIDOfClient(context.Background(), pool, client); id != "" {
		t.Fatalf("a refused call created style %s", id)
	}
	for _, id := range []string{"not-a-uuid", "00000000-0000-1000-8000-000000000000", strings.Repeat("a", 300)} {
		env.wantErr("DescribeManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": id}, "InvalidParameterException", "")
	}
	env.wantErr("UpdateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ManagedLoginBrandingId": "00000000-0000-4000-8000-000000000000"},
		"ResourceNotFoundException", "")
}

// TestManagedLoginBrandingRace: twenty creations for one client at once; exactly one style
// exists afterwards and the index names it.
func TestManagedLoginBrandingRace(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	client, _ := env.createClient(pool, nil)
	const n = 20
	var wg sync.WaitGroup
	statuses, types, ids := make([]int, n), make([]string, n), make([]string, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			status, out := env.dispatch("CreateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ClientId": client, "UseCognitoProvidedValues": true})
			statuses[i] = status
			types[i], _ = out["__type"].(string)
			if status == http.StatusOK {
				ids[i], _ = mObj(out, "ManagedLoginBranding")["ManagedLoginBrandingId"].(string)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	winner := ""
	for i := range statuses {
		switch {
		case statuses[i] == http.StatusOK && winner == "":
			winner = ids[i]
		case statuses[i] == http.StatusOK:
			t.Fatalf("two styles for one client: %s and %s", winner, ids[i])
		case types[i] != "ManagedLoginBrandingExistsException":
			t.Fatalf("creation %d: %d %s", i, statuses[i], types[i])
		}
	}
	ctx := context.Background()
	if id, err := env.svc.brandingIDOfClient(ctx, pool, client); err != nil || id != winner {
		t.Fatalf("index names %q (%v), want %q", id, err, winner)
	}
	keys, err := env.store.List(ctx, brandingKey(pool, ""), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.Keys) != 1 {
		t.Fatalf("%d style records, want 1: %v", len(keys.Keys), keys.Keys)
	}
}

func TestPageBrandingClassic(t *testing.T) {
	env := newTestEnv(t)
	pool, client := brandedPool(env)
	ctx := context.Background()
	if pb, err := env.svc.PageBranding(ctx, pool, client); err != nil || *pb != (PageBranding{}) {
		t.Fatalf("no branding: %+v %v", pb, err)
	}
	logo := testPNG(t, color.Black)
	env.call("SetUICustomization", map[string]any{"UserPoolId": pool, "CSS": "/* hi */ .label-customizable{font-weight:700}", "ImageFile": logo})
	pb, err := env.svc.PageBranding(ctx, pool, client)
	if err != nil {
		t.Fatal(err)
	}
	if pb.CSS != ".label-customizable { font-weight: 700; }\n" || pb.LogoURL != "/"+pool+"/ui/logo/ALL/"+imageName(logo, "png") {
		t.Fatalf("classic PageBranding: %+v", pb)
	}
	// A managed login style takes over from the classic customization.
	env.call("CreateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ClientId": client,
		"Settings": map[string]any{"components": map[string]any{"form": map[string]any{"logo": map[string]any{"enabled": false}}}},
		"Assets":   []map[string]any{{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": logo}}})
	if pb, err := env.svc.PageBranding(ctx, pool, client); err != nil || pb.CSS != "" || pb.LogoURL != "" {
		t.Fatalf("styled PageBranding with the logo disabled: %+v %v", pb, err)
	}
	if _, err := env.svc.PageBranding(ctx, pool, "nosuchclient"); err == nil {
		t.Fatal("PageBranding of an unknown client")
	}
}

func TestCSSHexColor(t *testing.T) {
	for in, want := range map[string]string{"0972d3ff": "#0972d3ff", "#ABCDEF": "#abcdef", "fff": "", "red": "",
		"0972d3ff;}": "", "": "", "12345g": "", "#0972d3ff00": ""} {
		if got := cssHexColor(in); got != want {
			t.Errorf("cssHexColor(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzBrandingSettings: any Settings document the checks admit is stored and read back by
// the pages without a panic, and what a page receives is only "#"-hex colours, a known
// scheme, and no logo without a raster asset.
func FuzzBrandingSettings(f *testing.F) {
	for _, seed := range []string{testBrandingSettings, `{}`, `{"components":1}`, `{"components":{"primaryButton":[]}}`,
		`{"categories":{"global":{"colorSchemeMode":7}},"components":{"pageBackground":{"lightMode":{"color":"ffffff"}}}}`,
		`{"components":{"form":{"logo":{"enabled":"yes"}}}}`, `[]`, `"x"`, `{"a":` + strings.Repeat("[", 40)} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) || checkBrandingSettings(doc) != nil {
			return
		}
		settings, err := compactSettings(doc)
		if err != nil {
			return
		}
		pb := styledPage(&storedBranding{ManagedLoginBranding: ManagedLoginBranding{UserPoolId: "us-east-1_x",
			ManagedLoginBrandingId: "00000000-0000-4000-8000-000000000000", Settings: settings}})
		for _, c := range []string{pb.PrimaryColor, pb.PrimaryColorDark, pb.BackgroundColor, pb.BackgroundColorDark} {
			if c != "" && cssHexColor(c) != c {
				t.Fatalf("colour %q reaches a page", c)
			}
		}
		if pb.LogoURL != "" || (pb.ColorScheme != "" && pb.ColorScheme != "LIGHT" && pb.ColorScheme != "DARK" && pb.ColorScheme != "DYNAMIC") {
			t.Fatalf("PageBranding %+v", pb)
		}
		if _, err := mergeBrandingSettings(settings); err != nil {
			t.Fatalf("merge: %v", err)
		}
	})
}

// TestDeleteUserPoolDropsBranding: DeleteUserPool leaves no customization, style or index key.
func TestDeleteUserPoolDropsBranding(t *testing.T) {
	env := newTestEnv(t)
	pool, client := brandedPool(env)
	env.call("SetUICustomization", map[string]any{"UserPoolId": pool, "CSS": ".label-customizable { font-weight: 400 }"})
	env.call("SetUICustomization", map[string]any{"UserPoolId": pool, "ClientId": client, "ImageFile": testJPEG(t)})
	env.call("CreateManagedLoginBranding", map[string]any{"UserPoolId": pool, "ClientId": client, "UseCognitoProvidedValues": true})
	env.call("DeleteUserPool", map[string]any{"UserPoolId": pool})
	ctx := context.Background()
	for _, kind := range []string{"uic/", "mlb/", "mlc/"} {
		page, err := env.store.List(ctx, kind+pool+"/", "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Keys) != 0 {
			t.Errorf("%s keys left after DeleteUserPool: %v", kind, page.Keys)
		}
	}
}
