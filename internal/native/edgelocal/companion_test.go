package edgelocal

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWithCompanion: the SAML companion joins the session exactly when the main config binds
// it, once, and only once it is built.
func TestWithCompanion(t *testing.T) {
	root := t.TempDir()
	write := func(path, text string) string {
		p := filepath.Join(root, path)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	binds := write("wrangler.toml", "name = \"poolgate\"\n[[services]]\nbinding = \"SAML\"\nservice = \"poolgate-saml\"\n")
	plain := write("other.toml", "name = \"poolgate\"\n")
	companion := filepath.Join(root, SAMLCompanion)

	if _, err := withCompanion(root, binds, nil); err == nil || !strings.Contains(err.Error(), "not built") {
		t.Fatalf("unbuilt companion: %v", err)
	}
	write("edge/saml/build/saml.wasm", "\x00asm")
	aux := []string{"/x/triggers.toml"}
	got, err := withCompanion(root, binds, aux)
	if err != nil || !slices.Equal(got, []string{"/x/triggers.toml", companion}) || len(aux) != 1 {
		t.Fatalf("binding config: %v %v (aux %v)", got, err, aux)
	}
	if got, err := withCompanion(root, binds, []string{companion}); err != nil || len(got) != 1 {
		t.Fatalf("companion given already: %v %v", got, err)
	}
	if got, err := withCompanion(root, plain, aux); err != nil || !slices.Equal(got, aux) {
		t.Fatalf("config without the binding: %v %v", got, err)
	}
}
