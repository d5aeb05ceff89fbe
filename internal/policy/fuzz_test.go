package policy

import (
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every refusal wraps ErrInvalid, and that an
// accepted document round-trips through JSON and evaluates without panicking.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		userPrefixPolicy,
		LargePolicy(3),
		`{"Statement":{"Effect":"Deny","NotAction":"s3:*","NotResource":"arn:*"}}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:x:${a, 'b'}${*}?*","Condition":{"ForAllValues:StringLike":{"k":["${x}*",1,true]},"Null":{"j":"false"},"DateLessThanIfExists":{"aws:CurrentTime":"2030-01-01"}}}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get?bject","Resource":"arn:aws:s3:::b/${aws:username"}]}`,
		`[]`, `null`, `{"Statement":null}`,
	} {
		f.Add([]byte(s), "s3:GetObject", "arn:aws:s3:::bucket/"+sub+"/k", "s3:prefix", "x")
	}
	f.Fuzz(func(t *testing.T, doc []byte, action, resource, key, value string) {
		d, err := Parse(doc)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		again, err := Parse(d.JSON())
		if err != nil {
			t.Fatalf("re-parse of %s: %v", d.JSON(), err)
		}
		r := req(action, resource)
		r.Vars[key] = value
		if d.Evaluate(r) != again.Evaluate(r) {
			t.Fatalf("round trip changed the decision")
		}
	})
}
