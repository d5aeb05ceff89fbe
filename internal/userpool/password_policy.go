package userpool

import (
	"strings"
	"unicode/utf8"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// Password limits of the API model (PasswordType): 6 to 256 characters, no leading or
// trailing whitespace. The pool's policy is checked on top of these.
const (
	passwordModelMin = 6
	passwordModelMax = 256
	passwordPattern  = `^[\S]+.*[\S]+$`
)

// passwordSymbols are the characters Cognito counts as symbols (its documented set,
// plus the space, which counts when it is not leading or trailing).
const passwordSymbols = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- "

// checkPasswordPolicy checks password against the model constraints (InvalidParameterException,
// spec §2.8) and then against the pool policy pp (InvalidPasswordException, in the order
// Cognito reports: length, then lower case, upper case, digits, symbols).
func checkPasswordPolicy(pp PasswordPolicy, password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < passwordModelMin:
		return awsjson.InvalidParameter("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length greater than or equal to %d", passwordModelMin)
	case n > passwordModelMax:
		return awsjson.InvalidParameter("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must have length less than or equal to %d", passwordModelMax)
	case isSpace(password[0]) || isSpace(password[len(password)-1]):
		return awsjson.InvalidParameter("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", passwordPattern)
	}
	min := pp.MinimumLength
	if min == 0 {
		min = DefaultPasswordPolicy().MinimumLength
	}
	if n < min {
		return awsjson.InvalidPassword("Password did not conform with policy: Password not long enough")
	}
	var lower, upper, digit, symbol bool
	for _, r := range password {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case r < utf8.RuneSelf && strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	switch {
	case pp.RequireLowercase && !lower:
		return awsjson.InvalidPassword("Password did not conform with policy: Password must have lowercase characters")
	case pp.RequireUppercase && !upper:
		return awsjson.InvalidPassword("Password did not conform with policy: Password must have uppercase characters")
	case pp.RequireNumbers && !digit:
		return awsjson.InvalidPassword("Password did not conform with policy: Password must have numeric characters")
	case pp.RequireSymbols && !symbol:
		return awsjson.InvalidPassword("Password did not conform with policy: Password must have symbol characters")
	}
	return nil
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}

// validatePasswordPolicy checks a policy given to CreateUserPool/UpdateUserPool against the
// model's ranges and returns it with Cognito's defaults filled in (nil → the default policy).
func validatePasswordPolicy(in *PasswordPolicy) (PasswordPolicy, error) {
	if in == nil {
		return DefaultPasswordPolicy(), nil
	}
	pp := *in
	if pp.MinimumLength == 0 {
		pp.MinimumLength = DefaultPasswordPolicy().MinimumLength
	}
	if pp.TemporaryPasswordValidityDays == 0 {
		pp.TemporaryPasswordValidityDays = DefaultPasswordPolicy().TemporaryPasswordValidityDays
	}
	if err := checkRange("policies.passwordPolicy.minimumLength", pp.MinimumLength, passwordModelMin, 99); err != nil {
		return pp, err
	}
	if err := checkRange("policies.passwordPolicy.temporaryPasswordValidityDays", pp.TemporaryPasswordValidityDays, 0, 365); err != nil {
		return pp, err
	}
	if err := checkRange("policies.passwordPolicy.passwordHistorySize", pp.PasswordHistorySize, 0, 24); err != nil {
		return pp, err
	}
	return pp, nil
}

// checkRange reports a model range violation the way the service words it.
func checkRange(member string, v, min, max int) error {
	if v < min {
		return awsjson.InvalidParameter("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", v, member, min)
	}
	if v > max {
		return awsjson.InvalidParameter("1 validation error detected: Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", v, member, max)
	}
	return nil
}
