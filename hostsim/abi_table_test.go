package hostsim

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/poolgate/poolgate/internal/abi"
)

// TestGuestMatchesABITables compiles each guest and checks its import section against
// abi.Imports and its exports against abi.Exports: //go:wasmimport and //go:wasmexport need
// literal names, so this is where a typo or a changed signature shows up. The test guest calls
// every import; the real module may not (the linker drops imports nothing calls: today no
// service code signs with ECDSA), but what it imports must match the table.
func TestGuestMatchesABITables(t *testing.T) {
	for _, g := range []struct {
		name       string
		build      *guestBuild
		importsAll bool
	}{{"testguest", testGuest, true}, {"poolgate", realGuest, false}} {
		t.Run(g.name, func(t *testing.T) {
			c := compile(t, g.build.bytes(t))
			want := map[string]abi.Func{}
			for _, f := range abi.Imports {
				want[f.Name] = f
			}
			got := map[string]bool{}
			for _, def := range c.ImportedFunctions() {
				mod, name, _ := def.Import()
				switch mod {
				case abi.WASIModule:
					continue
				case abi.ImportModule:
				default:
					t.Errorf("imports %s.%s: only %s and %s are provided", mod, name, abi.ImportModule, abi.WASIModule)
					continue
				}
				f, ok := want[name]
				if !ok {
					t.Errorf("imports %s.%s, which abi.Imports does not list", mod, name)
					continue
				}
				if got[name] {
					t.Errorf("imports %s.%s twice", mod, name)
				}
				got[name] = true
				if !sameTypes(def.ParamTypes(), f.Params) || !sameTypes(def.ResultTypes(), f.Results) {
					t.Errorf("%s: guest signature %s -> %s, abi table %v -> %v", name,
						typeNames(def.ParamTypes()), typeNames(def.ResultTypes()), f.Params, f.Results)
				}
			}
			for name := range want {
				if !got[name] && g.importsAll {
					t.Errorf("guest does not import %s.%s", abi.ImportModule, name)
				}
			}

			if err := checkModule(c); err != nil {
				t.Error(err)
			}
			var extra []string
			for name := range c.ExportedFunctions() {
				if !slices.ContainsFunc(abi.Exports, func(f abi.Func) bool { return f.Name == name }) {
					extra = append(extra, name)
				}
			}
			if len(extra) > 0 {
				t.Errorf("guest exports functions abi.Exports does not list: %v", extra)
			}
		})
	}
}

func TestCheckModuleRejectsOtherModules(t *testing.T) {
	empty := []byte("\x00asm\x01\x00\x00\x00")
	if err := checkModule(compile(t, empty)); err == nil {
		t.Fatal("checkModule accepted an empty module")
	}
	_, err := Start(context.Background(), Options{ModuleBytes: empty, NoListen: true, Logf: newTestLogger(t)})
	if err == nil {
		t.Fatal("Start accepted a module without poolgate exports")
	}
	t.Log(err)
}

func compile(t *testing.T, wasm []byte) wazero.CompiledModule {
	t.Helper()
	ctx := context.Background()
	cache, err := wazero.NewCompilationCacheWithDir(filepath.Join(testDir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
	t.Cleanup(func() { rt.Close(ctx); cache.Close(ctx) })
	c, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func typeNames(ts []api.ValueType) []string {
	out := make([]string, len(ts))
	for i, v := range ts {
		out[i] = api.ValueTypeName(v)
	}
	return out
}
