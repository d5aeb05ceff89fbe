package policy

// Evaluate decides r against the document the way IAM evaluates one identity policy: any
// matching Deny statement gives ExplicitDeny; otherwise any matching Allow gives Allow;
// otherwise ImplicitDeny. A nil document denies implicitly.
func (d *Document) Evaluate(r Request) Decision {
	if d == nil {
		return ImplicitDeny
	}
	allowed := false
	for i := range d.Statements {
		st := &d.Statements[i]
		if st.Effect == EffectAllow && allowed {
			continue // only a Deny can still change the outcome
		}
		if !st.applies(&r) {
			continue
		}
		if st.Effect == EffectDeny {
			return ExplicitDeny
		}
		allowed = true
	}
	if allowed {
		return Allow
	}
	return ImplicitDeny
}

// Allows is Evaluate(r) == Allow.
func (d *Document) Allows(r Request) bool { return d.Evaluate(r) == Allow }

// applies reports whether the statement covers the request: action, resource and every
// condition.
func (st *Statement) applies(r *Request) bool {
	if anyMatch(st.actions, r, r.Action, true) == st.notAction {
		return false
	}
	if anyMatch(st.resources, r, r.Resource, false) == st.notRes {
		return false
	}
	for i := range st.Conditions {
		if !st.Conditions[i].holds(r) {
			return false
		}
	}
	return true
}

func anyMatch(ps []pattern, r *Request, s string, fold bool) bool {
	for i := range ps {
		if ps[i].match(r, s, fold) {
			return true
		}
	}
	return false
}
