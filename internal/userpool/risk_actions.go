package userpool

import (
	"context"

	"github.com/poolgate/poolgate/internal/awsjson"
)

// riskActions are threat protection's actions (spec §13): the risk configuration and the
// auth events (signed), and the feedback a notified user gives with its token (public).
func (s *Service) riskActions() []awsjson.Action {
	public := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.Public, Handle: h}
	}
	signed := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.SigV4, Handle: h}
	}
	return []awsjson.Action{
		signed("SetRiskConfiguration", awsjson.Handler(s.setRiskConfiguration)),
		signed("DescribeRiskConfiguration", awsjson.Handler(s.describeRiskConfiguration)),
		signed("AdminListUserAuthEvents", awsjson.Handler(s.adminListUserAuthEvents)),
		signed("AdminUpdateAuthEventFeedback", awsjson.Handler(s.adminUpdateAuthEventFeedback)),
		public("UpdateAuthEventFeedback", awsjson.Handler(s.updateAuthEventFeedback)),
	}
}

// orEmpty is m, or an empty map when m is nil (an Admin call without ContextData still takes
// its signals from the request).
func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
