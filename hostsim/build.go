package hostsim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// ModulePackage is the import path of poolgate's real guest module.
const ModulePackage = "github.com/poolgate/poolgate/wasm"

// BuildModule compiles a guest package (pkg; "" is ModulePackage) into a wasip1 reactor
// module at out with the go command on PATH, as `make build` does. Tests in other modules that
// require poolgate can build the module this way in their TestMain.
func BuildModule(ctx context.Context, pkg, out string) error {
	if pkg == "" {
		pkg = ModulePackage
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-buildmode=c-shared", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("hostsim: go build %s: %w\n%s", pkg, err, output)
	}
	return nil
}
