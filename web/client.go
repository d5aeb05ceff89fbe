//go:build js && wasm

package main

import (
	"context"
	"errors"
	"syscall/js"
	"time"

	"github.com/poolgate/poolgate/web/internal/sdk"
)

// create(config, storage, modexp, deviceStorage) builds a client. config: {userPoolId,
// clientId, identityPoolId?, endpoint, identityEndpoint?, refreshMarginSeconds?,
// crypto?: "bigint"|"go", deviceName?}; storage and deviceStorage (remembered devices;
// default storage): objects with getItem/setItem/removeItem; modexp: the BigInt
// exponentiation (used unless crypto is "go"). A bad config answers an InvalidParameterException Error object,
// which poolgate.js throws: a Go panic here would end the Go program, and the page's SDK.
func create(_ js.Value, args []js.Value) any {
	cfg := arg0(args)
	endpoint := str(cfg, "endpoint")
	if endpoint == "" {
		return jsError(&sdk.Error{Code: sdk.CodeInvalidParam, Message: "endpoint is required"})
	}
	identityEndpoint := str(cfg, "identityEndpoint")
	if identityEndpoint == "" {
		identityEndpoint = endpoint
	}
	var crypto sdk.ModExper = sdk.BigMath{}
	if len(args) > 2 && args[2].Type() == js.TypeFunction && str(cfg, "crypto") != "go" {
		crypto = bigIntCrypto{modexp: args[2]}
	}
	var storage sdk.Storage
	if len(args) > 1 && args[1].Type() == js.TypeObject {
		storage = webStorage{args[1]}
	}
	var deviceStorage sdk.Storage
	if len(args) > 3 && args[3].Type() == js.TypeObject {
		deviceStorage = webStorage{args[3]}
	}
	margin := time.Duration(0)
	if m := cfg.Get("refreshMarginSeconds"); m.Type() == js.TypeNumber {
		margin = time.Duration(m.Float() * float64(time.Second))
	}
	c, err := sdk.New(sdk.Config{
		UserPoolID:     str(cfg, "userPoolId"),
		ClientID:       str(cfg, "clientId"),
		IdentityPoolID: str(cfg, "identityPoolId"),
		Transport:      fetchTransport{userPoolEndpoint: endpoint, identityEndpoint: identityEndpoint},
		Storage:        storage,
		DeviceStorage:  deviceStorage,
		DeviceName:     str(cfg, "deviceName"),
		Crypto:         crypto,
		RefreshMargin:  margin,
	})
	if err != nil {
		return jsError(err)
	}
	return bind(c)
}

// bind exposes c's methods; each returns a Promise.
func bind(c *sdk.Client) js.Value {
	ctx := context.Background()
	methods := map[string]func(args []js.Value) (any, error){
		"signUp": func(a []js.Value) (any, error) {
			res, err := c.SignUp(ctx, argStr(a, 0), argStr(a, 1), stringMap(argVal(a, 2)))
			if err != nil {
				return nil, err
			}
			return map[string]any{"userConfirmed": res.UserConfirmed, "userSub": res.UserSub, "codeDelivery": delivery(res.CodeDelivery)}, nil
		},
		"confirmSignUp": func(a []js.Value) (any, error) {
			return nil, c.ConfirmSignUp(ctx, argStr(a, 0), argStr(a, 1))
		},
		"resendCode": func(a []js.Value) (any, error) {
			d, err := c.ResendCode(ctx, argStr(a, 0))
			return delivery(d), err
		},
		"signIn": func(a []js.Value) (any, error) {
			return signInResult(c.SignIn(ctx, argStr(a, 0), argStr(a, 1)))
		},
		"completeNewPassword": func(a []js.Value) (any, error) {
			return signInResult(c.CompleteNewPassword(ctx, argStr(a, 0), stringMap(argVal(a, 1))))
		},
		"confirmSignIn": func(a []js.Value) (any, error) {
			return signInResult(c.ConfirmSignIn(ctx, argStr(a, 0), stringMap(argVal(a, 1)), argStr(a, 2)))
		},
		"setUpTOTP": func(a []js.Value) (any, error) {
			t, err := c.SetUpTOTP(ctx)
			if err != nil {
				return nil, err
			}
			return map[string]any{"sharedSecret": t.SharedSecret}, nil
		},
		"verifyTOTPSetup": func(a []js.Value) (any, error) {
			return nil, c.VerifyTOTPSetup(ctx, argStr(a, 0), argStr(a, 1))
		},
		"updateMFAPreference": func(a []js.Value) (any, error) {
			return nil, c.UpdateMFAPreference(ctx, sdk.MFAPreference(stringMap(argVal(a, 0))))
		},
		"fetchMFAPreference": func(a []js.Value) (any, error) {
			st, err := c.FetchMFAPreference(ctx)
			if err != nil {
				return nil, err
			}
			var preferred any // null when none, as Amplify answers
			if st.Preferred != "" {
				preferred = st.Preferred
			}
			return map[string]any{"enabled": jsStrings(st.Enabled), "preferred": preferred}, nil
		},
		"rememberDevice": func(a []js.Value) (any, error) {
			return nil, c.RememberDevice(ctx)
		},
		"forgetDevice": func(a []js.Value) (any, error) {
			return nil, c.ForgetDevice(ctx, argStr(a, 0))
		},
		"fetchDevices": func(a []js.Value) (any, error) {
			list, err := c.FetchDevices(ctx)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(list))
			for i, d := range list {
				out[i] = device(d)
			}
			return out, nil
		},
		"forgotPassword": func(a []js.Value) (any, error) {
			d, err := c.ForgotPassword(ctx, argStr(a, 0))
			return delivery(d), err
		},
		"confirmForgotPassword": func(a []js.Value) (any, error) {
			return nil, c.ConfirmForgotPassword(ctx, argStr(a, 0), argStr(a, 1), argStr(a, 2))
		},
		"changePassword": func(a []js.Value) (any, error) {
			return nil, c.ChangePassword(ctx, argStr(a, 0), argStr(a, 1))
		},
		"getUser": func(a []js.Value) (any, error) {
			u, err := c.GetUser(ctx)
			if err != nil {
				return nil, err
			}
			attrs := map[string]any{}
			for k, v := range u.Attributes {
				attrs[k] = v
			}
			return map[string]any{"username": u.Username, "attributes": attrs}, nil
		},
		"updateAttributes": func(a []js.Value) (any, error) {
			ds, err := c.UpdateAttributes(ctx, stringMap(argVal(a, 0)))
			if err != nil {
				return nil, err
			}
			list := make([]any, len(ds))
			for i := range ds {
				list[i] = delivery(&ds[i])
			}
			return map[string]any{"codeDeliveries": list}, nil
		},
		"currentSession": func(a []js.Value) (any, error) {
			force := len(a) > 0 && a[0].Type() == js.TypeObject && a[0].Get("forceRefresh").Truthy()
			s, err := c.Session(ctx, force)
			if err != nil {
				return nil, err
			}
			return session(s), nil
		},
		"signOut": func(a []js.Value) (any, error) {
			global := len(a) > 0 && a[0].Type() == js.TypeObject && a[0].Get("global").Truthy()
			return nil, c.SignOut(ctx, global)
		},
		"getGuestCredentials": func(a []js.Value) (any, error) {
			return credentials(c.GuestCredentials(ctx))
		},
		"getCredentials": func(a []js.Value) (any, error) {
			return credentials(c.Credentials(ctx))
		},
	}
	obj := js.Global().Get("Object").New()
	for name, m := range methods {
		obj.Set(name, js.FuncOf(func(_ js.Value, args []js.Value) any {
			return promise(func() (any, error) { return m(args) })
		}))
	}
	obj.Set("setClockOffset", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) > 0 && args[0].Type() == js.TypeNumber {
			c.SetClockOffset(time.Duration(args[0].Float() * float64(time.Millisecond)))
		}
		return nil
	}))
	return obj
}

func argVal(a []js.Value, i int) js.Value {
	if i >= len(a) {
		return js.Undefined()
	}
	return a[i]
}

func argStr(a []js.Value, i int) string {
	if v := argVal(a, i); v.Type() == js.TypeString {
		return v.String()
	}
	return ""
}

func delivery(d *sdk.CodeDelivery) any {
	if d == nil {
		return nil
	}
	return map[string]any{"destination": d.Destination, "deliveryMedium": d.DeliveryMedium, "attributeName": d.AttributeName}
}

func signInResult(r *sdk.SignInResult, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if ch := r.Challenge; ch != nil {
		attrs := map[string]any{}
		for k, v := range ch.UserAttributes {
			attrs[k] = v
		}
		out := map[string]any{"name": ch.Name, "step": ch.Step, "requiredAttributes": jsStrings(ch.RequiredAttributes),
			"userAttributes": attrs, "allowedMFATypes": jsStrings(ch.AllowedMFATypes), "deviceName": ch.DeviceName,
			"codeDelivery": delivery(ch.CodeDelivery), "totpSetup": nil}
		if ch.TOTPSetup != nil {
			out["totpSetup"] = map[string]any{"sharedSecret": ch.TOTPSetup.SharedSecret}
		}
		return map[string]any{"challenge": out}, nil
	}
	if r.Session == nil {
		return nil, errors.New("sdk: sign-in ended without a session")
	}
	return map[string]any{"session": session(r.Session)}, nil
}

// jsStrings converts list for js.ValueOf, which takes []any, not []string.
func jsStrings(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func session(s *sdk.Session) map[string]any {
	groups := make([]any, 0)
	for _, g := range s.Groups() {
		groups = append(groups, g)
	}
	return map[string]any{
		"username":          s.Username,
		"idToken":           s.IDToken,
		"accessToken":       s.AccessToken,
		"refreshToken":      s.RefreshToken,
		"expiresAt":         float64(s.Expires.UnixMilli()),
		"idTokenClaims":     s.IDClaims,
		"accessTokenClaims": s.AccessClaims,
		"groups":            groups,
	}
}

// device is one of FetchDevices' devices as Amplify's fetchDevices shows it ({id, name,
// attributes, createDate, lastModifiedDate, lastAuthenticatedDate}: dates as milliseconds,
// lastAuthenticatedDate null when never), with remembered and current beside it.
func device(d sdk.Device) map[string]any {
	attrs := map[string]any{}
	for k, v := range d.Attributes {
		attrs[k] = v
	}
	var lastAuth any
	if !d.LastAuthenticated.IsZero() {
		lastAuth = float64(d.LastAuthenticated.UnixMilli())
	}
	return map[string]any{
		"id": d.Key, "name": d.Name, "attributes": attrs, "remembered": d.Remembered, "current": d.Current,
		"createDate": float64(d.Created.UnixMilli()), "lastModifiedDate": float64(d.Modified.UnixMilli()),
		"lastAuthenticatedDate": lastAuth,
	}
}

func credentials(cr *sdk.Credentials, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"identityId":      cr.IdentityID,
		"accessKeyId":     cr.AccessKeyID,
		"secretAccessKey": cr.SecretKey,
		"sessionToken":    cr.SessionToken,
		"expiration":      float64(cr.Expiration.UnixMilli()),
		"authenticated":   cr.Authenticated,
	}, nil
}

// qrCodeSVG(text) draws text as a QR code: an SVG document as a string, or, for empty or
// overlong text, an InvalidParameterException Error object that poolgate.js throws. (A Go
// panic in a callback would end the Go program, and with it the page's SDK.)
func qrCodeSVG(_ js.Value, args []js.Value) any {
	svg, err := sdk.QRCodeSVG(argStr(args, 0))
	if err != nil {
		return jsError(err)
	}
	return svg
}

// setupURI(sharedSecret, issuer, account) is the otpauth:// URI for an authenticator app.
func setupURI(_ js.Value, args []js.Value) any {
	t := sdk.TOTPSetup{SharedSecret: argStr(args, 0)}
	return t.SetupURI(argStr(args, 1), argStr(args, 2))
}
