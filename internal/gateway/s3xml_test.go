package gateway

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// encodedS3Error is the document encoding/xml writes (what s3ErrorXML replaced).
func encodedS3Error(code, message, resource string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	xml.NewEncoder(&b).Encode(struct {
		XMLName  xml.Name `xml:"Error"`
		Code     string   `xml:"Code"`
		Message  string   `xml:"Message"`
		Resource string   `xml:"Resource,omitempty"`
	}{Code: code, Message: message, Resource: resource})
	return b.Bytes()
}

// FuzzS3ErrorXML: the hand-written S3 error document is byte for byte encoding/xml's, and
// parses back to the same (valid) text.
func FuzzS3ErrorXML(f *testing.F) {
	f.Add("AccessDenied", "Access Denied", "")
	f.Add("SignatureDoesNotMatch", `a "quoted" <tag> & 'apos'`+"\t\n\r", "/bucket/key?x=1&y=2")
	f.Add("X", "\x00\x01\xff\xfe\ufffe\U0001F600\u2028", "\ud7ff\ue000")
	f.Fuzz(func(t *testing.T, code, message, resource string) {
		got, want := s3ErrorXML(code, message, resource), encodedS3Error(code, message, resource)
		if !bytes.Equal(got, want) {
			t.Fatalf("got  %q\nwant %q", got, want)
		}
	})
}
