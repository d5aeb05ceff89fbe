package hostsim

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strings"
)

// assets serves the static files of Options.AssetsDir (the sign-in app: build/web) for GET and
// HEAD requests whose path names a regular file there ("/" is index.html). Everything else —
// the JSON API (POST with X-Amz-Target), JWKS, discovery, /poolgate-app.json, and any path with
// no such file — goes to the guest.
type assets struct{ fsys fs.FS }

func newAssets(dir string) *assets {
	if dir == "" {
		return nil
	}
	return &assets{fsys: os.DirFS(dir)}
}

// serve writes the file r names and reports whether it did.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) bool {
	if a == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	if !fs.ValidPath(name) {
		return false
	}
	info, err := fs.Stat(a.fsys, name)
	if err != nil || !info.Mode().IsRegular() {
		return false
	}
	h := w.Header()
	// A local development server: always revalidate, so a rebuilt app is picked up at once.
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if name == "index.html" {
		// The app loads only its own files and talks to its own API (and, for the CORS check,
		// to other origins with fetch); WebAssembly needs wasm-unsafe-eval.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src *; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		// http.ServeFileFS would redirect /index.html to ./; serve "/" and "/index.html" alike.
		f, err := a.fsys.Open(name)
		if err != nil {
			return false
		}
		defer f.Close()
		rs, ok := f.(io.ReadSeeker)
		if !ok {
			return false
		}
		http.ServeContent(w, r, name, info.ModTime(), rs)
		return true
	}
	http.ServeFileFS(w, r, a.fsys, name)
	return true
}
