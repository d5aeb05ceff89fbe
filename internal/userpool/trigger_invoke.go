package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/trigger"
)

// errNoTrigger is invokeTrigger's answer when the pool names no function for the trigger.
var errNoTrigger = errors.New("userpool: the pool has no function for this trigger")

// invokeTrigger runs the pool's trigger with the event Lambda would receive (version "1",
// or "2"/"3" for PreTokenGeneration V2_0/V3_0; triggerSource source, region, userPoolId,
// userName, callerContext{awsSdkVersion, clientId: clientID}, request = request marshalled as
// JSON, response = response marshalled as JSON (its initial value)) and decodes the
// handler's answer's "response" member into response.
// Its errors are Cognito-shaped already: UserLambdaValidationException ("<Trigger> failed with
// error <errorMessage>."), UnexpectedLambdaException (timeout 5 s by the injected clock /
// unreachable / no Functions entry for the ARN), InvalidLambdaResponseException (malformed
// answer). When the pool names no function for trigger it returns errNoTrigger (callers
// normally check triggerArn first).
//
// It is never called inside a transaction step: a retried step would run the handler again.
func (s *Service) invokeTrigger(ctx context.Context, p *Pool, trigger, source, userName, clientID string,
	request, response any) error {
	arn, ok := p.triggerArn(trigger)
	if !ok {
		return errNoTrigger
	}
	ev, err := triggerEvent(p, s.d.Region, trigger, source, userName, clientID, request, response)
	if err != nil {
		return err
	}
	raw, err := s.runTrigger(ctx, arn, trigger, ev)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, response); err != nil {
		s.d.Logf("userpool: %s of pool %s: unusable response: %v", trigger, p.Id, err)
		return awsjson.New(awsjson.ErrInvalidLambdaResponse, "Unrecognizable lambda output")
	}
	return nil
}

// runTrigger sends ev to the function arn names and returns the handler's response member.
func (s *Service) runTrigger(ctx context.Context, arn, trig string, ev *trigger.Event) (json.RawMessage, error) {
	fn, ok, err := s.function(ctx, arn)
	if err != nil {
		return nil, err
	}
	if !ok {
		s.d.Logf("userpool: %s: no Functions entry in the configuration file names %s", trig, arn)
		return nil, awsjson.New(awsjson.ErrUnexpectedLambda, "%s invocation failed due to error ResourceNotFoundException.", trig)
	}
	inv := trigger.Invoker{Transport: s.d.Transport, Secret: s.d.TriggerSecret, Now: s.d.Now}
	raw, err := inv.Invoke(ctx, fn, trig, ev)
	if err != nil {
		var te *trigger.Error
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("userpool: %s: %w", trig, err)
		}
		if te.Detail != "" {
			s.d.Logf("userpool: %s (%s): %s", trig, arn, te.Detail)
		}
		switch te.Kind {
		case trigger.KindRejected:
			return nil, awsjson.New(awsjson.ErrUserLambdaValidation, "%s", te.Message)
		case trigger.KindInvalid:
			return nil, awsjson.New(awsjson.ErrInvalidLambdaResponse, "%s", te.Message)
		default:
			return nil, awsjson.New(awsjson.ErrUnexpectedLambda, "%s", te.Message)
		}
	}
	return raw, nil
}

// triggerEvent builds the envelope of an invocation.
func triggerEvent(p *Pool, defRegion, trig, source, userName, clientID string, request, response any) (*trigger.Event, error) {
	req, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("userpool: %s request: %w", trig, err)
	}
	resp, err := json.Marshal(response)
	if err != nil {
		return nil, fmt.Errorf("userpool: %s response: %w", trig, err)
	}
	return &trigger.Event{
		Version:       p.triggerVersion(trig),
		TriggerSource: source,
		Region:        poolRegion(p.Id, defRegion),
		UserPoolID:    p.Id,
		UserName:      userName,
		CallerContext: trigger.CallerContext{AWSSDKVersion: trigger.SDKVersion, ClientID: clientID},
		Request:       req,
		Response:      resp,
	}, nil
}
