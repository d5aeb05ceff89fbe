//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall/js"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/hostcrypto"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/service"
	"github.com/poolgate/poolgate/internal/store/memstore"
	"github.com/poolgate/poolgate/web/internal/sdk"
)

// These tests run under Node (go_js_wasm_exec): the page's fetch is replaced by a function that
// hands each request to the real server (internal/service) in-process, so the JS API, the
// promise plumbing, the fetch transport, Web-Storage adapter and BigInt ModExp adapter are
// exercised together.

const (
	testPool   = "us-east-1_BindTest1"
	testClient = "bindtestclient00000000001"
)

const testConfig = `{"UserPools": [{
  "Id": "us-east-1_BindTest1", "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
  "Clients": [{"ClientId": "bindtestclient00000000001", "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "EnableTokenRevocation": true}]
}]}`

// devicesConfig is testConfig with remembered devices that wait for the user's prompt.
var devicesConfig = strings.Replace(testConfig, `"AutoVerifiedAttributes": ["email"],`,
	`"AutoVerifiedAttributes": ["email"], "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": true, "DeviceOnlyRememberedOnUserPrompt": true},`, 1)

// newServer serves testConfig, or config[0].
func newServer(t *testing.T, config ...string) (*service.Service, *message.Recorder, *[]string) {
	t.Helper()
	cfgText := testConfig
	if len(config) > 0 {
		cfgText = config[0]
	}
	outbox := &message.Recorder{}
	svc, err := service.New(service.Config{
		IssuerBase: "http://127.0.0.1:8787", AdminAccessKeyID: "AKID", AdminSecretAccessKey: "secret",
		MasterKey: bytes.Repeat([]byte{3}, 32), Store: memstore.New(time.Now), Sender: outbox,
		Crypto: hostcrypto.Pure{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.ApplyConfig(context.Background(), []byte(cfgText)); err != nil {
		t.Fatal(err)
	}
	var seen []string
	// globalThis.fetch(url, init) → Promise<Response>, answered by svc.
	fetch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		init := args[1]
		headers := init.Get("headers")
		r := httptest.NewRequest(init.Get("method").String(), args[0].String(), strings.NewReader(init.Get("body").String()))
		r.Header.Set("Content-Type", headers.Get("Content-Type").String())
		r.Header.Set("X-Amz-Target", headers.Get("X-Amz-Target").String())
		seen = append(seen, args[0].String()+" "+headers.Get("X-Amz-Target").String()+" credentials="+init.Get("credentials").String())
		w := httptest.NewRecorder()
		svc.ServeHTTP(w, r)
		h := map[string]any{}
		for k := range w.Header() {
			h[k] = w.Header().Get(k)
		}
		resp := js.Global().Get("Response").New(w.Body.String(), map[string]any{"status": w.Code, "headers": h})
		return js.Global().Get("Promise").Call("resolve", resp)
	})
	prev := js.Global().Get("fetch")
	js.Global().Set("fetch", fetch)
	t.Cleanup(func() {
		js.Global().Set("fetch", prev)
		fetch.Release()
	})
	return svc, outbox, &seen
}

// jsMemoryStorage is a Storage-like JS object over a Map.
func jsMemoryStorage() js.Value {
	m := js.Global().Get("Map").New()
	obj := js.Global().Get("Object").New()
	obj.Set("getItem", js.FuncOf(func(_ js.Value, a []js.Value) any {
		if !m.Call("has", a[0]).Bool() {
			return nil
		}
		return m.Call("get", a[0])
	}))
	obj.Set("setItem", js.FuncOf(func(_ js.Value, a []js.Value) any { m.Call("set", a[0], a[1].String()); return nil }))
	obj.Set("removeItem", js.FuncOf(func(_ js.Value, a []js.Value) any { m.Call("delete", a[0]); return nil }))
	obj.Set("size", js.FuncOf(func(js.Value, []js.Value) any { return m.Get("size") }))
	return obj
}

// jsModExp is a plain square-and-multiply BigInt modexp, standing in for poolgate.js's.
var jsModExp = js.Global().Get("Function").New("b", "e", "m", `
	const M = BigInt("0x" + m); let B = BigInt("0x" + b) % M; let E = BigInt("0x" + e); let r = 1n % M;
	while (E > 0n) { if (E & 1n) r = r * B % M; B = B * B % M; E >>= 1n; }
	return r.toString(16);`)

func newJSClient(t *testing.T, storage js.Value, crypto string) js.Value {
	t.Helper()
	cfg := js.ValueOf(map[string]any{"endpoint": "http://127.0.0.1:8787/", "userPoolId": testPool, "clientId": testClient, "crypto": crypto})
	return create(js.Undefined(), []js.Value{cfg, storage, jsModExp}).(js.Value)
}

func call(t *testing.T, c js.Value, method string, args ...any) (js.Value, js.Value) {
	t.Helper()
	p := c.Call(method, args...)
	if p.Get("then").Type() != js.TypeFunction {
		t.Fatalf("%s did not return a promise", method)
	}
	ch := make(chan [2]js.Value, 1)
	ok := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- [2]js.Value{arg0(a), js.Undefined()}; return nil })
	fail := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- [2]js.Value{js.Undefined(), arg0(a)}; return nil })
	defer ok.Release()
	defer fail.Release()
	p.Call("then", ok, fail)
	r := <-ch
	return r[0], r[1]
}

func mustCall(t *testing.T, c js.Value, method string, args ...any) js.Value {
	t.Helper()
	v, err := call(t, c, method, args...)
	if !err.IsUndefined() {
		t.Fatalf("rejected: %s: %s", err.Get("name"), err.Get("message"))
	}
	return v
}

func TestJSAPIEndToEnd(t *testing.T) {
	for _, crypto := range []string{"bigint", "go"} {
		t.Run(crypto, func(t *testing.T) {
			_, outbox, seen := newServer(t)
			storage := jsMemoryStorage()
			c := newJSClient(t, storage, crypto)
			email := "node-" + crypto + "@example.com"

			res := mustCall(t, c, "signUp", email, "Passw0rd!Passw0rd", map[string]any{"email": email})
			if res.Get("userConfirmed").Bool() || res.Get("codeDelivery").Get("deliveryMedium").String() != "EMAIL" {
				t.Fatalf("signUp → %v", js.Global().Get("JSON").Call("stringify", res))
			}
			m, _ := outbox.Last(res.Get("userSub").String(), message.KindSignUp)
			mustCall(t, c, "confirmSignUp", email, m.Code)

			_, err := call(t, c, "signIn", email, "WrongPassw0rd")
			if err.Get("name").String() != "NotAuthorizedException" || err.Get("code").String() != "NotAuthorizedException" ||
				err.Get("message").String() != "Incorrect username or password." || err.Get("status").Int() != 400 ||
				!err.InstanceOf(js.Global().Get("Error")) {
				t.Fatalf("wrong password rejected with %s / %s", err.Get("name"), err.Get("message"))
			}

			out := mustCall(t, c, "signIn", email, "Passw0rd!Passw0rd")
			s := out.Get("session")
			if s.Get("idTokenClaims").Get("email").String() != email || s.Get("expiresAt").Float() <= float64(time.Now().UnixMilli()) ||
				s.Get("groups").Length() != 0 {
				t.Fatalf("session %v", js.Global().Get("JSON").Call("stringify", s))
			}
			if storage.Call("size").Int() != 1 {
				t.Fatalf("storage holds %d items", storage.Call("size").Int())
			}
			cur := mustCall(t, c, "currentSession", map[string]any{"forceRefresh": true})
			if cur.Get("accessToken").String() == "" || cur.Get("refreshToken").String() != s.Get("refreshToken").String() {
				t.Fatal("forced refresh lost the tokens")
			}
			u := mustCall(t, c, "getUser")
			if u.Get("attributes").Get("email").String() != email {
				t.Fatalf("getUser %v", js.Global().Get("JSON").Call("stringify", u))
			}
			mustCall(t, c, "signOut", map[string]any{"global": false})
			if storage.Call("size").Int() != 0 {
				t.Fatal("sign-out left the session in storage")
			}
			_, err = call(t, c, "currentSession")
			if err.Get("name").String() != sdk.CodeUnauthenticated {
				t.Fatalf("after sign-out: %s", err.Get("name"))
			}
			for _, line := range *seen {
				if !strings.HasSuffix(line, "credentials=omit") || !strings.HasPrefix(line, "http://127.0.0.1:8787/ AWSCognitoIdentityProviderService.") {
					t.Fatalf("request %q", line)
				}
			}
		})
	}
}

// TestJSDevices: the device calls through the JS API, with the devices in their own storage
// (create's fourth argument) and named by config.deviceName.
func TestJSDevices(t *testing.T) {
	_, outbox, _ := newServer(t, devicesConfig)
	storage, devices := jsMemoryStorage(), jsMemoryStorage()
	cfg := js.ValueOf(map[string]any{"endpoint": "http://127.0.0.1:8787/", "userPoolId": testPool, "clientId": testClient, "deviceName": "Node test"})
	c := create(js.Undefined(), []js.Value{cfg, storage, jsModExp, devices}).(js.Value)
	const email = "devices@example.com"
	res := mustCall(t, c, "signUp", email, "Passw0rd!Passw0rd", map[string]any{"email": email})
	m, _ := outbox.Last(res.Get("userSub").String(), message.KindSignUp)
	mustCall(t, c, "confirmSignUp", email, m.Code)
	mustCall(t, c, "signIn", email, "Passw0rd!Passw0rd")
	if storage.Call("size").Int() != 1 || devices.Call("size").Int() != 1 {
		t.Fatalf("session storage %d items, device storage %d", storage.Call("size").Int(), devices.Call("size").Int())
	}
	list := mustCall(t, c, "fetchDevices")
	d := list.Index(0)
	if list.Length() != 1 || d.Get("name").String() != "Node test" || !d.Get("current").Bool() || d.Get("remembered").Bool() ||
		d.Get("attributes").Get("dev:device_remembered_status").String() != "not_remembered" ||
		d.Get("createDate").Float() <= 0 || !d.Get("lastAuthenticatedDate").IsNull() {
		t.Fatalf("fetchDevices → %v", js.Global().Get("JSON").Call("stringify", list))
	}
	mustCall(t, c, "rememberDevice")
	if list := mustCall(t, c, "fetchDevices"); !list.Index(0).Get("remembered").Bool() {
		t.Fatalf("after rememberDevice: %v", js.Global().Get("JSON").Call("stringify", list))
	}
	mustCall(t, c, "forgetDevice", "")
	if devices.Call("size").Int() != 0 || mustCall(t, c, "fetchDevices").Length() != 0 {
		t.Fatal("forgetDevice left the device")
	}
	if _, err := call(t, c, "rememberDevice"); err.Get("name").String() != sdk.CodeNoDevice {
		t.Fatalf("rememberDevice without a device: %s", err.Get("name"))
	}
}

func TestCreateRejectsABadConfig(t *testing.T) {
	for _, cfg := range []map[string]any{
		{"userPoolId": testPool, "clientId": testClient},                        // no endpoint
		{"endpoint": "http://x/", "userPoolId": "nope", "clientId": testClient}, // bad pool id
		{"endpoint": "http://x/", "userPoolId": testPool},                       // no client
	} {
		v, ok := create(js.Undefined(), []js.Value{js.ValueOf(cfg)}).(js.Value)
		if !ok || !v.InstanceOf(js.Global().Get("Error")) || v.Get("name").String() != sdk.CodeInvalidParam {
			t.Errorf("create(%v) answered %v, want an InvalidParameterException Error", cfg, v)
		}
	}
}

func TestBigIntCrypto(t *testing.T) {
	c := bigIntCrypto{modexp: jsModExp}
	for _, tc := range []struct{ base, exp, mod, want []byte }{
		{[]byte{2}, []byte{10}, []byte{0x03, 0xe9}, []byte{0x00, 0x17}[1:]}, // 2^10 mod 1001 = 23
		{[]byte{0, 0, 5}, []byte{0}, []byte{7}, []byte{1}},                  // leading zeros, exp 0
		{[]byte{7}, []byte{1}, []byte{7}, []byte{}},                         // result zero: empty
		{nil, []byte{3}, []byte{9}, []byte{}},                               // empty base is zero
	} {
		got, err := c.ModExp(tc.base, tc.exp, tc.mod)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("ModExp(%x, %x, %x) = %x, %v; want %x", tc.base, tc.exp, tc.mod, got, err, tc.want)
		}
		ref, _ := sdk.BigMath{}.ModExp(tc.base, tc.exp, tc.mod)
		if !bytes.Equal(got, ref) {
			t.Errorf("BigInt %x and math/big %x differ", got, ref)
		}
	}
	for _, bad := range [][3][]byte{
		{{2}, {2}, {8}},                // even modulus
		{{2}, {2}, nil},                // no modulus
		{make([]byte, 1025), {2}, {7}}, // oversized operand
	} {
		if _, err := c.ModExp(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("ModExp(%d-byte base, %x, %x) succeeded", len(bad[0]), bad[1], bad[2])
		}
	}
}

func TestWebStorageReportsQuotaErrors(t *testing.T) {
	obj := jsMemoryStorage()
	obj.Set("setItem", js.Global().Get("Function").New("k", "v", `throw new DOMException("The quota has been exceeded.", "QuotaExceededError")`))
	s := webStorage{obj}
	if err := s.Set("k", "v"); err == nil || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("Set: %v", err)
	}
	if _, ok := s.Get("missing"); ok {
		t.Fatal("Get of a missing key succeeded")
	}
}

// TestFetchTransportReadsErrors checks the transport against a fetch answering 400 with the
// error type only in the header, as a proxy might.
func TestFetchTransportReadsErrors(t *testing.T) {
	fetch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		resp := js.Global().Get("Response").New("", map[string]any{"status": http.StatusBadRequest,
			"headers": map[string]any{"x-amzn-ErrorType": "LimitExceededException:"}})
		return js.Global().Get("Promise").Call("resolve", resp)
	})
	prev := js.Global().Get("fetch")
	js.Global().Set("fetch", fetch)
	defer func() { js.Global().Set("fetch", prev); fetch.Release() }()
	resp, err := fetchTransport{userPoolEndpoint: "http://x/"}.Call(context.Background(), "AWSCognitoIdentityProviderService.SignUp", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if e := sdk.ParseError(resp); e.Code != "LimitExceededException" || e.Status != 400 {
		t.Fatalf("%+v", e)
	}
	rejecting := js.FuncOf(func(js.Value, []js.Value) any {
		return js.Global().Get("Promise").Call("reject", js.Global().Get("TypeError").New("Failed to fetch"))
	})
	js.Global().Set("fetch", rejecting)
	defer rejecting.Release()
	if _, err := (fetchTransport{userPoolEndpoint: "http://x/"}).Call(context.Background(), "X.Y", nil); err == nil || !strings.Contains(err.Error(), "Failed to fetch") {
		t.Fatalf("network failure: %v", err)
	}
}

// TestQRCodeAndSetupURI: the page-level helpers answer values, never a Go panic (which would
// end the Go program and the page's SDK with it): a bad text is an Error object.
func TestQRCodeAndSetupURI(t *testing.T) {
	uri := setupURI(js.Undefined(), []js.Value{js.ValueOf("JBSWY3DPEHPK3PXP"), js.ValueOf("Acme staff"), js.ValueOf("ada@example.com")})
	if got := uri.(string); got != "otpauth://totp/Acme%20staff:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20staff" {
		t.Fatalf("setupURI %q", got)
	}
	svg, ok := qrCodeSVG(js.Undefined(), []js.Value{js.ValueOf(uri)}).(string)
	if !ok || !strings.HasPrefix(svg, "<svg") {
		t.Fatalf("qrCodeSVG: %v", svg)
	}
	for _, bad := range []js.Value{js.ValueOf(""), js.ValueOf(strings.Repeat("x", 2000)), js.Undefined()} {
		v, ok := qrCodeSVG(js.Undefined(), []js.Value{bad}).(js.Value)
		if !ok || v.Get("name").String() != sdk.CodeInvalidParam {
			t.Fatalf("qrCodeSVG(%v): %v", bad, v)
		}
	}
}
