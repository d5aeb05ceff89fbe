// Package node runs the Node scripts of this directory that need no server: the Worker glue's
// JavaScript copies of Go decisions, checked against the vectors the Go side runs too.
package node

import (
	"os/exec"
	"testing"
)

// TestGlueVectors runs glue.test.mjs under node --test: edge/envelope.mjs and edge/reuse.mjs
// against internal/awsjson/testdata/envelope.json and internal/handoff/testdata/reuse.json.
func TestGlueVectors(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (Node 20+ is needed for tests/node): %v", err)
	}
	out, err := exec.Command(node, "--test", "--test-reporter=tap", "glue.test.mjs").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test glue.test.mjs: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
