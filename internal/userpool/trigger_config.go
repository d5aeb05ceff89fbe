package userpool

import (
	"strings"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/trigger"
)

// LambdaConfig is a pool's Lambda triggers (Cognito's LambdaConfigType): which function runs
// for each trigger. poolgate runs a function where the configuration file's Functions map its
// ARN (trigger_functions.go).
type LambdaConfig struct {
	PreSignUp                   string `json:"PreSignUp,omitempty"`
	CustomMessage               string `json:"CustomMessage,omitempty"`
	PostConfirmation            string `json:"PostConfirmation,omitempty"`
	PreAuthentication           string `json:"PreAuthentication,omitempty"`
	PostAuthentication          string `json:"PostAuthentication,omitempty"`
	DefineAuthChallenge         string `json:"DefineAuthChallenge,omitempty"`
	CreateAuthChallenge         string `json:"CreateAuthChallenge,omitempty"`
	VerifyAuthChallengeResponse string `json:"VerifyAuthChallengeResponse,omitempty"`
	// PreTokenGeneration is the V1_0 spelling of PreTokenGenerationConfig's LambdaArn; a pool
	// that sets either shows both (as Cognito describes them).
	PreTokenGeneration       string                    `json:"PreTokenGeneration,omitempty"`
	PreTokenGenerationConfig *PreTokenGenerationConfig `json:"PreTokenGenerationConfig,omitempty"`
	UserMigration            string                    `json:"UserMigration,omitempty"`
	CustomSMSSender          *CustomSenderConfig       `json:"CustomSMSSender,omitempty"`
	CustomEmailSender        *CustomSenderConfig       `json:"CustomEmailSender,omitempty"`
	// KMSKeyID is the key Cognito encrypts the custom senders' codes with. poolgate keeps and
	// shows it, and hands the senders the code unencrypted (trigger_sender.go says why).
	KMSKeyID string `json:"KMSKeyID,omitempty"`
}

// PreTokenGenerationConfig chooses the pre token generation event's version.
type PreTokenGenerationConfig struct {
	LambdaVersion string `json:"LambdaVersion"` // V1_0, V2_0, V3_0
	LambdaArn     string `json:"LambdaArn"`
}

// CustomSenderConfig names a custom sender function; LambdaVersion is V1_0, the only one.
type CustomSenderConfig struct {
	LambdaVersion string `json:"LambdaVersion"`
	LambdaArn     string `json:"LambdaArn"`
}

// arnPattern is the model's ArnType pattern, quoted in validation messages.
const arnPattern = `arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?`

// checkLambdaConfig validates a LambdaConfig from CreateUserPool, UpdateUserPool or the
// configuration file and returns it as the pool keeps it (nil when it names nothing).
// tier is the pool's feature plan: V2_0 and V3_0 pre token generation events need
// ESSENTIALS or PLUS, as on AWS.
func checkLambdaConfig(in *LambdaConfig, tier string) (*LambdaConfig, error) {
	if in == nil {
		return nil, nil
	}
	lc := *in
	for _, f := range []struct{ member, arn string }{
		{"preSignUp", lc.PreSignUp}, {"customMessage", lc.CustomMessage},
		{"postConfirmation", lc.PostConfirmation}, {"preAuthentication", lc.PreAuthentication},
		{"postAuthentication", lc.PostAuthentication}, {"defineAuthChallenge", lc.DefineAuthChallenge},
		{"createAuthChallenge", lc.CreateAuthChallenge},
		{"verifyAuthChallengeResponse", lc.VerifyAuthChallengeResponse},
		{"preTokenGeneration", lc.PreTokenGeneration}, {"userMigration", lc.UserMigration},
	} {
		if err := checkTriggerArn("lambdaConfig."+f.member, f.arn); err != nil {
			return nil, err
		}
	}
	if c := lc.PreTokenGenerationConfig; c != nil {
		if err := checkEnum("lambdaConfig.preTokenGenerationConfig.lambdaVersion", c.LambdaVersion, "V1_0", "V2_0", "V3_0"); err != nil {
			return nil, err
		}
		if c.LambdaArn == "" {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value null at 'lambdaConfig.preTokenGenerationConfig.lambdaArn' failed to satisfy constraint: Member must not be null")
		}
		if err := checkTriggerArn("lambdaConfig.preTokenGenerationConfig.lambdaArn", c.LambdaArn); err != nil {
			return nil, err
		}
		if lc.PreTokenGeneration != "" && lc.PreTokenGeneration != c.LambdaArn {
			return nil, awsjson.InvalidParameter("PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must name the same function.")
		}
		if c.LambdaVersion != "V1_0" && tier == "LITE" {
			return nil, awsjson.New(awsjson.ErrFeatureUnavailableInTier,
				"Pre token generation %s events are not available in the LITE feature plan. Upgrade the user pool to ESSENTIALS or PLUS.", c.LambdaVersion)
		}
		cc := *c
		lc.PreTokenGenerationConfig = &cc
		lc.PreTokenGeneration = c.LambdaArn
	} else if lc.PreTokenGeneration != "" {
		lc.PreTokenGenerationConfig = &PreTokenGenerationConfig{LambdaVersion: "V1_0", LambdaArn: lc.PreTokenGeneration}
	}
	for _, s := range []struct {
		member string
		c      **CustomSenderConfig
	}{{"customSMSSender", &lc.CustomSMSSender}, {"customEmailSender", &lc.CustomEmailSender}} {
		c := *s.c
		if c == nil {
			continue
		}
		if err := checkEnum("lambdaConfig."+s.member+".lambdaVersion", c.LambdaVersion, "V1_0"); err != nil {
			return nil, err
		}
		if c.LambdaArn == "" {
			return nil, awsjson.InvalidParameter("1 validation error detected: Value null at 'lambdaConfig.%s.lambdaArn' failed to satisfy constraint: Member must not be null", s.member)
		}
		if err := checkTriggerArn("lambdaConfig."+s.member+".lambdaArn", c.LambdaArn); err != nil {
			return nil, err
		}
		cc := *c
		*s.c = &cc
	}
	if lc.KMSKeyID != "" && !isKMSKeyArn(lc.KMSKeyID) {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'lambdaConfig.kMSKeyID' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", clipValue(lc.KMSKeyID), arnPattern)
	}
	if (lc.CustomSMSSender != nil || lc.CustomEmailSender != nil) && lc.KMSKeyID == "" {
		return nil, awsjson.InvalidParameter("KMSKeyID must be provided when CustomSMSSender or CustomEmailSender is configured.")
	}
	if lc == (LambdaConfig{}) {
		return nil, nil
	}
	return &lc, nil
}

func checkTriggerArn(member, arn string) error {
	if arn == "" {
		return nil
	}
	if err := trigger.CheckArn(arn); err != nil {
		return awsjson.InvalidParameter("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", clipValue(arn), member, arnPattern)
	}
	return nil
}

// isKMSKeyArn accepts a KMS key or alias ARN (arn:<partition>:kms:<region>:<account>:key/…
// or alias/…), the form Cognito asks for.
func isKMSKeyArn(s string) bool {
	if len(s) < 20 || len(s) > 2048 {
		return false
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return false
	}
	res := parts[5]
	return parts[0] == "arn" && strings.HasPrefix(parts[1], "aws") && parts[2] == "kms" && parts[3] != "" &&
		len(parts[4]) == 12 && (len(res) > 4 && strings.HasPrefix(res, "key/") || len(res) > 6 && strings.HasPrefix(res, "alias/"))
}

// clipValue shortens a value quoted in a validation message.
func clipValue(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

// triggerArn reports the function the pool's LambdaConfig names for trigger (the LambdaConfig
// field name: "PreSignUp", "DefineAuthChallenge", "UserMigration", ...); ok false when none.
// "PreTokenGeneration" answers for both of its spellings, "CustomSMSSender" and
// "CustomEmailSender" for their LambdaArn.
func (p *Pool) triggerArn(trigger string) (arn string, ok bool) {
	lc := p.LambdaConfig
	if lc == nil {
		return "", false
	}
	switch trigger {
	case "PreSignUp":
		arn = lc.PreSignUp
	case "CustomMessage":
		arn = lc.CustomMessage
	case "PostConfirmation":
		arn = lc.PostConfirmation
	case "PreAuthentication":
		arn = lc.PreAuthentication
	case "PostAuthentication":
		arn = lc.PostAuthentication
	case "DefineAuthChallenge":
		arn = lc.DefineAuthChallenge
	case "CreateAuthChallenge":
		arn = lc.CreateAuthChallenge
	case "VerifyAuthChallengeResponse":
		arn = lc.VerifyAuthChallengeResponse
	case "PreTokenGeneration":
		arn = lc.PreTokenGeneration
		if c := lc.PreTokenGenerationConfig; c != nil {
			arn = c.LambdaArn
		}
	case "UserMigration":
		arn = lc.UserMigration
	case "CustomSMSSender":
		if lc.CustomSMSSender != nil {
			arn = lc.CustomSMSSender.LambdaArn
		}
	case "CustomEmailSender":
		if lc.CustomEmailSender != nil {
			arn = lc.CustomEmailSender.LambdaArn
		}
	}
	return arn, arn != ""
}

// triggerVersion is the event's "version": "1", or "2"/"3" for pre token generation V2_0/V3_0.
func (p *Pool) triggerVersion(trigger string) string {
	if trigger == "PreTokenGeneration" && p.LambdaConfig != nil && p.LambdaConfig.PreTokenGenerationConfig != nil {
		switch p.LambdaConfig.PreTokenGenerationConfig.LambdaVersion {
		case "V2_0":
			return "2"
		case "V3_0":
			return "3"
		}
	}
	return "1"
}
