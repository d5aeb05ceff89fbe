package userpool

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// The classic hosted UI's branding (SetUICustomization / GetUICustomization): CSS for the
// classes Cognito names (ui_css.go) and a PNG or JPEG logo, for one app client or for every
// client of the pool that has none of its own (ClientId "ALL"). The record
// uic/<pool>/<client or ALL> is in the pool's shard. The logo is served by poolgate itself at
// ImageUrl, <issuer base>/<pool>/ui/logo/<client or ALL>/<sha256 prefix>.<png|jpeg>: the name
// changes with the bytes, so the file may be cached for good (BrandingImage).

// allClients is the ClientId of a pool-wide customization.
const allClients = "ALL"

// maxUILogoBytes bounds ImageFile (Cognito: 100 KB).
const maxUILogoBytes = 100 * 1024

// SetUICustomizationInput is the SetUICustomization request.
type SetUICustomizationInput struct {
	UserPoolId string  `json:"UserPoolId" aws:"required"`
	ClientId   string  `json:"ClientId,omitempty"`
	CSS        *string `json:"CSS,omitempty"`
	ImageFile  []byte  `json:"ImageFile,omitempty"`
}

// GetUICustomizationInput is the GetUICustomization request.
type GetUICustomizationInput struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	ClientId   string `json:"ClientId,omitempty"`
}

// UICustomizationOutput is the response of both actions.
type UICustomizationOutput struct {
	UICustomization *UICustomization `json:"UICustomization"`
}

// UICustomization is wire UICustomizationType.
type UICustomization struct {
	UserPoolId       string             `json:"UserPoolId,omitempty"`
	ClientId         string             `json:"ClientId,omitempty"`
	ImageUrl         string             `json:"ImageUrl,omitempty"`
	CSS              string             `json:"CSS,omitempty"`
	CSSVersion       string             `json:"CSSVersion,omitempty"`
	LastModifiedDate *awsjson.EpochTime `json:"LastModifiedDate,omitempty"`
	CreationDate     *awsjson.EpochTime `json:"CreationDate,omitempty"`
}

// storedUICustomization is the record uic/<pool>/<client or ALL>.
type storedUICustomization struct {
	UserPoolId string `json:"UserPoolId"`
	ClientId   string `json:"ClientId"`
	CSS        string `json:"CSS,omitempty"`
	// PageCSS is CSS as checked and re-written by checkUICSS: what pages embed.
	PageCSS          string            `json:"PageCSS,omitempty"`
	CSSVersion       string            `json:"CSSVersion"`
	Image            []byte            `json:"Image,omitempty"`
	ImageExt         string            `json:"ImageExt,omitempty"`
	CreationDate     awsjson.EpochTime `json:"CreationDate"`
	LastModifiedDate awsjson.EpochTime `json:"LastModifiedDate"`
}

func uiCustomizationKey(pool, owner string) string { return "uic/" + pool + "/" + owner }

// imageName is the file name of an image in its URL: a digest of the bytes and the format.
func imageName(b []byte, ext string) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]) + "." + ext
}

// logoPath is the root-relative path the classic logo of u is served at.
func (u *storedUICustomization) logoPath() string {
	if len(u.Image) == 0 {
		return ""
	}
	return "/" + u.UserPoolId + "/ui/logo/" + u.ClientId + "/" + imageName(u.Image, u.ImageExt)
}

func (s *Service) wireUICustomization(u *storedUICustomization) *UICustomization {
	out := &UICustomization{UserPoolId: u.UserPoolId, ClientId: u.ClientId, CSS: u.CSS, CSSVersion: u.CSSVersion}
	if p := u.logoPath(); p != "" {
		out.ImageUrl = s.d.IssuerBase + p
	}
	created, modified := u.CreationDate, u.LastModifiedDate
	out.CreationDate, out.LastModifiedDate = &created, &modified
	return out
}

// uiOwner is the record owner a request names: its client, or ALL.
func uiOwner(clientID string) string {
	if clientID == "" {
		return allClients
	}
	return clientID
}

// checkUILogo accepts a PNG or JPEG of at most maxUILogoBytes and returns its extension.
func checkUILogo(b []byte) (string, error) {
	if len(b) > maxUILogoBytes {
		return "", awsjson.InvalidParameter("The image file is larger than the 100 KB Cognito allows.")
	}
	kind, ok := sniffRaster(b)
	if !ok || (kind != imagePNG && kind != imageJPEG) {
		return "", awsjson.InvalidParameter("The image file must be a PNG or JPEG image.")
	}
	return kind.ext, nil
}

func (s *Service) setUICustomization(ctx context.Context, in *SetUICustomizationInput) (*UICustomizationOutput, error) {
	owner := uiOwner(in.ClientId)
	next := &storedUICustomization{UserPoolId: in.UserPoolId, ClientId: owner}
	if in.CSS != nil {
		page, err := checkUICSS(*in.CSS)
		if err != nil {
			return nil, err
		}
		next.CSS, next.PageCSS = *in.CSS, page
	}
	if len(in.ImageFile) > 0 {
		ext, err := checkUILogo(in.ImageFile)
		if err != nil {
			return nil, err
		}
		next.Image, next.ImageExt = in.ImageFile, ext
	}
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	if p.Domain == "" && p.CustomDomain == "" {
		// [est] Cognito's wording; the rule is the developer guide's.
		return nil, awsjson.InvalidParameter("There has to be an existing domain associated with this user pool.")
	}
	reset := next.CSS == "" && len(next.Image) == 0
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if owner != allClients {
			// Read in the transaction: a client deleted meanwhile fails the commit.
			if _, err := ts.getClient(ctx, p.Id, owner); err != nil {
				return err
			}
		}
		have, err := ts.getUICustomization(ctx, p.Id, owner)
		if err != nil {
			return err
		}
		if reset {
			// Neither CSS nor a logo: the customization is removed (the client falls back to
			// ALL again).
			if have == nil {
				return nil
			}
			return ts.d.Store.Delete(ctx, uiCustomizationKey(p.Id, owner))
		}
		now := awsjson.Epoch(ts.now())
		next.CreationDate, next.LastModifiedDate = now, now
		if have != nil {
			next.CreationDate = have.CreationDate
		}
		next.CSSVersion = ts.now().Format(domainTimeLayout)
		return ts.putJSON(ctx, uiCustomizationKey(p.Id, owner), next)
	})
	if err != nil {
		return nil, err
	}
	if reset {
		return &UICustomizationOutput{UICustomization: &UICustomization{UserPoolId: p.Id, ClientId: owner}}, nil
	}
	return &UICustomizationOutput{UICustomization: s.wireUICustomization(next)}, nil
}

func (s *Service) getUICustomizationAction(ctx context.Context, in *GetUICustomizationInput) (*UICustomizationOutput, error) {
	if _, err := s.getPool(ctx, in.UserPoolId); err != nil {
		return nil, err
	}
	owner := uiOwner(in.ClientId)
	if owner != allClients {
		if _, err := s.getClient(ctx, in.UserPoolId, owner); err != nil {
			return nil, err
		}
	}
	u, err := s.effectiveUICustomization(ctx, in.UserPoolId, owner)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return &UICustomizationOutput{UICustomization: &UICustomization{UserPoolId: in.UserPoolId, ClientId: owner}}, nil
	}
	return &UICustomizationOutput{UICustomization: s.wireUICustomization(u)}, nil
}

// effectiveUICustomization returns the customization that applies to owner: its own, else the
// pool's ALL, else nil.
func (s *Service) effectiveUICustomization(ctx context.Context, pool, owner string) (*storedUICustomization, error) {
	u, err := s.getUICustomization(ctx, pool, owner)
	if err != nil || u != nil || owner == allClients {
		return u, err
	}
	return s.getUICustomization(ctx, pool, allClients)
}

// getUICustomization returns the record of owner, or nil.
func (s *Service) getUICustomization(ctx context.Context, pool, owner string) (*storedUICustomization, error) {
	var u storedUICustomization
	if err := s.getJSON(ctx, uiCustomizationKey(pool, owner), &u); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return &u, nil
}
