package trigger

import (
	"errors"
	"strings"
	"testing"
)

func TestParseAnswer(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for name, c := range map[string]struct {
		status int
		body   string
		want   string // response on success
		kind   Kind
		msg    string
	}{
		"event echoed":         {200, `{"version":"1","response":{"autoConfirmUser":true}}`, `{"autoConfirmUser":true}`, 0, ""},
		"response null":        {200, `{"response":null}`, `{}`, 0, ""},
		"spaces":               {204, " \n{\"response\": {} }\n", `{}`, 0, ""},
		"thrown error":         {200, `{"errorType":"Error","errorMessage":"no sign-ups today"}`, "", KindRejected, "PreSignUp failed with error no sign-ups today."},
		"thrown string":        {500, `{"errorMessage":"boom"}`, "", KindRejected, "PreSignUp failed with error boom."},
		"500 text":             {500, "upstream broke\n", "", KindRejected, "PreSignUp failed with error upstream broke."},
		"502 html":             {502, "<html>bad gateway</html>", "", KindRejected, "PreSignUp failed with error HTTP 502."},
		"404 empty":            {404, "", "", KindRejected, "PreSignUp failed with error HTTP 404."},
		"long message clipped": {400, `{"errorMessage":"` + long + `"}`, "", KindRejected, ""},
		"empty 200":            {200, "", "", KindInvalid, "Unrecognizable lambda output"},
		"not json":             {200, "ok", "", KindInvalid, "Unrecognizable lambda output"},
		"array":                {200, `[{"response":{}}]`, "", KindInvalid, "Unrecognizable lambda output"},
		"no response":          {200, `{"version":"1"}`, "", KindInvalid, "Unrecognizable lambda output"},
		"response string":      {200, `{"response":"yes"}`, "", KindInvalid, "Unrecognizable lambda output"},
		"truncated":            {200, `{"response":{"a":`, "", KindInvalid, "Unrecognizable lambda output"},
		"trailing data":        {200, `{"response":{}} {}`, "", KindInvalid, "Unrecognizable lambda output"},
		"too long":             {200, `{"response":{"a":"` + strings.Repeat("y", MaxAnswerBytes) + `"}}`, "", KindInvalid, "Unrecognizable lambda output"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAnswer("PreSignUp", c.status, []byte(c.body))
			if c.kind == 0 {
				if err != nil || string(got) != c.want {
					t.Fatalf("got %s, %v; want %s", got, err, c.want)
				}
				return
			}
			var te *Error
			if !errors.As(err, &te) || te.Kind != c.kind {
				t.Fatalf("got %s, %v; want kind %d", got, err, c.kind)
			}
			if c.msg != "" && te.Message != c.msg {
				t.Fatalf("message %q, want %q", te.Message, c.msg)
			}
			if len(te.Message) > 800 {
				t.Fatalf("message of %d bytes", len(te.Message))
			}
		})
	}
}

// FuzzParseAnswer: any status and body give a response object or an *Error with a bounded
// message, never a panic.
func FuzzParseAnswer(f *testing.F) {
	for _, s := range []string{`{"response":{}}`, `{"errorMessage":"x","errorType":"E"}`, `{"response":null}`,
		`{"response":[1]}`, `nonsense`, `{"response":{"claimsOverrideDetails":{"claimsToSuppress":["email"]}}}`,
		`{"errorMessage":null}`, `{"response":{}, "response":"dup"}`, "\xff\xfe"} {
		f.Add(200, []byte(s))
		f.Add(500, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		got, err := ParseAnswer("CustomMessage", status, body)
		if err != nil {
			var te *Error
			if !errors.As(err, &te) || te.Kind < KindRejected || te.Kind > KindInvalid {
				t.Fatalf("error %v is not a trigger error", err)
			}
			if len(te.Message) > 800 {
				t.Fatalf("message of %d bytes", len(te.Message))
			}
			return
		}
		if status < 200 || status > 299 || len(got) == 0 || got[0] != '{' {
			t.Fatalf("status %d body %q accepted as %s", status, body, got)
		}
	})
}

func TestCheckArn(t *testing.T) {
	for _, ok := range []string{
		"arn:aws:lambda:us-east-1:000000000000:function:pre-signup",
		"arn:aws:lambda:eu-west-1:123456789012:function:f_1:prod",
		"arn:aws-cn:lambda:cn-north-1:123456789012:function:f:$LATEST",
	} {
		if err := CheckArn(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "arn:aws:lambda:us-east-1:000000000000:function:", "arn:aws:s3:us-east-1:000000000000:function:f",
		"arn:aws:lambda:us-east-1:0000:function:f", "arn:aws:lambda::000000000000:function:f",
		"arn:aws:lambda:us-east-1:000000000000:layer:f", "arn:aws:lambda:us-east-1:000000000000:function:f:",
		"arn:aws:lambda:us-east-1:000000000000:function:a b", "arn:aws:lambda:us-east-1:000000000000:function:f:a:b",
		"arn:aws:lambda:us-east-1:000000000000:function:" + strings.Repeat("f", 2048),
	} {
		if err := CheckArn(bad); !errors.Is(err, ErrBadArn) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFunctionCheck(t *testing.T) {
	arn := "arn:aws:lambda:us-east-1:000000000000:function:f"
	for _, ok := range []Function{{Arn: arn, Url: "http://127.0.0.1:9000/f"}, {Arn: arn, Service: "PRE_SIGNUP"}} {
		if err := ok.Check(); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
	for _, bad := range []Function{{Arn: arn}, {Arn: arn, Url: "ftp://x/"}, {Arn: arn, Url: "/relative"},
		{Arn: arn, Url: "http://u:p@host/"}, {Arn: arn, Url: "http://h/", Service: "S"}, {Arn: arn, Service: "a-b"},
		{Arn: arn, Service: "9x"}, {Arn: "f", Url: "http://h/"}} {
		if err := bad.Check(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
