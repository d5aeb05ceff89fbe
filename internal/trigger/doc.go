// Package trigger invokes a user pool's Lambda triggers the way poolgate runs them instead of
// Lambda: the event Lambda would receive is POSTed as JSON to the endpoint the configuration
// file maps the function's ARN to (or, on the Worker, handed to a Cloudflare service binding),
// signed like the message webhook, and the answer's body is read as the handler's return value.
//
// The contract an endpoint meets (tools/lambda-adapter serves any Lambda handler module by it):
//
//	POST <Url>
//	Content-Type: application/json
//	X-Poolgate-Timestamp: <unix seconds>
//	X-Poolgate-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	X-Poolgate-Function: <the function's ARN>
//
//	{"version":"1","triggerSource":"PreSignUp_SignUp","region":...,"userPoolId":...,
//	 "userName":...,"callerContext":{"awsSdkVersion":...,"clientId":...},
//	 "request":{...},"response":{...}}
//
// A 2xx answer whose body is the event (or any object) with "response" filled succeeds. A
// non-2xx answer, or a Lambda error body {"errorType","errorMessage"}, is the handler failing
// (UserLambdaValidationException); no answer within Timeout or an unreachable endpoint is
// UnexpectedLambdaException; an answer that is not such JSON is InvalidLambdaResponseException.
package trigger
