package hostsim

import _ "embed"

// DefaultConfig is the configuration `poolgate` applies when given none: one user pool
// (us-east-1_Poolgate1), one public app client with a fixed ID, and one group.
//
//go:embed default-config.json
var DefaultConfig []byte
