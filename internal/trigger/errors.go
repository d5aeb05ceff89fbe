package trigger

// Kind says which of Cognito's three trigger errors an Error is.
type Kind uint8

const (
	// KindRejected: the handler failed (threw, answered non-2xx or a Lambda error body):
	// UserLambdaValidationException.
	KindRejected Kind = iota + 1
	// KindUnexpected: the function is not configured, unreachable or did not answer within
	// the timeout: UnexpectedLambdaException.
	KindUnexpected
	// KindInvalid: the answer is not a usable return value: InvalidLambdaResponseException.
	KindInvalid
)

// Error is a failed invocation. Message is Cognito's message for the caller (bounded);
// Detail is for the log only (it may name the endpoint).
type Error struct {
	Kind    Kind
	Message string
	Detail  string
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return "trigger: " + e.Message + " (" + e.Detail + ")"
	}
	return "trigger: " + e.Message
}
