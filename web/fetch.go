//go:build js && wasm

package main

import (
	"context"
	"syscall/js"

	"github.com/poolgate/poolgate/web/internal/sdk"
)

// fetchTransport sends calls with the page's fetch. No cookies are sent or accepted
// (credentials: "omit"): Cognito clients carry their tokens in the body.
type fetchTransport struct {
	userPoolEndpoint, identityEndpoint string
}

func (t fetchTransport) Call(ctx context.Context, target string, body []byte) (*sdk.Response, error) {
	endpoint := t.userPoolEndpoint
	if len(target) > len("AWSCognitoIdentityService.") && target[:len("AWSCognitoIdentityService.")] == "AWSCognitoIdentityService." {
		endpoint = t.identityEndpoint
	}
	abort := js.Global().Get("AbortController").New()
	stop := context.AfterFunc(ctx, func() { abort.Call("abort") })
	defer stop()
	resp, err := await(ctx, js.Global().Call("fetch", endpoint, js.ValueOf(map[string]any{
		"method": "POST",
		"headers": map[string]any{
			"Content-Type": "application/x-amz-json-1.1",
			"X-Amz-Target": target,
		},
		"body":        string(body),
		"credentials": "omit",
		"cache":       "no-store",
		"signal":      abort.Get("signal"),
	})))
	if err != nil {
		return nil, err
	}
	text, err := await(ctx, resp.Call("text"))
	if err != nil {
		return nil, err
	}
	errType := resp.Get("headers").Call("get", "x-amzn-ErrorType")
	out := &sdk.Response{Status: resp.Get("status").Int(), Body: []byte(text.String())}
	if errType.Type() == js.TypeString {
		out.ErrorType = errType.String()
	}
	return out, nil
}
