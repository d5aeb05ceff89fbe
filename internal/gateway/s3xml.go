package gateway

import (
	"strings"
	"unicode/utf8"
)

// xmlHeader is encoding/xml's Header.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// s3ErrorXML is S3's XML error document, byte for byte what encoding/xml writes for it
// (s3xml_test.go compares the two). It is written by hand because encoding/xml is the only
// reason the Worker would link an XML package (issue 17: the Worker's size).
func s3ErrorXML(code, message, resource string) []byte {
	var b strings.Builder
	b.WriteString(xmlHeader)
	b.WriteString("<Error><Code>")
	escapeXML(&b, code)
	b.WriteString("</Code><Message>")
	escapeXML(&b, message)
	b.WriteString("</Message>")
	if resource != "" {
		b.WriteString("<Resource>")
		escapeXML(&b, resource)
		b.WriteString("</Resource>")
	}
	b.WriteString("</Error>")
	return []byte(b.String())
}

// escapeXML writes s as XML character data the way encoding/xml.EscapeText does: the five
// markup characters and tab, newline and carriage return as character references, and
// anything that is not an XML character (or not UTF-8) as U+FFFD.
func escapeXML(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		switch {
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\t':
			b.WriteString("&#x9;")
		case r == '\n':
			b.WriteString("&#xA;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == utf8.RuneError && width == 1 || !isXMLChar(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
}

// isXMLChar is XML 1.0's Char production (encoding/xml's isInCharacterRange).
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
