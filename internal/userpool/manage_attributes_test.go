package userpool

import (
	"context"
	"errors"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
)

func TestManagePasswordPolicy(t *testing.T) {
	all := DefaultPasswordPolicy()
	none := PasswordPolicy{MinimumLength: 6}
	for _, tc := range []struct {
		policy   PasswordPolicy
		password string
		typ      awsjson.Type
		msg      string
	}{
		{all, "Passw0rd!", "", ""},
		{all, "Pass w0rd", "", ""}, // an inner space is a symbol
		{all, "Ab1!x", awsjson.ErrInvalidParameter, "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to 6"},
		{all, " Passw0rd!", awsjson.ErrInvalidParameter, ""},
		{all, "Passw0rd! ", awsjson.ErrInvalidParameter, ""},
		{all, "Pa1!abc", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password not long enough"},
		{all, "PASSW0RD!", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password must have lowercase characters"},
		{all, "passw0rd!", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password must have uppercase characters"},
		{all, "Password!", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password must have numeric characters"},
		{all, "Passw0rdd", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password must have symbol characters"},
		{all, "Passw0rdé", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password must have symbol characters"},
		{none, "ééééééé", "", ""},
		{PasswordPolicy{MinimumLength: 10}, "ninechars", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password not long enough"},
		{PasswordPolicy{}, "sevench", awsjson.ErrInvalidPassword, "Password did not conform with policy: Password not long enough"}, // 0 → 8
	} {
		err := checkPasswordPolicy(tc.policy, tc.password)
		if tc.typ == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.password, err)
			}
			continue
		}
		var e *awsjson.Error
		if !errors.Is(err, tc.typ) || !errors.As(err, &e) || (tc.msg != "" && e.Message != tc.msg) {
			t.Errorf("%q: got %v, want %s %q", tc.password, err, tc.typ, tc.msg)
		}
	}
}

func TestManageValidateAttributes(t *testing.T) {
	env := newTestEnv(t)
	schema, err := buildSchema([]SchemaAttributeInput{
		{Name: "given_name", Required: mPtr(true)},
		{Name: "secret", DeveloperOnlyAttribute: mPtr(true)},
		{Name: "badge", Mutable: mPtr(false)},
		{Name: "age", AttributeDataType: "Number", NumberAttributeConstraints: &NumberAttributeConstraints{MinValue: "0", MaxValue: "150"}},
		{Name: "code", StringAttributeConstraints: &StringAttributeConstraints{MinLength: "2", MaxLength: "4"}},
		{Name: "vip", AttributeDataType: "Boolean"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &Pool{Id: "us-east-1_T", SchemaAttributes: schema}
	for _, tc := range []struct {
		name  string
		op    attrOp
		attrs []AttributeType
		want  map[string]string
		typ   awsjson.Type
	}{
		{"sign-up", attrSignUp, mAt("given_name", "Al", "email", "a@example.com", "custom:age", "42", "custom:vip", "TRUE"),
			map[string]string{"given_name": "Al", "email": "a@example.com", "custom:age": "42", "custom:vip": "true"}, ""},
		{"required missing", attrSignUp, mAt("email", "a@example.com"), nil, awsjson.ErrInvalidParameter},
		{"empty dropped on create", attrAdminCreate, mAt("given_name", "Al", "nickname", ""), map[string]string{"given_name": "Al"}, ""},
		{"developer-only by user", attrSignUp, mAt("given_name", "Al", "custom:secret", "x"), nil, awsjson.ErrNotAuthorized},
		{"developer-only by admin", attrAdminCreate, mAt("given_name", "Al", "custom:secret", "x"),
			map[string]string{"given_name": "Al", "custom:secret": "x"}, ""},
		{"verified by user", attrSelfUpdate, mAt("email_verified", "true"), nil, awsjson.ErrNotAuthorized},
		{"verified by admin", attrAdminUpdate, mAt("email_verified", "True"), map[string]string{"email_verified": "true"}, ""},
		{"immutable on create", attrAdminCreate, mAt("given_name", "Al", "custom:badge", "gold"),
			map[string]string{"given_name": "Al", "custom:badge": "gold"}, ""},
		{"immutable on update", attrAdminUpdate, mAt("custom:badge", "gold"), nil, awsjson.ErrInvalidParameter},
		{"removal", attrSelfUpdate, mAt("nickname", ""), map[string]string{"nickname": ""}, ""},
		{"required removal", attrSelfUpdate, mAt("given_name", ""), nil, awsjson.ErrInvalidParameter},
		{"number range", attrAdminUpdate, mAt("custom:age", "151"), nil, awsjson.ErrInvalidParameter},
		{"number syntax", attrAdminUpdate, mAt("custom:age", "4.5"), nil, awsjson.ErrInvalidParameter},
		{"string too short", attrAdminUpdate, mAt("custom:code", "a"), nil, awsjson.ErrInvalidParameter},
		{"string too long", attrAdminUpdate, mAt("custom:code", "abcde"), nil, awsjson.ErrInvalidParameter},
		{"boolean", attrAdminUpdate, mAt("custom:vip", "maybe"), nil, awsjson.ErrInvalidParameter},
		{"unknown", attrAdminUpdate, mAt("favourite_color", "red"), nil, awsjson.ErrInvalidParameter},
		{"custom without prefix", attrAdminUpdate, mAt("age", "3"), nil, awsjson.ErrInvalidParameter},
		{"duplicate", attrAdminUpdate, mAt("nickname", "a", "nickname", "b"), nil, awsjson.ErrInvalidParameter},
		{"sub", attrAdminUpdate, mAt("sub", "x"), nil, awsjson.ErrInvalidParameter},
		{"email format", attrAdminUpdate, mAt("email", "a@"), nil, awsjson.ErrInvalidParameter},
		{"phone format", attrAdminUpdate, mAt("phone_number", "+1 555 0100"), nil, awsjson.ErrInvalidParameter},
		{"phone ok", attrAdminUpdate, mAt("phone_number", "+15550100"), map[string]string{"phone_number": "+15550100"}, ""},
	} {
		got, err := env.svc.validateAttributes(p, tc.attrs, tc.op)
		if tc.typ != "" {
			if !errors.Is(err, tc.typ) {
				t.Errorf("%s: got %v, %v; want %s", tc.name, got, err, tc.typ)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, got[k], v)
			}
		}
	}
}

func TestManageMergeAndWireAttributes(t *testing.T) {
	u := &User{Username: "u", Sub: "sub-1", Attributes: map[string]string{"email": "a@example.com", "email_verified": "true", "name": "N"}}
	mergeAttributes(u, map[string]string{"email": "b@example.com", "name": ""})
	if u.Attributes["email"] != "b@example.com" || u.Attributes["email_verified"] != "false" || u.Attributes["name"] != "" {
		t.Fatalf("merge: %v", u.Attributes)
	}
	mergeAttributes(u, map[string]string{"email": "c@example.com", "email_verified": "true"})
	if u.Attributes["email_verified"] != "true" {
		t.Fatalf("explicit verified flag lost: %v", u.Attributes)
	}
	mergeAttributes(u, map[string]string{"email": ""})
	if _, ok := u.Attributes["email_verified"]; ok {
		t.Fatalf("verified flag outlived its email: %v", u.Attributes)
	}
	u.Attributes = map[string]string{"zoneinfo": "z", "address": "a", "email": "e"}
	got := wireAttributes(u, nil)
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if len(names) != 4 || names[0] != "sub" || names[1] != "address" || names[2] != "email" || names[3] != "zoneinfo" {
		t.Fatalf("wire order %v", names)
	}
	if only := wireAttributes(u, []string{"email"}); len(only) != 1 || only[0].Name != "email" || *only[0].Value != "e" {
		t.Fatalf("only email: %v", only)
	}
	if none := wireAttributes(u, []string{}); len(none) != 0 {
		t.Fatalf("empty selection: %v", none)
	}
}

func TestManageEnsureUnique(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	byEmail := env.createPool(map[string]any{"UsernameAttributes": []string{"email", "phone_number"}})
	env.mUser(byEmail, "taken@example.com")
	p, err := env.svc.getPool(ctx, byEmail)
	if err != nil {
		t.Fatal(err)
	}
	newcomer := &User{Username: "other-sub", Sub: "other-sub", Attributes: map[string]string{"email": "TAKEN@example.com"}}
	mWantType(t, env.svc.ensureUnique(ctx, p, newcomer, nil), awsjson.ErrUsernameExists, "An account with the given email already exists.")
	newcomer.Attributes["email"] = "free@example.com"
	if err := env.svc.ensureUnique(ctx, p, newcomer, nil); err != nil {
		t.Fatal(err)
	}
	env.mUser(byEmail, "+15550100")
	newcomer.Attributes["phone_number"] = "+15550100"
	mWantType(t, env.svc.ensureUnique(ctx, p, newcomer, nil), awsjson.ErrUsernameExists, "An account with the given phone_number already exists.")

	aliases := env.createPool(map[string]any{"AliasAttributes": []string{"email", "preferred_username"}})
	env.mUser(aliases, "alice", "email", "alice@example.com", "email_verified", "true", "preferred_username", "al")
	p, err = env.svc.getPool(ctx, aliases)
	if err != nil {
		t.Fatal(err)
	}
	alice := env.user(aliases, "alice")
	if err := env.svc.ensureUnique(ctx, p, alice, alice); err != nil {
		t.Fatalf("a user does not collide with itself: %v", err)
	}
	bob := &User{Username: "bob", Sub: "b", Attributes: map[string]string{"preferred_username": "al"}}
	mWantType(t, env.svc.ensureUnique(ctx, p, bob, nil), awsjson.ErrAliasExists, "An account with the given preferred_username already exists.")
	bob.Attributes = map[string]string{"email": "alice@example.com"}
	if err := env.svc.ensureUnique(ctx, p, bob, nil); err != nil {
		t.Fatalf("an unverified email is no alias: %v", err)
	}
	bob.Attributes["email_verified"] = "true"
	mWantType(t, env.svc.ensureUnique(ctx, p, bob, nil), awsjson.ErrAliasExists, "An account with the given email already exists.")
}

func mWantType(t *testing.T, err error, typ awsjson.Type, msg string) {
	t.Helper()
	var e *awsjson.Error
	if !errors.Is(err, typ) || !errors.As(err, &e) || e.Message != msg {
		t.Fatalf("got %v, want %s %q", err, typ, msg)
	}
}

func mAt(kv ...string) []AttributeType {
	var out []AttributeType
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		out = append(out, AttributeType{Name: kv[i], Value: &v})
	}
	return out
}

func mPtr[T any](v T) *T { return &v }
