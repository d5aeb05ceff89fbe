package userpool

import (
	"bytes"
	"context"
	"errors"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/store"
)

// Branding images are served from poolgate's own origin, so what a file claims to be is
// checked against its first bytes: a page's <img> then never loads HTML or script under an
// image's name, and the Content-Type poolgate sends is the one the bytes prove.

// imageKind is a checked image format.
type imageKind struct {
	ext         string // file extension in URLs ("png")
	contentType string
}

var (
	imagePNG  = imageKind{"png", "image/png"}
	imageJPEG = imageKind{"jpeg", "image/jpeg"}
	imageWEBP = imageKind{"webp", "image/webp"}
	imageICO  = imageKind{"ico", "image/x-icon"}
)

// sniffRaster returns the raster format b starts with: PNG, JPEG, WebP or ICO.
func sniffRaster(b []byte) (imageKind, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return imagePNG, true
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return imageJPEG, true
	case len(b) >= 12 && bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WEBP":
		return imageWEBP, true
	case bytes.HasPrefix(b, []byte("\x00\x00\x01\x00")) && len(b) > 6:
		return imageICO, true
	}
	return imageKind{}, false
}

// looksLikeSVG reports whether b is UTF-8 text holding an <svg element. SVG assets are kept
// and returned by the API but never served or shown by poolgate's pages.
func looksLikeSVG(b []byte) bool {
	return utf8.Valid(b) && bytes.Contains(b, []byte("<svg"))
}

// imageKindByExt returns the raster format a URL extension names.
func imageKindByExt(ext string) (imageKind, bool) {
	for _, k := range []imageKind{imagePNG, imageJPEG, imageWEBP, imageICO} {
		if k.ext == ext {
			return k, true
		}
	}
	return imageKind{}, false
}

// BrandingImage is an image poolgate serves for the hosted pages.
type BrandingImage struct {
	ContentType string
	Bytes       []byte
}

// ClassicLogo returns the logo of the classic customization of owner (a client id or ALL) in
// pool, if file is its current name (imageName); otherwise store.ErrNotFound. A stale name
// is not found rather than answered with the new bytes, so a cached URL never changes content.
func (s *Service) ClassicLogo(ctx context.Context, pool, owner, file string) (*BrandingImage, error) {
	if !safeSegment(pool) || !safeSegment(owner) {
		return nil, store.ErrNotFound
	}
	u, err := s.getUICustomization(ctx, pool, owner)
	if err != nil {
		return nil, err
	}
	if u == nil || len(u.Image) == 0 || imageName(u.Image, u.ImageExt) != file {
		return nil, store.ErrNotFound
	}
	kind, _ := imageKindByExt(u.ImageExt)
	return &BrandingImage{ContentType: kind.contentType, Bytes: u.Image}, nil
}

// BrandingAssetImage returns the raster asset of managed login style id in pool whose name is
// file; otherwise store.ErrNotFound. SVG assets are never served (see ui_image.go's top).
func (s *Service) BrandingAssetImage(ctx context.Context, pool, id, file string) (*BrandingImage, error) {
	if !safeSegment(pool) || !safeSegment(id) {
		return nil, store.ErrNotFound
	}
	b, err := s.getBranding(ctx, pool, id)
	if errors.Is(err, awsjson.ErrResourceNotFound) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	for _, a := range b.Assets {
		if kind, ok := sniffRaster(a.Bytes); ok && imageName(a.Bytes, kind.ext) == file {
			return &BrandingImage{ContentType: kind.contentType, Bytes: a.Bytes}, nil
		}
	}
	return nil, store.ErrNotFound
}

// safeSegment reports whether a path segment can be part of a store key: ids and client ids
// are short runs of [\w+-], so anything else (long, slashes, invalid UTF-8) names nothing.
func safeSegment(v string) bool {
	if v == "" || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '+') {
			return false
		}
	}
	return true
}
