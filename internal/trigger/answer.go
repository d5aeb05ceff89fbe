package trigger

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/poolgate/poolgate/internal/bound"
)

// MaxAnswerBytes bounds the answer body the invoker reads; a longer one is malformed. Lambda
// allows 6 MB for a synchronous answer, but no trigger's response comes near 256 KiB.
const MaxAnswerBytes = 256 << 10

// maxErrorMessageBytes bounds a handler's errorMessage inside Cognito's message, which
// itself stays under bound.MessageBytes.
const maxErrorMessageBytes = 700

// lambdaError is the body Lambda's runtimes answer for a handler that threw.
type lambdaError struct {
	ErrorType    *string `json:"errorType"`
	ErrorMessage *string `json:"errorMessage"`
}

// ParseAnswer reads an endpoint's answer (status and body, the body at most MaxAnswerBytes)
// for trigger and returns the handler's "response" member (an object; "{}" when the handler
// returned it null). Its errors are *Error.
func ParseAnswer(trigger string, status int, body []byte) (json.RawMessage, error) {
	if status < 200 || status > 299 {
		msg := "HTTP " + strconv.Itoa(status)
		if le, ok := asLambdaError(body); ok {
			msg = le
		} else if t := strings.TrimSpace(string(body)); t != "" && !bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
			msg = t
		}
		return nil, rejected(trigger, msg)
	}
	if len(body) > MaxAnswerBytes {
		return nil, invalid(trigger, "the answer is longer than "+strconv.Itoa(MaxAnswerBytes)+" bytes")
	}
	if le, ok := asLambdaError(body); ok {
		return nil, rejected(trigger, le)
	}
	var out struct {
		Response json.RawMessage `json:"response"`
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return nil, invalid(trigger, "the answer is not a JSON object")
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, invalid(trigger, "the answer is not a JSON object")
	}
	resp := bytes.TrimSpace(out.Response)
	switch {
	case len(resp) == 0:
		return nil, invalid(trigger, "the answer has no response member")
	case string(resp) == "null":
		return json.RawMessage("{}"), nil
	case resp[0] != '{':
		return nil, invalid(trigger, "the answer's response member is not an object")
	}
	return json.RawMessage(resp), nil
}

// asLambdaError reports the errorMessage of a Lambda error body: a JSON object with a string
// errorMessage (errorType is optional: Node's runtime sends both, a thrown string has none).
func asLambdaError(body []byte) (string, bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return "", false
	}
	var le lambdaError
	if json.Unmarshal(body, &le) != nil || le.ErrorMessage == nil {
		return "", false
	}
	return *le.ErrorMessage, true
}

// rejected is the handler failing: Cognito's "<Trigger> failed with error <message>."
func rejected(trigger, message string) *Error {
	message = bound.String(strings.TrimSpace(message), maxErrorMessageBytes)
	return &Error{Kind: KindRejected, Message: trigger + " failed with error " + message + "."}
}

// invalid is an answer that cannot be used; detail goes to the log, not to the caller.
func invalid(trigger, detail string) *Error {
	return &Error{Kind: KindInvalid, Message: "Unrecognizable lambda output", Detail: trigger + ": " + detail}
}

// unexpected is a function that could not be run or did not answer in time.
func unexpected(trigger, reason, detail string) *Error {
	return &Error{Kind: KindUnexpected, Message: trigger + " invocation failed due to error " + reason + ".", Detail: detail}
}
