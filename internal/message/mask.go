package message

import (
	"strings"
	"unicode/utf8"
)

// Delivery media, as Message.Medium and CodeDeliveryDetails.DeliveryMedium spell them.
const (
	MediumEmail = "EMAIL"
	MediumSMS   = "SMS"
)

// Mask hides a destination the way Cognito's CodeDeliveryDetails.Destination does
// (spec §2.3): an email address keeps the first character of its local part and of its domain
// ("bob@example.com" → "b***@e***"); a phone number keeps its "+" and last four digits, one
// "*" per hidden digit ("+12065551234" → "+*******1234"). Anything else keeps its first
// character only.
func Mask(destination, medium string) string {
	if destination == "" {
		return ""
	}
	switch medium {
	case MediumEmail:
		at := strings.LastIndexByte(destination, '@')
		if at < 0 {
			return maskPart(destination)
		}
		return maskPart(destination[:at]) + "@" + maskPart(destination[at+1:])
	case MediumSMS:
		plus, digits := "", destination
		if rest, ok := strings.CutPrefix(destination, "+"); ok {
			plus, digits = "+", rest
		}
		n := utf8.RuneCountInString(digits)
		if n <= 4 {
			return plus + strings.Repeat("*", n)
		}
		cut := len(digits)
		for range 4 {
			_, size := utf8.DecodeLastRuneInString(digits[:cut])
			cut -= size
		}
		return plus + strings.Repeat("*", n-4) + digits[cut:]
	default:
		return maskPart(destination)
	}
}

// maskPart keeps the first character of s and replaces the rest with "***".
func maskPart(s string) string {
	if s == "" {
		return "***"
	}
	_, size := utf8.DecodeRuneInString(s)
	return s[:size] + "***"
}
