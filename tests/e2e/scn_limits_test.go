package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/identitypool"
	"github.com/poolgate/poolgate/internal/userpool"
)

// jsonAPI is one of the two JSON APIs as a client addresses it.
type jsonAPI struct {
	prefix  string // X-Amz-Target prefix
	service string // SigV4 service name
	actions []awsjson.Action
}

// registeredAPIs lists every action the server registers, with its input struct (the same
// action tables the server's dispatchers are built from).
func registeredAPIs() []jsonAPI {
	return []jsonAPI{
		{"AWSCognitoIdentityProviderService.", "cognito-idp", userpool.New(userpool.Deps{}).Actions()},
		{"AWSCognitoIdentityService.", "cognito-identity", identitypool.New(identitypool.Deps{}).Actions()},
	}
}

// apiPost builds a POST of body to prefix+action; signed with the admin key for service when
// service is not "" (the headers the SDKs sign: content type, target, date, host).
func apiPost(t testing.TB, ep *Endpoint, prefix, action, service, region string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", prefix+action)
	if service != "" {
		sum := sha256.Sum256(body)
		creds := aws.Credentials{AccessKeyID: ep.AdminKeyID, SecretAccessKey: ep.AdminKey}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, region, ep.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return req
}

func (ep *Endpoint) doAPI(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	resp, err := ep.httpClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Header.Get("X-Amz-Target"), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// identifierMax is the longest value Cognito's API reference allows for the members that name
// things (and so become store keys) or are otherwise bounded; keys are a member's name, or
// "Parent.Member" inside a list or map member, or "Action/Member" where one action's member
// has another bound than the same name elsewhere (a user pool's ProviderName is 32, an
// identity pool's 128).
var identifierMax = map[string]int{
	"UserPoolId": 55, "ClientId": 128, "Username": 128, "GroupName": 128, "AttributeName": 32,
	"UserAttributeNames": 32, "AttributesToGet": 32,
	"UserAttributes.Name": 32, "UserAttributes.Value": 2048, "ValidationData.Name": 32, "ValidationData.Value": 2048,
	"AuthParameters.USERNAME": 128, "ChallengeResponses.USERNAME": 128,
	"Password": 256, "ProposedPassword": 256, "PreviousPassword": 256, "TemporaryPassword": 256,
	"ConfirmationCode": 2048, "Code": 2048, "Session": 2048, "ClientSecret": 64, "SecretHash": 128,
	"PoolName": 128, "ClientName": 128, "DeviceKey": 55, "NextToken": 65535, "PaginationToken": 65535,
	"Filter": 256, "Description": 2048, "RoleArn": 2048, "Schema.Name": 20,
	"IdentityPoolId": 55, "IdentityId": 55, "IdentityPoolName": 128, "IdentityIdsToDelete": 55,
	"ProviderName": 128, "CognitoIdentityProviders.ProviderName": 128, "CognitoIdentityProviders.ClientId": 128,
	"DeveloperProviderName": 128, "DeveloperUserIdentifier": 1024, "CustomRoleArn": 2048, "LoginsToRemove": 128,
	"Logins.key": 128, "Logins.USERNAME": 50000, "SupportedLoginProviders.key": 128, "SupportedLoginProviders.USERNAME": 128,
	"Roles.key": 128, "Roles.USERNAME": 2048, "PrincipalTags.key": 128, "PrincipalTags.USERNAME": 256,
	"DefaultRedirectURI": 1024, "CallbackURLs": 1024, "LogoutURLs": 1024, "SupportedIdentityProviders": 32,
	"EmailVerificationMessage": 20000, "EmailVerificationSubject": 140, "SmsVerificationMessage": 140, "SmsAuthenticationMessage": 140,
	"UserPoolTags.key": 128, "UserPoolTags.USERNAME": 256, "IdentityPoolTags.key": 128, "IdentityPoolTags.USERNAME": 256,
	"ReadAttributes": 2048, "WriteAttributes": 2048, "AllowedOAuthScopes": 256, "OpenIdConnectProviderARNs": 2048, "SamlProviderARNs": 2048,
	// managed login
	"Domain": 63, "Identifier": 256, "Scopes.ScopeName": 256, "Scopes.ScopeDescription": 256,
	"IdpIdentifier": 40, "IdpIdentifiers": 40,
	"CreateResourceServer/Name": 256, "UpdateResourceServer/Name": 256,
	"CreateIdentityProvider/ProviderName": 32, "DescribeIdentityProvider/ProviderName": 32,
	"UpdateIdentityProvider/ProviderName": 32, "DeleteIdentityProvider/ProviderName": 32,
	// branding
	"CSS": 131072, "Assets.ResourceId": 40,
	// MFA
	"UserCode": 6, "FriendlyDeviceName": 256,
}

// longMember is one place in an input where a string goes: a member, the element of a list
// member, a member of the element of a list of structs, or a map member's key or its value
// under USERNAME (the entry AuthParameters and ChallengeResponses name a user with).
type longMember struct {
	name   string // identifierMax key
	set    func(body map[string]any, v string)
	errAt  string // the member path the error must name, e.g. "userAttributes.1.member.name"
	inList bool   // the error names the list or map member as a whole
}

// longMembers lists the string places of input type t.
func longMembers(t reflect.Type, base func(reflect.Type) map[string]any) []longMember {
	var out []longMember
	for _, f := range fields(t) {
		name := jsonMember(f)
		wire := strings.ToLower(name[:1]) + name[1:]
		ft := deref(f.Type)
		switch {
		case ft.Kind() == reflect.String:
			out = append(out, longMember{name: name, errAt: wire, set: func(b map[string]any, v string) { b[name] = v }})
		case ft.Kind() == reflect.Slice && deref(ft.Elem()).Kind() == reflect.String:
			out = append(out, longMember{name: name, errAt: wire, inList: true, set: func(b map[string]any, v string) { b[name] = []any{v} }})
		case ft.Kind() == reflect.Slice && deref(ft.Elem()).Kind() == reflect.Struct:
			et := deref(ft.Elem())
			for _, ef := range fields(et) {
				if deref(ef.Type).Kind() != reflect.String {
					continue
				}
				en := jsonMember(ef)
				out = append(out, longMember{name: name + "." + en, errAt: wire + ".1.member." + strings.ToLower(en[:1]) + en[1:],
					set: func(b map[string]any, v string) {
						elem := base(et)
						elem[en] = v
						b[name] = []any{elem}
					}})
			}
		case ft.Kind() == reflect.Map && ft.Key().Kind() == reflect.String:
			out = append(out, longMember{name: name + ".key", errAt: wire, inList: true, set: func(b map[string]any, v string) {
				b[name] = map[string]any{v: sampleMapValue(ft)}
			}})
			if deref(ft.Elem()).Kind() == reflect.String {
				errAt := wire
				if name == "AuthParameters" || name == "ChallengeResponses" {
					errAt = wire + ".USERNAME"
				}
				out = append(out, longMember{name: name + ".USERNAME", errAt: errAt, inList: errAt == wire,
					set: func(b map[string]any, v string) { b[name] = map[string]any{"USERNAME": v} }})
			}
		}
	}
	return out
}

func sampleMapValue(mt reflect.Type) any {
	if deref(mt.Elem()).Kind() == reflect.String {
		return "v"
	}
	return map[string]any{}
}

// fields returns the exported fields of struct t, embedded structs flattened.
func fields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && deref(f.Type).Kind() == reflect.Struct {
			if _, tagged := f.Tag.Lookup("json"); !tagged {
				out = append(out, fields(deref(f.Type))...)
				continue
			}
		}
		if f.IsExported() && jsonMember(f) != "-" {
			out = append(out, f)
		}
	}
	return out
}

func jsonMember(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// scnEveryActionLongMembers sends every action of both APIs, one string member at a time, a
// value of 129, 600 and 300,000 characters (admin actions signed, public ones not), and
// requires a 400 every time a bound is broken, never a 5xx: over-long identifiers used to
// reach the store as over-long keys and come back as 500s.
func scnEveryActionLongMembers(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "longid", "Passw0rd-longid")
	samples := map[string]any{
		"UserPoolId": f.pool, "ClientId": f.client, "Username": "longid", "GroupName": "longid-group",
		"Session": strings.Repeat("s", 40), "AccessToken": "a.b.c", "ConfirmationCode": "123456", "Code": "123456",
		"AttributeName": "email", "Name": "email", "Value": "v", "PoolName": "p", "ClientName": "c", "IdentityPoolName": "p",
		"IdentityPoolId": ep.Region + ":00000000-0000-4000-8000-000000000000", "IdentityId": ep.Region + ":00000000-0000-4000-8000-000000000001",
		"Password": "Passw0rd-longid", "ProposedPassword": "Passw0rd-longid2", "PreviousPassword": "Passw0rd-longid",
		"AuthFlow": "USER_PASSWORD_AUTH", "ChallengeName": "NEW_PASSWORD_REQUIRED", "Token": "t", "RefreshToken": "t",
		"DeveloperProviderName": "dev", "CustomRoleArn": "arn:aws:iam::000000000000:role/r", "RoleArn": "arn:aws:iam::000000000000:role/r",
	}
	// base is a body with every required member of t set to a valid value.
	var base func(t reflect.Type) map[string]any
	base = func(t reflect.Type) map[string]any {
		b := map[string]any{}
		for _, f := range fields(t) {
			if f.Tag.Get("aws") != "required" {
				continue
			}
			name := jsonMember(f)
			switch ft := deref(f.Type); ft.Kind() {
			case reflect.String:
				if v, ok := samples[name]; ok {
					b[name] = v
				} else {
					b[name] = "x"
				}
			case reflect.Bool:
				b[name] = false
			case reflect.Int, reflect.Int32, reflect.Int64:
				b[name] = 1
			case reflect.Slice:
				if deref(ft.Elem()).Kind() == reflect.Struct {
					b[name] = []any{base(deref(ft.Elem()))}
				} else {
					b[name] = []any{samples["IdentityId"]}
				}
			case reflect.Map:
				b[name] = map[string]any{}
			case reflect.Struct:
				b[name] = base(ft)
			}
		}
		return b
	}

	sent := 0
	for _, api := range registeredAPIs() {
		for _, a := range api.actions {
			in := awsjson.InputType(a)
			if in == nil {
				t.Errorf("%s: not built with awsjson.Handler, its input is unknown", a.Name)
				continue
			}
			service := ""
			if a.Auth == awsjson.SigV4 {
				service = api.service
			}
			members := longMembers(in, base)
			for _, m := range members {
				for _, n := range []int{129, 600, 300000} {
					body := base(in)
					m.set(body, strings.Repeat("a", n))
					raw, err := json.Marshal(body)
					if err != nil {
						t.Fatal(err)
					}
					r := ep.doAPI(t, apiPost(t, ep, api.prefix, a.Name, service, ep.Region, raw))
					sent++
					what := fmt.Sprintf("%s with %s of %d characters", a.Name, m.name, n)
					if r.Status >= 500 {
						t.Errorf("%s: status %d: %.300s", what, r.Status, r.Body)
						continue
					}
					max, bounded := identifierMax[a.Name+"/"+m.name]
					if !bounded {
						max, bounded = identifierMax[m.name]
					}
					if !bounded || n <= max {
						continue
					}
					if r.Status != http.StatusBadRequest || errorType(r) != "InvalidParameterException" {
						t.Errorf("%s: status %d %.300s, want 400 InvalidParameterException", what, r.Status, r.Body)
						continue
					}
					want := fmt.Sprintf("Value at '%s' failed to satisfy constraint: ", m.errAt)
					if msg := errorMessage(r); !strings.Contains(msg, want) || !strings.Contains(msg, fmt.Sprintf("less than or equal to %d", max)) {
						t.Errorf("%s: message %q, want one naming %q and its bound %d", what, msg, m.errAt, max)
					}
					if strings.Contains(string(r.Body), strings.Repeat("a", 200)) {
						t.Errorf("%s: the error echoes the long value", what)
					}
				}
			}
			if service != "" {
				// Unsigned, an admin action is refused before its body is looked at.
				body := base(in)
				body["UserPoolId"] = strings.Repeat("a", 300000)
				raw, _ := json.Marshal(body)
				r := ep.doAPI(t, apiPost(t, ep, api.prefix, a.Name, "", "", raw))
				if r.Status != http.StatusBadRequest || errorType(r) != "MissingAuthenticationTokenException" {
					t.Errorf("%s unsigned: status %d %.300s, want 400 MissingAuthenticationTokenException", a.Name, r.Status, r.Body)
				}
			}
		}
	}
	t.Logf("%d requests with long members", sent)
}

func errorType(r rawResponse) string {
	var body struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(r.Body, &body)
	if i := strings.LastIndex(body.Type, "#"); i >= 0 {
		return body.Type[i+1:]
	}
	return body.Type
}

func errorMessage(r rawResponse) string {
	var body struct {
		Message string `json:"message"`
	}
	json.Unmarshal(r.Body, &body)
	return body.Message
}

// scnSigV4SignedHeadersAndScope: an admin call must sign its target (a captured AdminGetUser
// signed with SignedHeaders=host;x-amz-date, replayed as AdminDisableUser, must not disable the
// user) and be scoped to the server's region and the API's service.
func scnSigV4SignedHeadersAndScope(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	f.createUser(t, "replayed", "Passw0rd-replayed")
	const idp, identity = "AWSCognitoIdentityProviderService.", "AWSCognitoIdentityService."
	body := []byte(fmt.Sprintf(`{"UserPoolId":%q,"Username":"replayed"}`, f.pool))

	// Signed with host and x-amz-date only (the target and content type are added after).
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: ep.AdminKeyID, SecretAccessKey: ep.AdminKey}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "cognito-idp", ep.Region, ep.Now()); err != nil {
		t.Fatal(err)
	}
	if a := req.Header.Get("Authorization"); strings.Contains(a, "x-amz-target") || !strings.Contains(a, "x-amz-date") {
		t.Fatalf("the capture should sign x-amz-date but not x-amz-target: %s", a)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", idp+"AdminDisableUser")
	r := ep.doAPI(t, req)
	wantRawError(t, r, "InvalidSignatureException")
	if msg := errorMessage(r); msg != "There were headers present in the request which were not signed: x-amz-target" {
		t.Errorf("replay message %q", msg)
	}
	u := call(ep.Admin().AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String("replayed")})).must(t)
	if !u.Enabled {
		t.Fatal("the replayed AdminDisableUser disabled the user")
	}

	other := "eu-central-1"
	if ep.Region == other {
		other = "ap-southeast-2"
	}
	for _, tc := range []struct {
		name, prefix, action, service, region, want string
	}{
		{"user pools, other region", idp, "AdminGetUser", "cognito-idp", other, "Credential should be scoped to a valid region, not '" + other + "'."},
		{"user pools, other service", idp, "AdminGetUser", "cognito-identity", ep.Region, "Credential should be scoped to correct service: 'cognito-idp'."},
		{"identity pools, other region", identity, "ListIdentityPools", "cognito-identity", other, "Credential should be scoped to a valid region, not '" + other + "'."},
		{"identity pools, other service", identity, "ListIdentityPools", "cognito-idp", ep.Region, "Credential should be scoped to correct service: 'cognito-identity'."},
	} {
		b := body
		if tc.prefix == identity {
			b = []byte(`{"MaxResults":10}`)
		}
		r := ep.doAPI(t, apiPost(t, ep, tc.prefix, tc.action, tc.service, tc.region, b))
		if r.Status != http.StatusBadRequest || errorType(r) != "InvalidSignatureException" || errorMessage(r) != tc.want {
			t.Errorf("%s: status %d %s, want 400 InvalidSignatureException %q", tc.name, r.Status, r.Body, tc.want)
		}
	}
	// The same calls in the right scope pass.
	rawOK(t, ep.doAPI(t, apiPost(t, ep, idp, "AdminGetUser", "cognito-idp", ep.Region, body)))
	rawOK(t, ep.doAPI(t, apiPost(t, ep, identity, "ListIdentityPools", "cognito-identity", ep.Region, []byte(`{"MaxResults":10}`))))
}
