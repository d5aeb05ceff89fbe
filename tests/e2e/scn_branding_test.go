package e2e

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/document"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// brandingActions are the branding actions of managed login; the suite must drive each one
// successfully at least once through the AWS SDK.
var brandingActions = []string{
	"SetUICustomization", "GetUICustomization",
	"CreateManagedLoginBranding", "DescribeManagedLoginBranding", "DescribeManagedLoginBrandingByClient",
	"UpdateManagedLoginBranding", "DeleteManagedLoginBranding",
}

// brandingPNG is a small real PNG whose bytes depend on c.
func brandingPNG(t testing.TB, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 3))
	img.Set(1, 1, c)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// scnBranding: the classic hosted UI's CSS and logo (the logo served at its ImageUrl from
// poolgate's origin, cacheable, with the type its bytes prove), and a managed login style per
// client through the AWS SDK, with the refusals a page's origin depends on.
func scnBranding(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pool := aws.ToString(newPool(t, ep, nil).Id)
	client := aws.ToString(newClient(t, ep, pool, nil).ClientId)
	logo := brandingPNG(t, color.RGBA{200, 30, 30, 255})

	// The classic UI needs a domain.
	_, err := admin.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(pool), CSS: aws.String(".label-customizable { font-weight: 400 }")})
	wantErr(t, err, "InvalidParameterException", "There has to be an existing domain associated with this user pool.")
	call(admin.CreateUserPoolDomain(ctx, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(pool), Domain: aws.String(name("e2e-brand-"))})).must(t)

	set := call(admin.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(pool), ClientId: aws.String("ALL"),
		CSS: aws.String(".submitButton-customizable { background-color: #aa0000; }"), ImageFile: logo})).must(t).UICustomization
	imageURL := aws.ToString(set.ImageUrl)
	if aws.ToString(set.ClientId) != "ALL" || !strings.HasPrefix(imageURL, ep.IssuerBase+"/"+pool+"/ui/logo/ALL/") ||
		aws.ToString(set.CSSVersion) == "" || set.CreationDate == nil || set.LastModifiedDate == nil {
		t.Errorf("SetUICustomization: %+v", set)
	}
	got := call(admin.GetUICustomization(ctx, &cip.GetUICustomizationInput{UserPoolId: aws.String(pool), ClientId: aws.String(client)})).must(t).UICustomization
	if aws.ToString(got.ClientId) != "ALL" || aws.ToString(got.CSS) != ".submitButton-customizable { background-color: #aa0000; }" || aws.ToString(got.ImageUrl) != imageURL {
		t.Errorf("GetUICustomization falls back to ALL: %+v", got)
	}

	// The logo, from the server's own origin.
	u, err := url.Parse(imageURL)
	if err != nil {
		t.Fatal(err)
	}
	resp := brandingGet(t, ep, u.Path)
	if resp.status != http.StatusOK || !bytes.Equal(resp.body, logo) || resp.header.Get("Content-Type") != "image/png" ||
		resp.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.header.Get("Cache-Control"), "immutable") {
		t.Errorf("GET %s: %d %v (%d bytes)", u.Path, resp.status, resp.header, len(resp.body))
	}
	for _, p := range []string{strings.TrimSuffix(u.Path, ".png") + ".jpeg", "/" + pool + "/ui/logo/" + client + "/0000000000000000.png",
		"/us-east-1_nope/ui/logo/ALL/0000000000000000.png"} {
		if r := brandingGet(t, ep, p); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
	}
	// A dot segment: hostsim answers 404, the Worker's runtime 400 before poolgate sees it.
	if r := brandingGet(t, ep, "/"+pool+"/ui/logo/%2e%2e/x.png"); r.status != http.StatusNotFound && r.status != http.StatusBadRequest {
		t.Errorf("GET with a dot segment: %d, want 404 or 400", r.status)
	}

	// Forgeries: markup in the CSS, a page as the logo.
	_, err = admin.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(pool), CSS: aws.String("</style><script>alert(1)</script>")})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = admin.SetUICustomization(ctx, &cip.SetUICustomizationInput{UserPoolId: aws.String(pool), ImageFile: []byte("<html><script>alert(1)</script></html>")})
	wantErr(t, err, "InvalidParameterException", "The image file must be a PNG or JPEG image.")

	// Managed login: one style per client.
	formLogo := brandingPNG(t, color.RGBA{0, 90, 200, 255})
	created := call(admin.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: aws.String(pool), ClientId: aws.String(client),
		Settings: document.NewLazyDocument(map[string]any{"categories": map[string]any{"global": map[string]any{"colorSchemeMode": "DYNAMIC"}}}),
		Assets: []types.AssetType{{Category: types.AssetCategoryTypeFormLogo, ColorMode: types.ColorSchemeModeTypeLight,
			Extension: types.AssetExtensionTypePng, Bytes: formLogo, ResourceId: aws.String("form-logo")}}})).must(t).ManagedLoginBranding
	id := aws.ToString(created.ManagedLoginBrandingId)
	if len(id) != 36 || aws.ToString(created.UserPoolId) != pool || len(created.Assets) != 1 || !bytes.Equal(created.Assets[0].Bytes, formLogo) {
		t.Errorf("CreateManagedLoginBranding: %+v", created)
	}
	var settings map[string]any
	if created.Settings == nil || created.Settings.UnmarshalSmithyDocument(&settings) != nil {
		t.Fatalf("CreateManagedLoginBranding Settings: %v", created.Settings)
	}
	_, err = admin.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: aws.String(pool), ClientId: aws.String(client), UseCognitoProvidedValues: true})
	wantErr(t, err, "ManagedLoginBrandingExistsException", "")
	var already *types.ManagedLoginBrandingExistsException
	if err != nil && !errors.As(err, &already) {
		t.Errorf("the SDK does not see ManagedLoginBrandingExistsException: %T %v", err, err)
	}

	byClient := call(admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: aws.String(pool),
		ClientId: aws.String(client), ReturnMergedResources: true})).must(t).ManagedLoginBranding
	var merged struct {
		Categories struct {
			Global struct{ ColorSchemeMode string }
		}
		Components struct {
			PrimaryButton struct {
				LightMode struct {
					Defaults struct{ BackgroundColor string }
				}
			}
		}
	}
	if aws.ToString(byClient.ManagedLoginBrandingId) != id || byClient.Settings.UnmarshalSmithyDocument(&merged) != nil ||
		merged.Categories.Global.ColorSchemeMode != "DYNAMIC" || merged.Components.PrimaryButton.LightMode.Defaults.BackgroundColor == "" {
		t.Errorf("DescribeManagedLoginBrandingByClient (merged): %+v %+v", byClient, merged)
	}
	updated := call(admin.UpdateManagedLoginBranding(ctx, &cip.UpdateManagedLoginBrandingInput{UserPoolId: aws.String(pool),
		ManagedLoginBrandingId: aws.String(id), Assets: []types.AssetType{}})).must(t).ManagedLoginBranding
	if len(updated.Assets) != 0 || updated.Settings == nil {
		t.Errorf("UpdateManagedLoginBranding: %+v", updated)
	}
	described := call(admin.DescribeManagedLoginBranding(ctx, &cip.DescribeManagedLoginBrandingInput{UserPoolId: aws.String(pool),
		ManagedLoginBrandingId: aws.String(id)})).must(t).ManagedLoginBranding
	if len(described.Assets) != 0 || described.LastModifiedDate == nil {
		t.Errorf("DescribeManagedLoginBranding: %+v", described)
	}
	_, err = admin.CreateManagedLoginBranding(ctx, &cip.CreateManagedLoginBrandingInput{UserPoolId: aws.String(pool),
		ClientId: aws.String(aws.ToString(newClient(t, ep, pool, nil).ClientId)),
		Assets: []types.AssetType{{Category: types.AssetCategoryTypeFormLogo, ColorMode: types.ColorSchemeModeTypeLight,
			Extension: types.AssetExtensionTypePng, Bytes: []byte("<svg onload=alert(1)>")}}})
	wantErr(t, err, "InvalidParameterException", "")

	call(admin.DeleteManagedLoginBranding(ctx, &cip.DeleteManagedLoginBrandingInput{UserPoolId: aws.String(pool), ManagedLoginBrandingId: aws.String(id)})).must(t)
	_, err = admin.DescribeManagedLoginBrandingByClient(ctx, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: aws.String(pool), ClientId: aws.String(client)})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = admin.DescribeManagedLoginBranding(ctx, &cip.DescribeManagedLoginBrandingInput{UserPoolId: aws.String(pool), ManagedLoginBrandingId: aws.String(id)})
	wantErr(t, err, "ResourceNotFoundException", "")
}

type brandingResponse struct {
	status int
	header http.Header
	body   []byte
}

func brandingGet(t *testing.T, ep *Endpoint, path string) brandingResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ep.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ep.httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return brandingResponse{resp.StatusCode, resp.Header, body}
}
