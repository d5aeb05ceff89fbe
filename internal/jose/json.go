package jose

import "github.com/poolgate/poolgate/internal/jsonread"

// decodeObject decodes exactly one JSON object, numbers as json.Number, refusing duplicate
// member names at its top level (encoding/json keeps the last of them, another reader may
// keep the first: a token must read the same to everyone) and anything after the object.
// It reads without reflection (internal/jsonread), for the guests: every request with a token
// decodes its header and claims; FuzzDecodeObject holds it to encoding/json.
func decodeObject(b []byte) (map[string]any, error) { return jsonread.UniqueObject(b) }
