package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

// envInfo is the machine and the versions of everything measured, as written in the report.
type envInfo struct {
	CPU         string `json:"cpu"`
	Cores       int    `json:"cores"`
	MemoryGiB   string `json:"memory_gib"`
	Kernel      string `json:"kernel"`
	Go          string `json:"go"`
	Poolgate    string `json:"poolgate"`
	Wazero      string `json:"wazero"`
	SDK         string `json:"aws_sdk_go_v2"`
	SDKCognito  string `json:"cognitoidentityprovider"`
	SDKIdentity string `json:"cognitoidentity,omitempty"`
	Wrangler    string `json:"wrangler,omitempty"`
	Workerd     string `json:"workerd,omitempty"`
	JWTVerify   string `json:"aws_jwt_verify,omitempty"`
	Node        string `json:"node,omitempty"`
	CognitoLoc  string `json:"cognito_local,omitempty"`
	Moto        string `json:"moto,omitempty"`
	Python      string `json:"python,omitempty"`
	LoadAtStart string `json:"loadavg_start"`
	LoadAtEnd   string `json:"loadavg_end"`
}

func readEnv(t tools, systems []*system) envInfo {
	e := envInfo{CPU: cpuModel(), Cores: runtime.NumCPU(), MemoryGiB: memTotalGiB(), Go: runtime.Version(),
		Kernel: firstLine(readFile("/proc/sys/kernel/osrelease")), Poolgate: gitVersion(), LoadAtStart: loadAvg()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/tetratelabs/wazero":
				e.Wazero = d.Version
			case "github.com/aws/aws-sdk-go-v2":
				e.SDK = d.Version
			case "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider":
				e.SDKCognito = d.Version
			case "github.com/aws/aws-sdk-go-v2/service/cognitoidentity":
				e.SDKIdentity = d.Version
			}
		}
	}
	for _, s := range systems {
		switch s.kind {
		case kindCognitoLocal:
			e.Node = command(t.node, "--version")
			e.CognitoLoc = packageVersion(t.cognitoLocal)
		case kindWorkerd:
			e.Node = command("node", "--version")
			modules := filepath.Join(t.root, "node_modules")
			e.Wrangler, e.Workerd = packageVersion(filepath.Join(modules, "wrangler")), packageVersion(filepath.Join(modules, "workerd"))
			e.JWTVerify = packageVersion(filepath.Join(modules, "aws-jwt-verify"))
		case kindMoto:
			v := strings.Fields(command(t.python, "-c", "import moto, sys; print(moto.__version__, sys.version.split()[0])"))
			if len(v) == 2 {
				e.Moto, e.Python = v[0], v[1]
			}
		}
	}
	return e
}

// packageVersion is the version in an npm package directory's package.json ("" if none).
func packageVersion(dir string) string {
	var pkg struct{ Version string }
	if json.Unmarshal([]byte(readFile(filepath.Join(dir, "package.json"))), &pkg) != nil {
		return ""
	}
	return pkg.Version
}

func readFile(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	return string(b)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}

// command runs a version query; "unknown" when it fails.
func command(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	for _, line := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotalGiB() string {
	for _, line := range strings.Split(readFile("/proc/meminfo"), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == "MemTotal" {
			f := strings.Fields(v)
			if len(f) > 0 {
				kib, err := strconv.ParseFloat(f[0], 64)
				if err == nil {
					return fmt.Sprintf("%.1f", kib/(1<<20))
				}
			}
		}
	}
	return "unknown"
}

// loadAvg is the 1-minute load average: other work on the machine during the run.
func loadAvg() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}

// gitVersion is the commit loadgen runs in, "+ uncommitted changes" when the tree differs.
func gitVersion() string {
	rev := command("git", "rev-parse", "--short", "HEAD")
	if rev == "unknown" {
		return rev
	}
	if command("git", "status", "--porcelain", "--untracked-files=no") != "" {
		rev += " + uncommitted changes"
	}
	return rev
}
