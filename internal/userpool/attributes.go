package userpool

import (
	"context"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// Standard attributes: every pool's schema holds them, in this order, with AWS's types and
// defaults; CreateUserPool's Schema may make them required or immutable or narrow their length.
var standardAttributes = []SchemaAttribute{
	stdString("sub", false, true, "1"),
	stdString("name", true, false, "0"),
	stdString("given_name", true, false, "0"),
	stdString("family_name", true, false, "0"),
	stdString("middle_name", true, false, "0"),
	stdString("nickname", true, false, "0"),
	stdString("preferred_username", true, false, "0"),
	stdString("profile", true, false, "0"),
	stdString("picture", true, false, "0"),
	stdString("website", true, false, "0"),
	stdString("email", true, false, "0"),
	{Name: "email_verified", AttributeDataType: "Boolean", Mutable: true},
	stdString("gender", true, false, "0"),
	{Name: "birthdate", AttributeDataType: "String", Mutable: true,
		StringAttributeConstraints: &StringAttributeConstraints{MinLength: "10", MaxLength: "10"}},
	stdString("zoneinfo", true, false, "0"),
	stdString("locale", true, false, "0"),
	stdString("phone_number", true, false, "0"),
	{Name: "phone_number_verified", AttributeDataType: "Boolean", Mutable: true},
	stdString("address", true, false, "0"),
	{Name: "updated_at", AttributeDataType: "Number", Mutable: true,
		NumberAttributeConstraints: &NumberAttributeConstraints{MinValue: "0"}},
}

func stdString(name string, mutable, required bool, minLen string) SchemaAttribute {
	return SchemaAttribute{Name: name, AttributeDataType: "String", Mutable: mutable, Required: required,
		StringAttributeConstraints: &StringAttributeConstraints{MinLength: minLen, MaxLength: "2048"}}
}

func standardAttribute(name string) (SchemaAttribute, bool) {
	for _, a := range standardAttributes {
		if a.Name == name {
			return a, true
		}
	}
	return SchemaAttribute{}, false
}

const (
	customPrefix        = "custom:"
	maxCustomAttributes = 50
	maxAttributeValue   = 2048
)

// SchemaAttributeInput is one member of CreateUserPool's Schema (SchemaAttributeType on the
// wire). Unlike the stored SchemaAttribute its booleans may be absent.
type SchemaAttributeInput struct {
	Name                       string                      `json:"Name"`
	AttributeDataType          string                      `json:"AttributeDataType,omitempty"`
	DeveloperOnlyAttribute     *bool                       `json:"DeveloperOnlyAttribute,omitempty"`
	Mutable                    *bool                       `json:"Mutable,omitempty"`
	Required                   *bool                       `json:"Required,omitempty"`
	StringAttributeConstraints *StringAttributeConstraints `json:"StringAttributeConstraints,omitempty"`
	NumberAttributeConstraints *NumberAttributeConstraints `json:"NumberAttributeConstraints,omitempty"`
}

// buildSchema returns the pool schema for CreateUserPool's Schema member: the standard
// attributes (with the overrides in the input) followed by the custom ones, named "custom:x".
func buildSchema(in []SchemaAttributeInput) ([]SchemaAttribute, error) {
	schema := append([]SchemaAttribute(nil), standardAttributes...)
	for i := range schema {
		schema[i] = cloneSchemaAttribute(schema[i])
	}
	seen := map[string]bool{}
	customs := 0
	for _, a := range in {
		name := a.Name
		std, isStd := standardAttribute(name)
		if !isStd {
			name = customPrefix + strings.TrimPrefix(name, customPrefix)
		}
		if seen[name] {
			return nil, awsjson.InvalidParameter("Duplicate schema attribute: %s", name)
		}
		seen[name] = true
		if isStd {
			sa, err := overrideStandard(std, a)
			if err != nil {
				return nil, err
			}
			for i := range schema {
				if schema[i].Name == name {
					schema[i] = sa
				}
			}
			continue
		}
		customs++
		if customs > maxCustomAttributes {
			return nil, awsjson.InvalidParameter("A user pool can have at most %d custom attributes.", maxCustomAttributes)
		}
		sa, err := customAttribute(name, a)
		if err != nil {
			return nil, err
		}
		schema = append(schema, sa)
	}
	return schema, nil
}

func cloneSchemaAttribute(a SchemaAttribute) SchemaAttribute {
	if a.StringAttributeConstraints != nil {
		c := *a.StringAttributeConstraints
		a.StringAttributeConstraints = &c
	}
	if a.NumberAttributeConstraints != nil {
		c := *a.NumberAttributeConstraints
		a.NumberAttributeConstraints = &c
	}
	return a
}

// overrideStandard applies a Schema entry naming a standard attribute.
func overrideStandard(std SchemaAttribute, in SchemaAttributeInput) (SchemaAttribute, error) {
	sa := cloneSchemaAttribute(std)
	if in.Name == "sub" {
		return sa, awsjson.InvalidParameter("The attribute sub cannot be modified.")
	}
	if in.AttributeDataType != "" && in.AttributeDataType != std.AttributeDataType {
		return sa, awsjson.InvalidParameter("Invalid AttributeDataType input, consider using the provided AttributeDataType enum. The data type of the standard attribute %s is %s.", std.Name, std.AttributeDataType)
	}
	if in.DeveloperOnlyAttribute != nil && *in.DeveloperOnlyAttribute {
		return sa, awsjson.InvalidParameter("Standard attribute %s cannot be developer-only.", std.Name)
	}
	if in.Mutable != nil {
		sa.Mutable = *in.Mutable
	}
	if in.Required != nil {
		sa.Required = *in.Required
	}
	if in.StringAttributeConstraints != nil && std.AttributeDataType == "String" {
		c, err := stringConstraints(std.Name, in.StringAttributeConstraints)
		if err != nil {
			return sa, err
		}
		sa.StringAttributeConstraints = c
	}
	if in.NumberAttributeConstraints != nil && std.AttributeDataType == "Number" {
		c, err := numberConstraints(std.Name, in.NumberAttributeConstraints)
		if err != nil {
			return sa, err
		}
		sa.NumberAttributeConstraints = c
	}
	return sa, nil
}

func customAttribute(name string, in SchemaAttributeInput) (SchemaAttribute, error) {
	short := strings.TrimPrefix(name, customPrefix)
	if !validCustomAttributeName(short) {
		return SchemaAttribute{}, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'schema.member.name' failed to satisfy constraint: Member must have length less than or equal to 20 and match pattern [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+", short)
	}
	sa := SchemaAttribute{Name: name, AttributeDataType: in.AttributeDataType, Mutable: true}
	if sa.AttributeDataType == "" {
		sa.AttributeDataType = "String"
	}
	switch sa.AttributeDataType {
	case "String", "Number", "DateTime", "Boolean":
	default:
		return sa, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'schema.member.attributeDataType' failed to satisfy constraint: Member must satisfy enum value set: [Boolean, Number, String, DateTime]", in.AttributeDataType)
	}
	if in.Required != nil && *in.Required {
		return sa, awsjson.InvalidParameter("Required custom attributes are not supported currently.")
	}
	if in.Mutable != nil {
		sa.Mutable = *in.Mutable
	}
	if in.DeveloperOnlyAttribute != nil {
		sa.DeveloperOnlyAttribute = *in.DeveloperOnlyAttribute
	}
	if in.StringAttributeConstraints != nil && sa.AttributeDataType == "String" {
		c, err := stringConstraints(name, in.StringAttributeConstraints)
		if err != nil {
			return sa, err
		}
		sa.StringAttributeConstraints = c
	}
	if in.NumberAttributeConstraints != nil && sa.AttributeDataType == "Number" {
		c, err := numberConstraints(name, in.NumberAttributeConstraints)
		if err != nil {
			return sa, err
		}
		sa.NumberAttributeConstraints = c
	}
	return sa, nil
}

func stringConstraints(name string, c *StringAttributeConstraints) (*StringAttributeConstraints, error) {
	out := *c
	min, max := 0, maxAttributeValue
	var err error
	if c.MinLength != "" {
		if min, err = strconv.Atoi(c.MinLength); err != nil || min < 0 || min > maxAttributeValue {
			return nil, awsjson.InvalidParameter("Invalid MinLength %q for attribute %s.", c.MinLength, name)
		}
	}
	if c.MaxLength != "" {
		if max, err = strconv.Atoi(c.MaxLength); err != nil || max < 0 || max > maxAttributeValue {
			return nil, awsjson.InvalidParameter("Invalid MaxLength %q for attribute %s: the maximum length is %d.", c.MaxLength, name, maxAttributeValue)
		}
	}
	if min > max {
		return nil, awsjson.InvalidParameter("MinLength of attribute %s is greater than its MaxLength.", name)
	}
	return &out, nil
}

func numberConstraints(name string, c *NumberAttributeConstraints) (*NumberAttributeConstraints, error) {
	out := *c
	var min, max *big.Int
	if c.MinValue != "" {
		v, ok := new(big.Int).SetString(c.MinValue, 10)
		if !ok {
			return nil, awsjson.InvalidParameter("Invalid MinValue %q for attribute %s.", c.MinValue, name)
		}
		min = v
	}
	if c.MaxValue != "" {
		v, ok := new(big.Int).SetString(c.MaxValue, 10)
		if !ok {
			return nil, awsjson.InvalidParameter("Invalid MaxValue %q for attribute %s.", c.MaxValue, name)
		}
		max = v
	}
	if min != nil && max != nil && min.Cmp(max) > 0 {
		return nil, awsjson.InvalidParameter("MinValue of attribute %s is greater than its MaxValue.", name)
	}
	return &out, nil
}

// attrOp says which operation writes attributes; the rules differ per operation.
type attrOp int

const (
	attrSignUp attrOp = iota
	attrAdminCreate
	attrSelfUpdate
	attrAdminUpdate
)

func (op attrOp) creates() bool { return op == attrSignUp || op == attrAdminCreate }
func (op attrOp) byAdmin() bool { return op == attrAdminCreate || op == attrAdminUpdate }

// schemaError is Cognito's wording for an attribute that breaks the schema.
func schemaError(format string, args ...any) error {
	return awsjson.InvalidParameter("Attributes did not conform to the schema: "+format, args...)
}

// validateAttributes checks attributes written by op against pool p and returns them as a
// name→value map to merge into the user. A nil or empty Value means "remove" on updates; on
// creation such entries are dropped. It enforces: only schema attributes ("custom:" prefix for
// custom ones; "sub" is never writable), one entry per name, developer-only and *_verified
// attributes only through admin calls, immutable attributes only at creation, data types and
// constraints, email and phone formats, and (on creation) every required schema attribute.
// Callers creating a user in a pool whose UsernameAttributes include email or phone_number add
// the username-derived attribute to attrs before calling.
func (s *Service) validateAttributes(p *Pool, attrs []AttributeType, op attrOp) (map[string]string, error) {
	out := make(map[string]string, len(attrs))
	seen := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		name := a.Name
		if name == "" {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value at 'userAttributes.member.name' failed to satisfy constraint: Member must not be null")
		}
		if seen[name] {
			return nil, schemaError("%s: Duplicate attribute", name)
		}
		seen[name] = true
		sa, ok := p.Schema(name)
		if !ok {
			return nil, schemaError("Type for attribute {%s} could not be determined", name)
		}
		if name == "sub" {
			return nil, awsjson.InvalidParameter("Cannot modify the non-mutable attribute sub")
		}
		if !op.byAdmin() && (sa.DeveloperOnlyAttribute || name == "email_verified" || name == "phone_number_verified") {
			return nil, awsjson.NotAuthorized("A client attempted to write unauthorized attribute")
		}
		if !op.creates() && !sa.Mutable {
			return nil, awsjson.InvalidParameter("Cannot modify the non-mutable attribute %s", name)
		}
		v := ""
		if a.Value != nil {
			v = *a.Value
		}
		if v == "" {
			if op.creates() {
				continue
			}
			if sa.Required {
				return nil, schemaError("%s: The attribute is required", name)
			}
			out[name] = ""
			continue
		}
		norm, err := checkAttributeValue(sa, v)
		if err != nil {
			return nil, err
		}
		out[name] = norm
	}
	if op.creates() {
		var missing []string
		for _, sa := range p.SchemaAttributes {
			if sa.Required && sa.Name != "sub" && out[sa.Name] == "" {
				missing = append(missing, sa.Name+": The attribute is required")
			}
		}
		if len(missing) > 0 {
			return nil, schemaError("%s", strings.Join(missing, "\n"))
		}
	}
	return out, nil
}

// checkAttributeValue checks one non-empty value against its schema entry and returns it in
// stored form (booleans lower-cased).
func checkAttributeValue(sa SchemaAttribute, v string) (string, error) {
	switch sa.AttributeDataType {
	case "Boolean":
		switch strings.ToLower(v) {
		case "true", "false":
			return strings.ToLower(v), nil
		}
		return "", schemaError("%s: Value must be true or false", sa.Name)
	case "Number":
		n, ok := new(big.Int).SetString(v, 10)
		if !ok {
			return "", schemaError("%s: Number must be an integer", sa.Name)
		}
		if c := sa.NumberAttributeConstraints; c != nil {
			if min, ok := new(big.Int).SetString(c.MinValue, 10); ok && n.Cmp(min) < 0 {
				return "", schemaError("%s: Number must be greater than or equal to %s", sa.Name, c.MinValue)
			}
			if max, ok := new(big.Int).SetString(c.MaxValue, 10); ok && n.Cmp(max) > 0 {
				return "", schemaError("%s: Number must be less than or equal to %s", sa.Name, c.MaxValue)
			}
		}
		return v, nil
	}
	n := utf8.RuneCountInString(v)
	min, max := 0, maxAttributeValue
	if c := sa.StringAttributeConstraints; c != nil {
		if m, err := strconv.Atoi(c.MinLength); err == nil {
			min = m
		}
		if m, err := strconv.Atoi(c.MaxLength); err == nil {
			max = m
		}
	}
	if n > max {
		return "", schemaError("%s: String must be no longer than %d characters", sa.Name, max)
	}
	if n < min {
		return "", schemaError("%s: String must be no shorter than %d characters", sa.Name, min)
	}
	switch sa.Name {
	case "email":
		if !validEmail(v) {
			return "", awsjson.InvalidParameter("Invalid email address format.")
		}
	case "phone_number":
		if !validPhone(v) {
			return "", awsjson.InvalidParameter("Invalid phone number format.")
		}
	}
	return v, nil
}

// mergeAttributes applies a validateAttributes result to u: empty values remove the attribute.
// Changing email or phone_number resets its *_verified flag unless changes sets it too.
func mergeAttributes(u *User, changes map[string]string) {
	for _, attr := range []string{"email", "phone_number"} {
		v, ok := changes[attr]
		if !ok || v == u.Attributes[attr] {
			continue
		}
		if _, set := changes[attr+"_verified"]; !set {
			changes[attr+"_verified"] = ""
			if v != "" {
				changes[attr+"_verified"] = "false"
			}
		}
	}
	for k, v := range changes {
		if v == "" {
			delete(u.Attributes, k)
		} else {
			u.Attributes[k] = v
		}
	}
}

// ensureUnique refuses u when one of its sign-in attributes belongs to another user:
// an email or phone number used as username (UsernameExistsException), or a verified alias
// (AliasExistsException). prev is u before the change (nil for a new user).
func (s *Service) ensureUnique(ctx context.Context, p *Pool, u *User, prev *User) error {
	own := usernameKey(p, u.Username)
	for _, attr := range []string{"email", "phone_number", "preferred_username"} {
		usedAsName := p.UsesUsernameAttribute(attr)
		if !usedAsName && !p.UsesAlias(attr) {
			continue
		}
		if !indexable(p, u, attr) {
			continue
		}
		owner, err := s.indexOwner(ctx, p, attr, u.Attr(attr))
		if err != nil {
			return err
		}
		if owner == "" || owner == own {
			continue
		}
		if usedAsName {
			return awsjson.UsernameExists("An account with the given " + attr + " already exists.")
		}
		return awsjson.New(awsjson.ErrAliasExists, "An account with the given %s already exists.", attr)
	}
	return nil
}

// wireAttributes returns u's attributes for the wire: sub first, then the others by name.
// only, when not nil, restricts the result to the names it lists.
func wireAttributes(u *User, only []string) []AttributeType {
	want := func(name string) bool { return only == nil || contains(only, name) }
	out := make([]AttributeType, 0, len(u.Attributes)+1)
	if u.Sub != "" && want("sub") {
		sub := u.Sub
		out = append(out, AttributeType{Name: "sub", Value: &sub})
	}
	names := make([]string, 0, len(u.Attributes))
	for k, v := range u.Attributes {
		if k != "sub" && v != "" && want(k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		v := u.Attributes[k]
		out = append(out, AttributeType{Name: k, Value: &v})
	}
	return out
}
