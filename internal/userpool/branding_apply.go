package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// The configuration file declares branding beside what it brands: a pool's UICustomization
// is the pool-wide (ALL) classic customization, a client's UICustomization and
// ManagedLoginBranding are that client's. Applying goes through the API's own checks; a
// declaration equal to what is stored changes nothing.

// UICustomizationSpec declares a classic customization (SetUICustomization's CSS and
// ImageFile, base64 in the file).
type UICustomizationSpec struct {
	CSS       *string `json:"CSS,omitempty"`
	ImageFile []byte  `json:"ImageFile,omitempty"`
}

// ManagedLoginBrandingSpec declares a client's managed login style
// (CreateManagedLoginBranding's members minus UserPoolId and ClientId).
type ManagedLoginBrandingSpec struct {
	UseCognitoProvidedValues bool            `json:"UseCognitoProvidedValues,omitempty"`
	Settings                 json.RawMessage `json:"Settings,omitempty"`
	Assets                   []BrandingAsset `json:"Assets,omitempty"`
}

// applyUICustomization applies spec to owner (a client id, or ALL for the pool).
func (s *Service) applyUICustomization(ctx context.Context, p *Pool, owner string, spec *UICustomizationSpec) (applyState, error) {
	in := &SetUICustomizationInput{UserPoolId: p.Id, ClientId: owner, CSS: spec.CSS, ImageFile: spec.ImageFile}
	if err := checkShapes(in); err != nil {
		return unchanged, err
	}
	have, err := s.getUICustomization(ctx, p.Id, owner)
	if err != nil {
		return unchanged, err
	}
	css := ""
	if spec.CSS != nil {
		css = *spec.CSS
	}
	if have == nil && css == "" && len(spec.ImageFile) == 0 {
		return unchanged, nil // nothing declared, nothing stored
	}
	if have != nil && have.CSS == css && bytes.Equal(have.Image, spec.ImageFile) {
		return unchanged, nil
	}
	if _, err := s.setUICustomization(ctx, in); err != nil {
		return unchanged, err
	}
	if have == nil {
		return created, nil
	}
	return updated, nil
}

// applyBranding creates client's style from spec, or updates it when it differs.
func (s *Service) applyBranding(ctx context.Context, p *Pool, client string, spec *ManagedLoginBrandingSpec) (applyState, error) {
	in := &CreateManagedLoginBrandingInput{UserPoolId: p.Id, ClientId: client, UseCognitoProvidedValues: spec.UseCognitoProvidedValues,
		Settings: spec.Settings, Assets: spec.Assets}
	if err := checkShapes(in); err != nil {
		return unchanged, err
	}
	have, err := s.brandingOfClient(ctx, p.Id, client)
	if err != nil {
		return unchanged, err
	}
	if have == nil {
		_, err := s.createManagedLoginBranding(ctx, in)
		return created, err
	}
	settings, err := compactSettings(spec.Settings)
	if err != nil {
		return unchanged, err
	}
	want := have.ManagedLoginBranding
	want.UseCognitoProvidedValues, want.Settings, want.Assets = spec.UseCognitoProvidedValues, settings, nonNilAssets(spec.Assets)
	if same, err := sameJSON(&have.ManagedLoginBranding, &want); err != nil || same {
		return unchanged, err
	}
	if err := checkBrandingContent(spec.UseCognitoProvidedValues, spec.Settings, spec.Assets); err != nil {
		return unchanged, err
	}
	// The file names the whole style, so it replaces all three members in one commit, if the
	// style is still as read above.
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		cur, err := ts.getBranding(ctx, p.Id, have.ManagedLoginBrandingId)
		if err != nil {
			return err
		}
		if same, err := sameJSON(cur, have); err != nil || !same {
			return errors.Join(err, errors.New("the managed login branding changed while the configuration was applied; apply again"))
		}
		next := *cur
		next.ManagedLoginBranding = want
		next.LastModifiedDate = awsjson.Epoch(ts.now())
		return ts.putJSON(ctx, brandingKey(p.Id, want.ManagedLoginBrandingId), &next)
	})
	return updated, err
}
