package awsjson

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A shape is what Cognito's service model says about the value of one member: its length (in
// UTF-16 code units, as the service counts), the characters it may hold, its whole form, the
// range of a number, and for lists and maps their size and the shape of their elements.
//
// The patterns are checked by hand-written functions, not regexp: a regexp of Unicode classes
// such as [\p{L}\p{M}\p{S}\p{N}\p{P}] builds megabytes of tables per wasm instance start.
// pattern is the model's regular expression the functions implement, quoted in the message.
type shape struct {
	minLen, maxLen int                  // maxLen 0: unbounded
	char           func(rune) bool      // every character must satisfy it; nil: any
	ascii          *[utf8.RuneSelf]bool // char of each ASCII character (withASCII), read instead of calling char
	form           func(string) bool
	pattern        string

	number         bool
	minVal, maxVal int64

	maxItems int               // lists and maps: most elements (0: unbounded)
	elem     *shape            // lists: every element; maps: every value
	key      *shape            // maps: every key
	entries  map[string]*shape // maps: the value of these keys
}

// memberShapes binds member names to the shapes of Cognito's model (the API references of
// CognitoIdentityProvider and CognitoIdentity). Both APIs name a member after its shape, so a
// member of any action's input, at any depth, gets its shape from its name; "Parent.Member"
// entries bind members of one enclosing member (UserAttributes.Name). Every action decoded by
// Decode is checked, so no action can forget it. A struct field tagged `validate:"<entry>"`
// takes the shape of that entry instead, and `validate:"-"` opts out.
var memberShapes = func() map[string]*shape {
	poolID := &shape{minLen: 1, maxLen: 55, form: isPoolID, pattern: `[\w-]+_[0-9a-zA-Z]+`}
	clientID := &shape{minLen: 1, maxLen: 128, char: isWordOrPlus, pattern: `[\w+]+`}
	visible := func(max int) *shape {
		return &shape{minLen: 1, maxLen: max, char: isVisible, pattern: `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`}
	}
	username := visible(128)
	attrName := visible(32)
	password := &shape{maxLen: 256}
	nextToken := &shape{minLen: 1, maxLen: 65535, char: notSpace, pattern: `[\S]+`}
	deviceKey := &shape{minLen: 1, maxLen: 55, form: isDeviceKey, pattern: `[\w-]+_[0-9a-f-]+`}
	identityID := &shape{minLen: 1, maxLen: 55, form: isIdentityID, pattern: `[\w-]+:[0-9a-f-]+`}
	name := func() *shape { return &shape{minLen: 1, maxLen: 128, char: isNameChar, pattern: `[\w\s+=,.@-]+`} }
	arn := &shape{minLen: 20, maxLen: 2048}
	code := &shape{minLen: 1, maxLen: 2048, char: notSpace, pattern: `[\S]+`}
	url := &shape{minLen: 1, maxLen: 1024}
	tags := &shape{maxItems: 50, key: &shape{minLen: 1, maxLen: 128}, elem: &shape{maxLen: 256}}
	providerName := &shape{minLen: 1, maxLen: 128}
	attribute := map[string]*shape{"Name": attrName, "Value": {maxLen: 2048}}
	idpIdentifier := &shape{minLen: 1, maxLen: 40, char: isIdpIdentifierChar, pattern: `[\w\s+=.@-]+`}
	// MFA (spec §13): messages carry the code's place, "{####}".
	smsMfaMessage := &shape{minLen: 6, maxLen: 140, form: hasCodePlace, pattern: `.*\{####\}.*`}
	authEntries := &shape{entries: map[string]*shape{"USERNAME": username, "DEVICE_KEY": deviceKey}}

	m := map[string]*shape{
		// user pools
		"UserPoolId":                 poolID,
		"ClientId":                   clientID,
		"Username":                   username,
		"GroupName":                  visible(128),
		"AttributeName":              attrName,
		"UserAttributeNames":         {elem: attrName},
		"AttributesToGet":            {elem: attrName},
		"Password":                   password,
		"ProposedPassword":           password,
		"PreviousPassword":           password,
		"TemporaryPassword":          password,
		"ConfirmationCode":           code,
		"Code":                       code,
		"Session":                    {minLen: 20, maxLen: 2048},
		"AccessToken":                {char: isTokenChar, pattern: `[A-Za-z0-9-_=.]+`},
		"ClientSecret":               {minLen: 1, maxLen: 64, char: isWordOrPlus, pattern: `[\w+]+`},
		"SecretHash":                 {minLen: 1, maxLen: 128, char: isSecretHashChar, pattern: `[\w+=/]+`},
		"PoolName":                   name(),
		"ClientName":                 name(),
		"DeviceKey":                  deviceKey,
		"DeviceName":                 {minLen: 1, maxLen: 1024},
		"PaginationToken":            nextToken,
		"NextToken":                  nextToken,
		"Filter":                     {maxLen: 256},
		"Description":                {maxLen: 2048},
		"RoleArn":                    arn,
		"Precedence":                 {number: true, minVal: 0, maxVal: 1<<31 - 1},
		"Limit":                      {number: true, minVal: 0, maxVal: 60},
		"MaxResults":                 {number: true, minVal: 1, maxVal: 60},
		"AuthParameters":             authEntries,
		"ChallengeResponses":         authEntries,
		"Schema.Name":                visible(20),
		"EmailVerificationMessage":   {maxLen: 20000},
		"EmailVerificationSubject":   {maxLen: 140},
		"SmsVerificationMessage":     {maxLen: 140},
		"SmsAuthenticationMessage":   smsMfaMessage,
		"UserPoolTags":               tags,
		"CallbackURLs":               {maxItems: 100, elem: url},
		"LogoutURLs":                 {maxItems: 100, elem: url},
		"DefaultRedirectURI":         url,
		"ReadAttributes":             {elem: &shape{minLen: 1, maxLen: 2048}},
		"WriteAttributes":            {elem: &shape{minLen: 1, maxLen: 2048}},
		"AllowedOAuthScopes":         {maxItems: 50, elem: &shape{minLen: 1, maxLen: 256}},
		"SupportedIdentityProviders": {elem: &shape{minLen: 1, maxLen: 32}},

		// MFA
		"SmsMfaConfiguration.SmsAuthenticationMessage": smsMfaMessage,
		"EmailMfaConfiguration.Message": {minLen: 6, maxLen: 20000, char: isVisibleOrSpace, form: hasCodePlace,
			pattern: `[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*`},
		"EmailMfaConfiguration.Subject": {minLen: 1, maxLen: 140, char: isVisibleOrSpace, pattern: `[\p{L}\p{M}\p{S}\p{N}\p{P}\s]+`},
		"UserCode":                      {minLen: 6, maxLen: 6, char: isDigit, pattern: `[0-9]+`},
		// The model leaves FriendlyDeviceName unbounded; poolgate keeps it in the user record.
		"FriendlyDeviceName": {maxLen: 256},

		// threat protection
		"EventId":            {minLen: 1, maxLen: 50, char: isEventIDChar, pattern: `[\w+-]+`},
		"FeedbackToken":      {minLen: 20, maxLen: 2048},
		"BlockedIPRangeList": {maxItems: 200, elem: &shape{minLen: 1, maxLen: 64}},
		"SkippedIPRangeList": {maxItems: 200, elem: &shape{minLen: 1, maxLen: 64}},

		// managed login: domains, resource servers, identity providers
		"Domain":              {minLen: 1, maxLen: 63, form: isDomainName, pattern: `^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`},
		"CertificateArn":      arn,
		"Identifier":          {minLen: 1, maxLen: 256, char: isResourceServerIdentifierChar, pattern: `[\x21\x23-\x5B\x5D-\x7E]+`},
		"ResourceServer.Name": {minLen: 1, maxLen: 256, char: isNameChar, pattern: `[\w\s+=,.@-]+`},
		"Scopes":              {maxItems: 100},
		"ScopeName":           {minLen: 1, maxLen: 256, char: isScopeNameChar, pattern: `[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+`},
		"ScopeDescription":    {minLen: 1, maxLen: 256},
		// CreateIdentityProvider names a provider with ProviderNameTypeV2; the other actions
		// with ProviderNameType. ("ProviderName" alone is the identity pools' member.)
		"IdentityProvider.NewProviderName": {minLen: 1, maxLen: 32, form: isNewProviderName, pattern: `[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+`},
		"IdentityProvider.ProviderName":    {minLen: 1, maxLen: 32, char: isVisibleOrSeparator, pattern: `[\p{L}\p{M}\p{S}\p{N}\p{P}\p{Z}]+`},
		"ProviderDetails":                  {elem: &shape{maxLen: 131072}},
		"AttributeMapping":                 {key: &shape{minLen: 1, maxLen: 32}, elem: &shape{maxLen: 131072}},
		"IdpIdentifier":                    idpIdentifier,
		"IdpIdentifiers":                   {maxItems: 50, elem: idpIdentifier},
		"ListIdentityProviders.MaxResults": {number: true, minVal: 0, maxVal: 60},
		"ListResourceServers.MaxResults":   {number: true, minVal: 1, maxVal: 50},
		// branding: the classic hosted UI's CSS (no bound in the model; the request is capped
		// at 135 KB [est]) and managed login styles
		"CSS":                    {maxLen: 131072},
		"ManagedLoginBrandingId": {form: isUUIDv4, pattern: `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[4][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$`},
		"Assets":                 {maxItems: 40},
		"Bytes":                  {maxItems: 1000000},
		"ResourceId":             {minLen: 1, maxLen: 40, char: isResourceIdChar, pattern: `^[\w\- ]+$`},

		// user import jobs
		"JobName":               name(),
		"JobId":                 {minLen: 1, maxLen: 55, form: isImportJobID, pattern: `import-[0-9a-zA-Z-]+`},
		"CloudWatchLogsRoleArn": arn,

		// identity pools
		"IdentityPoolId":            {minLen: 1, maxLen: 55, form: isIdentityID, pattern: `[\w-]+:[0-9a-f-]+`},
		"IdentityId":                identityID,
		"IdentityIdsToDelete":       {maxItems: 60, elem: identityID},
		"IdentityPoolName":          name(),
		"ProviderName":              providerName,
		"Logins":                    {maxItems: 10, key: providerName, elem: &shape{minLen: 1, maxLen: 50000}},
		"LoginsToRemove":            {elem: providerName},
		"SupportedLoginProviders":   {maxItems: 10, key: providerName, elem: &shape{minLen: 1, maxLen: 128}},
		"DeveloperProviderName":     {minLen: 1, maxLen: 128},
		"DeveloperUserIdentifier":   {minLen: 1, maxLen: 1024},
		"CustomRoleArn":             arn,
		"Roles":                     {maxItems: 2, key: &shape{minLen: 1, maxLen: 128}, elem: arn},
		"RoleMappings":              {maxItems: 10, key: providerName},
		"PrincipalTags":             {maxItems: 50, key: &shape{minLen: 1, maxLen: 128}, elem: &shape{maxLen: 256}},
		"IdentityPoolTags":          tags,
		"OpenIdConnectProviderARNs": {elem: arn},
		"SamlProviderARNs":          {elem: arn},
	}
	for _, parent := range []string{"UserAttributes", "ValidationData"} {
		for k, s := range attribute {
			m[parent+"."+k] = s
		}
	}
	for _, s := range m {
		s.withASCII()
	}
	return m
}()

// withASCII fills s.ascii, and its elements' and entries', from char: member values are
// mostly ASCII (tokens, ids, names), and a table read costs less than a call per character.
func (s *shape) withASCII() {
	if s == nil || (s.char != nil && s.ascii != nil) {
		return
	}
	if s.char != nil {
		t := new([utf8.RuneSelf]bool)
		for c := range utf8.RuneSelf {
			t[c] = s.char(rune(c))
		}
		s.ascii = t
	}
	s.elem.withASCII()
	s.key.withASCII()
	for _, e := range s.entries {
		e.withASCII()
	}
}

// shapeOf returns the shape of field f (JSON name name) inside member parent ("" at the top).
func shapeOf(f reflect.StructField, parent, name string) *shape {
	if tag, ok := f.Tag.Lookup("validate"); ok {
		if tag == "-" {
			return nil
		}
		s, ok := memberShapes[tag]
		if !ok {
			panic(fmt.Sprintf("awsjson: field %s: validate tag %q names no shape", f.Name, tag))
		}
		return s
	}
	if parent != "" {
		if s, ok := memberShapes[parent+"."+name]; ok {
			return s
		}
	}
	return memberShapes[name]
}

// check appends the problems of value v (at path member) against s.
func (s *shape) check(v reflect.Value, member string, problems *[]string) {
	switch v.Kind() {
	case reflect.String:
		*problems = append(*problems, s.stringProblems(v.String(), member)...)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if s.number {
			s.checkNumber(v.Int(), member, problems)
		}
	case reflect.Slice, reflect.Array:
		s.checkSize(v.Len(), member, problems)
		if s.elem == nil {
			return
		}
		for i := 0; i < v.Len(); i++ {
			if e := derefValue(v.Index(i)); e.IsValid() && e.Kind() == reflect.String {
				if ps := s.elem.stringProblems(e.String(), member); len(ps) > 0 {
					*problems = append(*problems, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must satisfy constraint: [%s]", member, joinConstraints(ps)))
					return
				}
			}
		}
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return
		}
		s.checkSize(v.Len(), member, problems)
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		var keyProblem, valueProblem string
		for _, k := range keys {
			e := derefValue(v.MapIndex(k))
			isString := e.IsValid() && e.Kind() == reflect.String
			if es, ok := s.entries[k.String()]; ok && isString {
				*problems = append(*problems, es.stringProblems(e.String(), member+"."+k.String())...)
			}
			if s.key != nil && keyProblem == "" {
				if ps := s.key.stringProblems(k.String(), member); len(ps) > 0 {
					keyProblem = joinConstraints(ps)
				}
			}
			if s.elem != nil && isString && valueProblem == "" {
				if ps := s.elem.stringProblems(e.String(), member); len(ps) > 0 {
					valueProblem = joinConstraints(ps)
				}
			}
		}
		if keyProblem != "" {
			*problems = append(*problems, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Map keys must satisfy constraint: [%s]", member, keyProblem))
		}
		if valueProblem != "" {
			*problems = append(*problems, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Map value must satisfy constraint: [%s]", member, valueProblem))
		}
	}
}

func (s *shape) checkSize(n int, member string, problems *[]string) {
	if s.maxItems > 0 && n > s.maxItems {
		*problems = append(*problems, fmt.Sprintf("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", member, s.maxItems))
	}
}

func (s *shape) checkNumber(n int64, member string, problems *[]string) {
	switch {
	case n < s.minVal:
		*problems = append(*problems, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", n, member, s.minVal))
	case n > s.maxVal:
		*problems = append(*problems, fmt.Sprintf("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", n, member, s.maxVal))
	}
}

// stringProblems returns AWS's wording of every constraint v breaks. The value is not echoed:
// it may be long, or a secret.
func (s *shape) stringProblems(v, member string) []string {
	var out []string
	add := func(constraint string) {
		out = append(out, "Value at '"+member+"' failed to satisfy constraint: "+constraint)
	}
	n := utf16Len(v, s.maxLen)
	if s.minLen > 0 && n < s.minLen {
		add("Member must have length greater than or equal to " + strconv.Itoa(s.minLen))
	}
	if s.maxLen > 0 && n > s.maxLen {
		add("Member must have length less than or equal to " + strconv.Itoa(s.maxLen))
	}
	if v != "" && !s.matches(v) {
		add("Member must satisfy regular expression pattern: " + s.pattern)
	}
	return out
}

// matches reports whether a non-empty v has the shape's characters and form.
func (s *shape) matches(v string) bool {
	if s.char != nil {
		for i := 0; i < len(v); {
			if c := v[i]; c < utf8.RuneSelf && s.ascii != nil {
				if !s.ascii[c] {
					return false
				}
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(v[i:]) // as range does: bad UTF-8 is U+FFFD, 1 byte
			if !s.char(r) {
				return false
			}
			i += size
		}
	}
	return s.form == nil || s.form(v)
}

// joinConstraints turns "Value at 'x' failed to satisfy constraint: C" problems into "C, C".
func joinConstraints(ps []string) string {
	cs := make([]string, len(ps))
	for i, p := range ps {
		_, cs[i], _ = strings.Cut(p, "failed to satisfy constraint: ")
	}
	return strings.Join(cs, ", ")
}

// utf16Len is the length of s in UTF-16 code units (Java's String.length), counted no further
// than just past limit when limit > 0.
func utf16Len(s string, limit int) int {
	n := 0
	for _, r := range s {
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
		if limit > 0 && n > limit {
			return n
		}
	}
	return n
}

// isVisible is [\p{L}\p{M}\p{S}\p{N}\p{P}]: letters, marks, symbols, numbers, punctuation.
func isVisible(r rune) bool {
	if r < utf8.RuneSelf {
		return '!' <= r && r <= '~'
	}
	return unicode.In(r, unicode.L, unicode.M, unicode.S, unicode.N, unicode.P)
}

// isWord is Java's ASCII \w: [a-zA-Z_0-9].
func isWord(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '_'
}

func isAlnum(r rune) bool { return isWord(r) && r != '_' }

func isWordOrPlus(r rune) bool { return isWord(r) || r == '+' }

func isEventIDChar(r rune) bool { return isWord(r) || r == '+' || r == '-' }

func isSecretHashChar(r rune) bool { return isWord(r) || r == '+' || r == '=' || r == '/' }

// isSpace is Java's \s: [ \t\n\x0B\f\r].
func isSpace(r rune) bool { return r == ' ' || '\t' <= r && r <= '\r' }

func notSpace(r rune) bool { return !isSpace(r) }

// isNameChar is [\w\s+=,.@-].
func isNameChar(r rune) bool { return isWord(r) || isSpace(r) || strings.ContainsRune("+=,.@-", r) }

// isTokenChar is [A-Za-z0-9-_=.].
func isTokenChar(r rune) bool { return isWord(r) || r == '-' || r == '=' || r == '.' }

func isHexOrDash(r rune) bool { return '0' <= r && r <= '9' || 'a' <= r && r <= 'f' || r == '-' }

// twoPart matches prefix+sep+suffix with prefix in [\w-]+ and suffix made of rest: the
// separator is the last sep (the suffix classes here exclude it), the prefix not empty.
func twoPart(v string, sep byte, rest func(rune) bool) bool {
	i := strings.LastIndexByte(v, sep)
	if i < 1 || i == len(v)-1 {
		return false
	}
	for _, r := range v[:i] {
		if !isWord(r) && r != '-' {
			return false
		}
	}
	for _, r := range v[i+1:] {
		if !rest(r) {
			return false
		}
	}
	return true
}

// isImportJobID checks import-[0-9a-zA-Z-]+ (JobId).
func isImportJobID(v string) bool {
	rest, ok := strings.CutPrefix(v, "import-")
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if !isAlnum(r) && r != '-' {
			return false
		}
	}
	return true
}

// isPoolID is [\w-]+_[0-9a-zA-Z]+.
func isPoolID(v string) bool { return twoPart(v, '_', isAlnum) }

// isDeviceKey is [\w-]+_[0-9a-f-]+.
func isDeviceKey(v string) bool { return twoPart(v, '_', isHexOrDash) }

// isIdentityID is [\w-]+:[0-9a-f-]+.
func isIdentityID(v string) bool { return twoPart(v, ':', isHexOrDash) }

// isDomainName is a user-pool domain: a prefix, ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$, or
// a custom domain, a host name made of such labels joined by dots. (The model gives only the
// prefix pattern, but the service takes a custom domain's full name in the same member.)
func isDomainName(v string) bool {
	for _, label := range strings.Split(v, ".") {
		if !isDomainLabel(label) {
			return false
		}
	}
	return true
}

// isDomainLabel is ^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$.
func isDomainLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isResourceServerIdentifierChar is [\x21\x23-\x5B\x5D-\x7E]: printable ASCII but space, '"' and '\'.
func isResourceServerIdentifierChar(r rune) bool {
	return r == 0x21 || 0x23 <= r && r <= 0x5B || 0x5D <= r && r <= 0x7E
}

// isScopeNameChar is [\x21\x23-\x2E\x30-\x5B\x5D-\x7E]: the identifier's characters but '/'.
func isScopeNameChar(r rune) bool { return isResourceServerIdentifierChar(r) && r != '/' }

// isIdpIdentifierChar is [\w\s+=.@-].
func isIdpIdentifierChar(r rune) bool {
	return isWord(r) || isSpace(r) || strings.ContainsRune("+=.@-", r)
}

// isVisibleOrSeparator is [\p{L}\p{M}\p{S}\p{N}\p{P}\p{Z}].
// isVisibleOrSpace is [\p{L}\p{M}\p{S}\p{N}\p{P}\s].
func isVisibleOrSpace(r rune) bool { return isVisible(r) || isSpace(r) }

// isDigit is [0-9].
func isDigit(r rune) bool { return '0' <= r && r <= '9' }

// hasCodePlace reports whether a message template has the code's place, "{####}".
func hasCodePlace(s string) bool { return strings.Contains(s, "{####}") }

func isVisibleOrSeparator(r rune) bool { return isVisible(r) || unicode.Is(unicode.Z, r) }

// isNewProviderName is [^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+ (three characters at least).
func isNewProviderName(v string) bool {
	notUnderscoreOrSeparator := func(r rune) bool { return r != '_' && !unicode.Is(unicode.Z, r) }
	i := 0
	for _, r := range v {
		switch {
		case i == 1 && !isVisible(r):
			return false
		case i != 1 && !notUnderscoreOrSeparator(r):
			return false
		}
		i++
	}
	return i >= 3
}

// isResourceIdChar is [\w\- ].
func isResourceIdChar(r rune) bool { return isWord(r) || r == '-' || r == ' ' }

// isUUIDv4 is ^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[4][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$.
func isUUIDv4(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case i == 14:
			if c != '4' {
				return false
			}
		case i == 19:
			if !strings.ContainsRune("89abAB", rune(c)) {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'):
			return false
		}
	}
	return true
}
