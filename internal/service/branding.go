package service

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/userpool"
)

// Branding images (the classic logo at a UICustomization's ImageUrl, a managed login style's
// logo for the pages) are served from poolgate's own origin, on every host. Their names hold
// a digest of their bytes, so they are cached for good; the type is the one userpool proved
// from the bytes, and nosniff keeps a browser from guessing another.

func (s *Service) routeBranding(mux *http.ServeMux) {
	mux.HandleFunc("GET /{pool}/ui/logo/{owner}/{file}", s.serveBrandingImage(s.userPools.ClassicLogo))
	mux.HandleFunc("GET /{pool}/ui/assets/{owner}/{file}", s.serveBrandingImage(s.userPools.BrandingAssetImage))
}

func (s *Service) serveBrandingImage(find func(ctx context.Context, pool, owner, file string) (*userpool.BrandingImage, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		img, err := find(r.Context(), r.PathValue("pool"), r.PathValue("owner"), r.PathValue("file"))
		switch {
		case errors.Is(err, store.ErrNotFound):
			http.Error(w, "Not found.", http.StatusNotFound)
			return
		case err != nil:
			s.cfg.Logf("service: branding image %s: %v", r.URL.Path, err)
			http.Error(w, "Internal error.", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", img.ContentType)
		h.Set("Content-Length", strconv.Itoa(len(img.Bytes)))
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		w.Write(img.Bytes)
	}
}
