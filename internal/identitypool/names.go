package identitypool

import "strings"

// The shapes the identity-pool API gives names, ids and ARNs, checked rune by rune. They were
// regular expressions; regexp (with its compiled programs, built at every instance start) is
// kept out of the wasm builds (issue 17), and these are as easy to read as loops.
// names_test.go holds each to the expression it replaces.

// runesIn reports whether s has min to max runes, each accepted by ok. An invalid UTF-8 byte
// counts as one U+FFFD, as regexp reads it.
func runesIn(s string, min, max int, ok func(rune) bool) bool {
	n := 0
	for _, r := range s {
		n++
		if n > max || !ok(r) {
			return false
		}
	}
	return n >= min
}

// wordRune is `\w`: ASCII letters, digits and '_'.
func wordRune(r rune) bool {
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || digitRune(r) || r == '_'
}

// digitRune is `\d`: an ASCII digit.
func digitRune(r rune) bool { return '0' <= r && r <= '9' }

// spaceRune is `\s`: ASCII space, tab, line feed, form feed and carriage return.
func spaceRune(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

// wordOr returns a check for `[\w<extra>]`.
func wordOr(extra string) func(rune) bool {
	return func(r rune) bool { return wordRune(r) || strings.ContainsRune(extra, r) }
}

// validPoolName: `^[\w\s+=,.@-]{1,128}$`, an identity pool's name.
func validPoolName(s string) bool {
	return runesIn(s, 1, 128, func(r rune) bool { return wordRune(r) || spaceRune(r) || strings.ContainsRune("+=,.@-", r) })
}

// validDeveloperProviderName: `^[\w._-]{1,128}$`.
func validDeveloperProviderName(s string) bool { return runesIn(s, 1, 128, wordOr(".-")) }

// validLoginProvider: `^[\w.;_/-]{1,128}$`, a SupportedLoginProviders key.
func validLoginProvider(s string) bool { return runesIn(s, 1, 128, wordOr(".;/-")) }

// validClientID: `^[\w_]{1,128}$`, a user-pool client of CognitoIdentityProviders.
func validClientID(s string) bool { return runesIn(s, 1, 128, wordRune) }

// validAccountID: `^\d{1,15}$`.
func validAccountID(s string) bool { return runesIn(s, 1, 15, digitRune) }

// userPoolKey splits `^cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([\w-]+_[0-9a-zA-Z]+)$`, a
// user pool's provider name, into its region and pool id. The region holds no '.', so it
// ends at the first one; the pool id's alphanumeric tail holds no '_', so it starts after the
// last one.
func userPoolKey(s string) (region, poolID string, ok bool) {
	rest, found := strings.CutPrefix(s, "cognito-idp.")
	if !found {
		return "", "", false
	}
	region, rest, _ = strings.Cut(rest, ".")
	poolID, found = strings.CutPrefix(rest, "amazonaws.com/")
	if !found || !runesIn(region, 1, len(region), func(r rune) bool { return 'a' <= r && r <= 'z' || digitRune(r) || r == '-' }) {
		return "", "", false
	}
	i := strings.LastIndexByte(poolID, '_')
	if i <= 0 || !runesIn(poolID[:i], 1, i, wordOr("-")) ||
		!runesIn(poolID[i+1:], 1, len(poolID), func(r rune) bool { return wordRune(r) && r != '_' }) {
		return "", "", false
	}
	return region, poolID, true
}

// isUserPoolKey reports whether s is a user pool's provider name (userPoolKey).
func isUserPoolKey(s string) bool {
	_, _, ok := userPoolKey(s)
	return ok
}

// iamArn returns the resource of `^arn:aws:iam::\d{12}:<kind>/(.*)$`: an IAM ARN of the aws
// partition, with a 12-digit account, naming a resource of kind.
func iamArn(s, kind string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "arn:aws:iam::")
	if rest, ok = cutAccount(rest, ok); !ok {
		return "", false
	}
	return strings.CutPrefix(rest, ":"+kind+"/")
}

// cutAccount cuts the 12-digit account (`\d{12}`) off the front of s, when ok.
func cutAccount(s string, ok bool) (string, bool) {
	if !ok || len(s) < 12 || !runesIn(s[:12], 12, 12, digitRune) {
		return "", false
	}
	return s[12:], true
}

// oidcProviderOfArn returns the provider named by `^arn:aws:iam::\d{12}:oidc-provider/(.{1,1000})$`
// (an OpenIdConnectProviderARN): 1 to 1000 runes, none a line feed.
func oidcProviderOfArn(s string) (string, bool) {
	name, ok := iamArn(s, "oidc-provider")
	if !ok || !runesIn(name, 1, 1000, func(r rune) bool { return r != '\n' }) {
		return "", false
	}
	return name, true
}

// validOIDCArn: `^arn:aws:iam::\d{12}:oidc-provider/.{1,1000}$`.
func validOIDCArn(s string) bool {
	_, ok := oidcProviderOfArn(s)
	return ok
}

// oidcProviderName is the provider a declared OpenIdConnectProviderARN names ("" for an ARN
// that is not one; declared ARNs were checked by validOIDCArn).
func oidcProviderName(arn string) string {
	name, _ := oidcProviderOfArn(arn)
	return name
}

// validSamlArn: `^arn:aws:iam::\d{12}:saml-provider/[\w+=,.@-]{1,128}$`.
func validSamlArn(s string) bool {
	name, ok := iamArn(s, "saml-provider")
	return ok && runesIn(name, 1, 128, wordOr("+=,.@-"))
}

// validRoleArn: `^arn:aws[\w-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`, an IAM role of any aws
// partition (aws, aws-cn, aws-us-gov). The partition holds no ':', so it ends at the first one.
func validRoleArn(s string) bool {
	rest, ok := strings.CutPrefix(s, "arn:aws")
	if !ok {
		return false
	}
	partition, rest, _ := strings.Cut(rest, ":")
	if !runesIn(partition, 0, len(partition), wordOr("-")) {
		return false
	}
	if rest, ok = cutAccount(strings.CutPrefix(rest, "iam::")); !ok {
		return false
	}
	name, ok := strings.CutPrefix(rest, ":role/")
	return ok && runesIn(name, 1, 512, wordOr("+=,.@/-"))
}
