package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// maxEchoedMessage bounds what an error may echo of its input, in the body's message and in
// x-amzn-ErrorMessage (issue 13: internal/bound.MessageBytes is under it).
const maxEchoedMessage = 1 << 10

// maxLogPerHugeInput bounds what the server may log for one request with a huge member (a
// few clipped lines: internal/bound.LogBytes is 4 KiB).
const maxLogPerHugeInput = 16 << 10

// scnHugeInputs: a 300,000-character value in a string member of a sample of actions (both
// APIs, public and signed, ASCII and multibyte) is a 4xx whose error message and headers stay
// small, the server logs little about it, and it serves the next call. (Before, the Worker
// failed on the header size, hostsim sent headers of about 1 MiB and logged every huge value
// twice.)
func scnHugeInputs(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	huge := strings.Repeat("a", 300_000)
	hugeMultibyte := strings.Repeat("é", 300_000) // 600,000 bytes
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		ok(t, err)
		return b
	}
	cases := []struct {
		name string
		send func() rawResponse
	}{
		{"GetId IdentityPoolId", func() rawResponse {
			return rawIdentityCall(t, ep, "GetId", string(js(map[string]any{"IdentityPoolId": huge})))
		}},
		{"InitiateAuth ClientId", func() rawResponse {
			return rawCall(t, ep, "InitiateAuth", js(map[string]any{"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": huge,
				"AuthParameters": map[string]string{"USERNAME": "someone", "PASSWORD": "Passw0rd-x"}}))
		}},
		{"AdminGetUser UserPoolId", func() rawResponse {
			return doRaw(t, signedRaw(t, ep, "AdminGetUser", js(map[string]any{"UserPoolId": huge, "Username": "someone"}),
				ep.AdminKeyID, ep.AdminKey, ep.Now()))
		}},
		{"SignUp Username", func() rawResponse {
			return rawCall(t, ep, "SignUp", js(map[string]any{"ClientId": f.client, "Username": hugeMultibyte, "Password": "Passw0rd-x"}))
		}},
		{"AdminGetUser Username", func() rawResponse {
			return doRaw(t, signedRaw(t, ep, "AdminGetUser", js(map[string]any{"UserPoolId": f.pool, "Username": huge}),
				ep.AdminKeyID, ep.AdminKey, ep.Now()))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			logged := 0
			if ep.LogBytes != nil {
				logged = ep.LogBytes()
			}
			r := c.send()
			if r.Status < 400 || r.Status > 499 {
				t.Fatalf("status %d, want 4xx; body %.300s", r.Status, r.Body)
			}
			var body struct {
				Type    string `json:"__type"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil || body.Type == "" {
				t.Fatalf("error body %.300s: %v", r.Body, err)
			}
			header := r.Header.Get("X-Amzn-Errormessage")
			if len(body.Message) >= maxEchoedMessage || len(header) >= maxEchoedMessage || len(r.Body) >= 2*maxEchoedMessage {
				t.Fatalf("%s: message of %d bytes, header of %d, body of %d", body.Type, len(body.Message), len(header), len(r.Body))
			}
			size := 0
			for name, values := range r.Header {
				for _, v := range values {
					size += len(name) + len(v) + 4
				}
			}
			if size >= 4*maxEchoedMessage {
				t.Fatalf("response headers of %d bytes", size)
			}
			// The server is still there and serving.
			call(ep.Admin().DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(f.pool)})).must(t)
			if ep.LogBytes != nil {
				if n := ep.LogBytes() - logged; n > maxLogPerHugeInput {
					t.Fatalf("the server logged %d bytes for one request", n)
				}
			}
		})
	}
}
