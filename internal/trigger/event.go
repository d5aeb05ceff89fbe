package trigger

import "encoding/json"

// Event is the envelope Lambda hands a Cognito trigger (AWS's "Parameters shared by all
// user pool Lambda triggers"); Request and Response are the trigger's own shapes.
type Event struct {
	Version       string          `json:"version"` // "1"; "2" and "3" for PreTokenGeneration V2_0 and V3_0
	TriggerSource string          `json:"triggerSource"`
	Region        string          `json:"region"`
	UserPoolID    string          `json:"userPoolId"`
	UserName      string          `json:"userName"`
	CallerContext CallerContext   `json:"callerContext"`
	Request       json.RawMessage `json:"request"`
	Response      json.RawMessage `json:"response"`
}

// CallerContext names the caller as Lambda's event does.
type CallerContext struct {
	AWSSDKVersion string `json:"awsSdkVersion"`
	ClientID      string `json:"clientId"`
}

// SDKVersion is what poolgate puts in callerContext.awsSdkVersion: Cognito puts the version
// of the SDK it calls Lambda with ("aws-sdk-unknown-unknown" is what it sends when it has
// none to name); poolgate names itself in the same form [est].
const SDKVersion = "aws-sdk-poolgate-1"
