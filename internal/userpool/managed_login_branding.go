package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// A managed login branding style (CreateManagedLoginBranding and friends) belongs to one app
// client: a Settings document (the branding editor's JSON) and image assets. Its record
// mlb/<pool>/<branding id> and the index mlc/<pool>/<client> → branding id are in the pool's
// shard and are written together, in a commit that reads the index first, so of racing
// creations for one client exactly one wins (ManagedLoginBrandingExistsException for the
// others). Deleting the client deletes its style.

// Bounds Cognito does not publish beyond the 1 MiB request. [est]
const (
	maxBrandingSettingsBytes = 128 << 10 // the Settings document as sent
	maxBrandingSettingsDepth = 32        // nesting of objects and arrays in it
)

// BrandingAsset is wire AssetType.
type BrandingAsset struct {
	Category   string `json:"Category" aws:"required"`
	ColorMode  string `json:"ColorMode" aws:"required"`
	Extension  string `json:"Extension" aws:"required"`
	Bytes      []byte `json:"Bytes,omitempty"`
	ResourceId string `json:"ResourceId,omitempty"`
}

var (
	assetCategories = []string{"FAVICON_ICO", "FAVICON_SVG", "EMAIL_GRAPHIC", "SMS_GRAPHIC", "AUTH_APP_GRAPHIC",
		"PASSWORD_GRAPHIC", "PASSKEY_GRAPHIC", "PAGE_HEADER_LOGO", "PAGE_HEADER_BACKGROUND", "PAGE_FOOTER_LOGO",
		"PAGE_FOOTER_BACKGROUND", "PAGE_BACKGROUND", "FORM_BACKGROUND", "FORM_LOGO", "IDP_BUTTON_ICON"}
	assetColorModes = []string{"LIGHT", "DARK", "DYNAMIC"}
	assetExtensions = []string{"ICO", "JPEG", "PNG", "SVG", "WEBP"}
)

// ManagedLoginBranding is wire ManagedLoginBrandingType.
type ManagedLoginBranding struct {
	ManagedLoginBrandingId   string            `json:"ManagedLoginBrandingId"`
	UserPoolId               string            `json:"UserPoolId"`
	UseCognitoProvidedValues bool              `json:"UseCognitoProvidedValues"`
	Settings                 json.RawMessage   `json:"Settings,omitempty"`
	Assets                   []BrandingAsset   `json:"Assets"`
	CreationDate             awsjson.EpochTime `json:"CreationDate"`
	LastModifiedDate         awsjson.EpochTime `json:"LastModifiedDate"`
}

// storedBranding is the record mlb/<pool>/<id>.
type storedBranding struct {
	ManagedLoginBranding
	ClientId string `json:"ClientId"`
}

// CreateManagedLoginBrandingInput is the CreateManagedLoginBranding request.
type CreateManagedLoginBrandingInput struct {
	UserPoolId               string          `json:"UserPoolId" aws:"required"`
	ClientId                 string          `json:"ClientId" aws:"required"`
	UseCognitoProvidedValues bool            `json:"UseCognitoProvidedValues,omitempty"`
	Settings                 json.RawMessage `json:"Settings,omitempty"`
	Assets                   []BrandingAsset `json:"Assets,omitempty"`
}

// UpdateManagedLoginBrandingInput is the UpdateManagedLoginBranding request: Settings and
// Assets replace what the style has when present; UseCognitoProvidedValues drops both.
type UpdateManagedLoginBrandingInput struct {
	UserPoolId               string          `json:"UserPoolId" aws:"required"`
	ManagedLoginBrandingId   string          `json:"ManagedLoginBrandingId" aws:"required"`
	UseCognitoProvidedValues bool            `json:"UseCognitoProvidedValues,omitempty"`
	Settings                 json.RawMessage `json:"Settings,omitempty"`
	Assets                   []BrandingAsset `json:"Assets,omitempty"`
}

// DescribeManagedLoginBrandingInput is the DescribeManagedLoginBranding request.
type DescribeManagedLoginBrandingInput struct {
	UserPoolId             string `json:"UserPoolId" aws:"required"`
	ManagedLoginBrandingId string `json:"ManagedLoginBrandingId" aws:"required"`
	ReturnMergedResources  bool   `json:"ReturnMergedResources,omitempty"`
}

// DescribeManagedLoginBrandingByClientInput is the DescribeManagedLoginBrandingByClient request.
type DescribeManagedLoginBrandingByClientInput struct {
	UserPoolId            string `json:"UserPoolId" aws:"required"`
	ClientId              string `json:"ClientId" aws:"required"`
	ReturnMergedResources bool   `json:"ReturnMergedResources,omitempty"`
}

// DeleteManagedLoginBrandingInput is the DeleteManagedLoginBranding request.
type DeleteManagedLoginBrandingInput struct {
	UserPoolId             string `json:"UserPoolId" aws:"required"`
	ManagedLoginBrandingId string `json:"ManagedLoginBrandingId" aws:"required"`
}

// ManagedLoginBrandingOutput is the response of Create, Update and both Describes.
type ManagedLoginBrandingOutput struct {
	ManagedLoginBranding *ManagedLoginBranding `json:"ManagedLoginBranding"`
}

func brandingKey(pool, id string) string           { return "mlb/" + pool + "/" + id }
func brandingClientKey(pool, client string) string { return "mlc/" + pool + "/" + client }
func brandingNotFound(pool, id string) error {
	return awsjson.ResourceNotFound("Managed login branding %s does not exist in user pool %s.", id, pool)
}

// checkBrandingContent applies the rules the member shapes leave open: with
// UseCognitoProvidedValues there are no Settings or Assets; Settings is a JSON object within
// bounds; every asset's enums are Cognito's, its bytes are the format its Extension names,
// and a (Category, ColorMode) pair appears once.
func checkBrandingContent(useCognito bool, settings json.RawMessage, assets []BrandingAsset) error {
	if useCognito && (len(settings) > 0 || len(assets) > 0) {
		return awsjson.InvalidParameter("Settings and Assets must be omitted when UseCognitoProvidedValues is true.")
	}
	if len(settings) > 0 {
		if err := checkBrandingSettings(settings); err != nil {
			return err
		}
	}
	seen := map[[2]string]bool{}
	for i := range assets {
		a := &assets[i]
		if err := checkEnum("assets.member.category", a.Category, assetCategories...); err != nil {
			return err
		}
		if err := checkEnum("assets.member.colorMode", a.ColorMode, assetColorModes...); err != nil {
			return err
		}
		if err := checkEnum("assets.member.extension", a.Extension, assetExtensions...); err != nil {
			return err
		}
		pair := [2]string{a.Category, a.ColorMode}
		if seen[pair] {
			return awsjson.InvalidParameter("Duplicate asset for category %s and color mode %s.", a.Category, a.ColorMode)
		}
		seen[pair] = true
		if len(a.Bytes) > 0 && !assetBytesMatch(a.Extension, a.Bytes) {
			return awsjson.InvalidParameter("The bytes of the %s asset %s are not a %s file.", a.Category, a.ColorMode, a.Extension)
		}
	}
	return nil
}

// assetBytesMatch reports whether b is a file of the format ext names.
func assetBytesMatch(ext string, b []byte) bool {
	if ext == "SVG" {
		return looksLikeSVG(b)
	}
	kind, ok := sniffRaster(b)
	want := map[string]imageKind{"PNG": imagePNG, "JPEG": imageJPEG, "WEBP": imageWEBP, "ICO": imageICO}[ext]
	return ok && kind == want
}

// checkBrandingSettings requires a JSON object of bounded size and nesting.
func checkBrandingSettings(settings json.RawMessage) error {
	if len(settings) > maxBrandingSettingsBytes {
		return awsjson.InvalidParameter("Settings is larger than %d bytes.", maxBrandingSettingsBytes)
	}
	trimmed := bytes.TrimLeft(settings, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return awsjson.InvalidParameter("Settings must be a JSON object.")
	}
	depth, max := 0, 0
	inString, escaped := false, false
	for _, c := range trimmed {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				max = depth
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	if max > maxBrandingSettingsDepth {
		return awsjson.InvalidParameter("Settings nests deeper than %d levels.", maxBrandingSettingsDepth)
	}
	return nil
}

// compactSettings stores Settings without insignificant white space (nil when absent).
func compactSettings(settings json.RawMessage) (json.RawMessage, error) {
	if len(settings) == 0 {
		return nil, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, settings); err != nil {
		return nil, awsjson.InvalidParameter("Settings must be a JSON object.")
	}
	return b.Bytes(), nil
}

func (s *Service) createManagedLoginBranding(ctx context.Context, in *CreateManagedLoginBrandingInput) (*ManagedLoginBrandingOutput, error) {
	if err := checkBrandingContent(in.UseCognitoProvidedValues, in.Settings, in.Assets); err != nil {
		return nil, err
	}
	settings, err := compactSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	id, err := s.newUUID()
	if err != nil {
		return nil, err
	}
	var b *storedBranding
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.getClient(ctx, p.Id, in.ClientId); err != nil {
			return err
		}
		if have, err := ts.brandingIDOfClient(ctx, p.Id, in.ClientId); err != nil {
			return err
		} else if have != "" {
			return awsjson.New(awsjson.ErrManagedLoginBrandingExists, "Managed login branding already exists for app client %s.", in.ClientId)
		}
		now := awsjson.Epoch(ts.now())
		b = &storedBranding{ClientId: in.ClientId, ManagedLoginBranding: ManagedLoginBranding{
			ManagedLoginBrandingId: id, UserPoolId: p.Id, UseCognitoProvidedValues: in.UseCognitoProvidedValues,
			Settings: settings, Assets: nonNilAssets(in.Assets), CreationDate: now, LastModifiedDate: now}}
		if err := ts.putJSON(ctx, brandingClientKey(p.Id, in.ClientId), id); err != nil {
			return err
		}
		return ts.putJSON(ctx, brandingKey(p.Id, id), b)
	})
	if err != nil {
		return nil, err
	}
	return &ManagedLoginBrandingOutput{ManagedLoginBranding: &b.ManagedLoginBranding}, nil
}

func nonNilAssets(a []BrandingAsset) []BrandingAsset {
	if a == nil {
		return []BrandingAsset{}
	}
	return a
}

func (s *Service) describeManagedLoginBranding(ctx context.Context, in *DescribeManagedLoginBrandingInput) (*ManagedLoginBrandingOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	b, err := s.getBranding(ctx, in.UserPoolId, in.ManagedLoginBrandingId)
	if err != nil {
		return nil, err
	}
	return brandingOutput(b, in.ReturnMergedResources)
}

func (s *Service) describeManagedLoginBrandingByClient(ctx context.Context, in *DescribeManagedLoginBrandingByClientInput) (*ManagedLoginBrandingOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	b, err := s.brandingOfClient(ctx, in.UserPoolId, in.ClientId)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, awsjson.ResourceNotFound("App client %s has no managed login branding.", in.ClientId)
	}
	return brandingOutput(b, in.ReturnMergedResources)
}

// brandingOutput is b on the wire; merged, its Settings are Cognito's defaults overlaid with
// the style's own (brandingDefaults).
func brandingOutput(b *storedBranding, merged bool) (*ManagedLoginBrandingOutput, error) {
	out := b.ManagedLoginBranding
	if merged {
		settings, err := mergeBrandingSettings(out.Settings)
		if err != nil {
			return nil, err
		}
		out.Settings = settings
	}
	return &ManagedLoginBrandingOutput{ManagedLoginBranding: &out}, nil
}

func (s *Service) updateManagedLoginBranding(ctx context.Context, in *UpdateManagedLoginBrandingInput) (*ManagedLoginBrandingOutput, error) {
	if err := checkBrandingContent(in.UseCognitoProvidedValues, in.Settings, in.Assets); err != nil {
		return nil, err
	}
	settings, err := compactSettings(in.Settings)
	if err != nil {
		return nil, err
	}
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	var b *storedBranding
	err = s.atomically(ctx, poolShard(in.UserPoolId), func(ts *Service) error {
		var err error
		if b, err = ts.getBranding(ctx, in.UserPoolId, in.ManagedLoginBrandingId); err != nil {
			return err
		}
		switch {
		case in.UseCognitoProvidedValues:
			b.UseCognitoProvidedValues, b.Settings, b.Assets = true, nil, []BrandingAsset{}
		default:
			if settings != nil {
				b.Settings, b.UseCognitoProvidedValues = settings, false
			}
			if in.Assets != nil {
				b.Assets, b.UseCognitoProvidedValues = in.Assets, false
			}
		}
		b.LastModifiedDate = awsjson.Epoch(ts.now())
		return ts.putJSON(ctx, brandingKey(in.UserPoolId, b.ManagedLoginBrandingId), b)
	})
	if err != nil {
		return nil, err
	}
	return &ManagedLoginBrandingOutput{ManagedLoginBranding: &b.ManagedLoginBranding}, nil
}

func (s *Service) deleteManagedLoginBranding(ctx context.Context, in *DeleteManagedLoginBrandingInput) (*struct{}, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	err := s.atomically(ctx, poolShard(in.UserPoolId), func(ts *Service) error {
		b, err := ts.getBranding(ctx, in.UserPoolId, in.ManagedLoginBrandingId)
		if err != nil {
			return err
		}
		return ts.dropBranding(ctx, b)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// dropBranding deletes b and its client's index key, inside a transaction that read b.
func (s *Service) dropBranding(ctx context.Context, b *storedBranding) error {
	if err := s.d.Store.Delete(ctx, brandingClientKey(b.UserPoolId, b.ClientId)); err != nil {
		return err
	}
	return s.d.Store.Delete(ctx, brandingKey(b.UserPoolId, b.ManagedLoginBrandingId))
}

// dropClientBranding removes what brands client (its managed login style and its classic
// customization), for DeleteUserPoolClient.
func (s *Service) dropClientBranding(ctx context.Context, pool, client string) error {
	return s.atomically(ctx, poolShard(pool), func(ts *Service) error {
		b, err := ts.brandingOfClient(ctx, pool, client)
		if err != nil {
			return err
		}
		if b != nil {
			if err := ts.dropBranding(ctx, b); err != nil {
				return err
			}
		}
		if u, err := ts.getUICustomization(ctx, pool, client); err != nil {
			return err
		} else if u != nil {
			return ts.d.Store.Delete(ctx, uiCustomizationKey(pool, client))
		}
		return nil
	})
}

// getBranding returns style id of pool, or ResourceNotFoundException.
func (s *Service) getBranding(ctx context.Context, pool, id string) (*storedBranding, error) {
	var b storedBranding
	if err := s.getJSON(ctx, brandingKey(pool, id), &b); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, brandingNotFound(pool, id)
		}
		return nil, err
	}
	if b.Assets == nil {
		b.Assets = []BrandingAsset{}
	}
	return &b, nil
}

// brandingIDOfClient returns the id of client's style, or "".
func (s *Service) brandingIDOfClient(ctx context.Context, pool, client string) (string, error) {
	var id string
	if err := s.getJSON(ctx, brandingClientKey(pool, client), &id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", nil
		}
		return "", err
	}
	return id, nil
}

// brandingOfClient returns client's style, or nil.
func (s *Service) brandingOfClient(ctx context.Context, pool, client string) (*storedBranding, error) {
	id, err := s.brandingIDOfClient(ctx, pool, client)
	if err != nil || id == "" {
		return nil, err
	}
	b, err := s.getBranding(ctx, pool, id)
	if errors.Is(err, awsjson.ErrResourceNotFound) {
		return nil, nil // an index key whose style was deleted since it was read
	}
	return b, err
}
