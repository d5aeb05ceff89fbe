package oauth

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/poolgate/poolgate/internal/userpool"
)

// The NEW_PASSWORD_REQUIRED step of a managed-login sign-in: a user holding a temporary
// password chooses its own (and fills in the required attributes it lacks) before the
// authorization request completes. The user pool's sealed challenge Session rides in the
// form; POST /forceChangePassword carries the authorization request's query like /login.

// serveNewPassword answers POST /forceChangePassword.
func (s *Server) serveNewPassword(w http.ResponseWriter, r *http.Request) {
	req, ok := s.pageRequest(w, r, http.MethodPost)
	if !ok {
		return
	}
	if !s.readForm(w, r) {
		return
	}
	session := r.PostForm.Get("session")
	attrs := map[string]string{}
	var required []string
	for name, vs := range r.PostForm {
		if attr, ok := strings.CutPrefix(name, "userAttributes."); ok && len(vs) == 1 && len(attrs) < 50 {
			attrs[attr] = vs[0]
			required = append(required, attr)
		}
	}
	if !s.checkCSRF(r) {
		s.loginPage(w, r, req, http.StatusForbidden, "The form expired or did not come from this page. Please sign in again.", "")
		return
	}
	res, err := s.cfg.UserPools.HostedNewPassword(r.Context(), req.pool, req.client, session, r.PostForm.Get("new_password"), attrs)
	if err != nil {
		msg, ok := userpoolMessage(err)
		if !ok {
			s.serverError(w, err)
			return
		}
		if sessionGone(msg) {
			s.loginPage(w, r, req, http.StatusOK, "Your sign-in expired. Please sign in again.", "")
			return
		}
		s.newPasswordPage(w, r, req, http.StatusOK, msg, session, required, attrs)
		return
	}
	s.continueSignIn(w, r, req, res)
}

// newPasswordPage renders the form that chooses a new password.
func (s *Server) newPasswordPage(w http.ResponseWriter, r *http.Request, req *authRequest, status int, msg, session string, required []string, values map[string]string) {
	csrf, err := s.csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	p := &page{Title: "Choose a new password", ClientName: req.client.ClientName, Error: msg,
		Action: "/forceChangePassword?" + req.query, CSRF: csrf, Session: session,
		Rules: passwordRules(s.cfg.UserPools.PasswordRules(req.pool))}
	for _, name := range required {
		p.Attributes = append(p.Attributes, attrInput{Name: name, Field: "userAttributes." + name,
			Label: attributeLabel(name), Value: values[name]})
	}
	s.render(w, r, req, status, "new_password", p)
}

// passwordRules describes a password policy for people.
func passwordRules(pp userpool.PasswordPolicy) []rule {
	min := pp.MinimumLength
	if min == 0 {
		min = userpool.DefaultPasswordPolicy().MinimumLength
	}
	rules := []rule{{fmt.Sprintf("min:%d", min), fmt.Sprintf("At least %d characters", min)}}
	if pp.RequireLowercase {
		rules = append(rules, rule{"lower", "A lowercase letter"})
	}
	if pp.RequireUppercase {
		rules = append(rules, rule{"upper", "An uppercase letter"})
	}
	if pp.RequireNumbers {
		rules = append(rules, rule{"number", "A number"})
	}
	if pp.RequireSymbols {
		rules = append(rules, rule{"symbol", "A symbol"})
	}
	return rules
}

// attributeLabel is an attribute's name for people: "given_name" → "Given name".
func attributeLabel(name string) string {
	name = strings.TrimPrefix(name, "custom:")
	name = strings.ReplaceAll(name, "_", " ")
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
