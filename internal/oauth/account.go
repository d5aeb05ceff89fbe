package oauth

import (
	"net/http"
	"strings"

	"github.com/poolgate/poolgate/internal/userpool"
)

// The account pages of managed login: sign-up (/signup), its confirmation (/confirmUser),
// and a forgotten password (/forgotPassword, then /confirmForgotPassword with the code).
// Each carries the authorization request's query like /login, checks it the same way, and
// ends on the login page; the user-pool actions behind them are the JSON API's
// (userpool/hosted_account.go).

// accountLinks are the links under the login form.
func accountLinks(req *authRequest) []link {
	return []link{{"/signup?" + req.query, "Create an account"}, {"/forgotPassword?" + req.query, "Forgot your password?"}}
}

// accountRequest checks the authorization request of an account page and, for a POST,
// reads its form and checks its CSRF token; nil when it has answered the request itself.
// A failed CSRF check shows the page again (render), with a fresh token.
func (s *Server) accountRequest(w http.ResponseWriter, r *http.Request, render func(req *authRequest, status int, msg string)) *authRequest {
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost {
		s.errorPage(w, http.StatusMethodNotAllowed, fail(errInvalidRequest, "Use GET or POST."))
		return nil
	}
	req, f, err := s.checkAuthRequest(r.Context(), r)
	if err != nil {
		s.serverError(w, err)
		return nil
	}
	if f != nil {
		s.refuse(w, r, req, f)
		return nil
	}
	if !req.cognito() {
		s.federate(w, r, req)
		return nil
	}
	if r.Method != http.MethodPost {
		render(req, http.StatusOK, "")
		return nil
	}
	if !s.readForm(w, r) {
		return nil
	}
	if !s.checkCSRF(r) {
		render(req, http.StatusForbidden, "The form expired or did not come from this page. Please try again.")
		return nil
	}
	return req
}

// accountError shows a user-pool refusal on the page (render), or the server's failure.
func (s *Server) accountError(w http.ResponseWriter, err error, render func(msg string)) {
	msg, ok := userpoolMessage(err)
	if !ok {
		s.serverError(w, err)
		return
	}
	render(msg)
}

// serveSignUp answers /signup: the username (an email or phone number when the pool signs
// in with one), the password with the pool's rules, and the pool's required attributes.
func (s *Server) serveSignUp(w http.ResponseWriter, r *http.Request) {
	var form = map[string]string{}
	render := func(req *authRequest, status int, msg string) {
		s.signUpPage(w, r, req, status, msg, form)
	}
	req := s.accountRequest(w, r, render)
	if req == nil {
		return
	}
	required, usernameIs := s.cfg.UserPools.SignUpAttributes(req.pool)
	attrs := map[string]string{}
	for _, name := range required {
		if v := strings.TrimSpace(r.PostForm.Get("userAttributes." + name)); v != "" {
			attrs[name] = v
		}
		form[name] = attrs[name]
	}
	username := strings.TrimSpace(r.PostForm.Get("username"))
	form["username"] = username
	if usernameIs != "" {
		attrs[usernameIs] = username
	}
	out, err := s.cfg.UserPools.HostedSignUp(r.Context(), req.client, username, r.PostForm.Get("password"), attrs)
	if err != nil {
		s.accountError(w, err, func(msg string) { render(req, http.StatusOK, msg) })
		return
	}
	if out.UserConfirmed || out.CodeDeliveryDetails == nil {
		s.loginNotice(w, r, req, "Your account was created. An administrator confirms it before you can sign in.", username)
		return
	}
	s.confirmPage(w, r, req, http.StatusOK, "", deliveryNotice(out.CodeDeliveryDetails), username)
}

// signUpPage renders the sign-up form; form holds what was typed.
func (s *Server) signUpPage(w http.ResponseWriter, r *http.Request, req *authRequest, status int, msg string, form map[string]string) {
	csrf, err := s.csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	required, usernameIs := s.cfg.UserPools.SignUpAttributes(req.pool)
	p := &page{Title: "Create an account", ClientName: req.client.ClientName, Error: msg, Action: "/signup?" + req.query,
		CSRF: csrf, Username: prefill(form["username"]), UsernameLabel: "Username",
		Rules: passwordRules(s.cfg.UserPools.PasswordRules(req.pool)),
		Links: []link{{"/login?" + req.query, "I already have an account"}}}
	if usernameIs != "" {
		p.UsernameLabel = attributeLabel(usernameIs)
	}
	for _, name := range required {
		if name == usernameIs {
			continue
		}
		p.Attributes = append(p.Attributes, attrInput{Name: name, Field: "userAttributes." + name, Label: attributeLabel(name), Value: prefill(form[name])})
	}
	s.render(w, r, req, status, "signup", p)
}

// deliveryNotice tells where a code went.
func deliveryNotice(d *userpool.CodeDeliveryDetails) string {
	if d == nil || d.Destination == "" {
		return "We sent you a code."
	}
	return "We sent a code to " + d.Destination + "."
}

// serveConfirm answers /confirmUser: the sign-up code, or (action=resend) a new one.
func (s *Server) serveConfirm(w http.ResponseWriter, r *http.Request) {
	username := ""
	render := func(req *authRequest, status int, msg string) {
		s.confirmPage(w, r, req, status, msg, "", username)
	}
	req := s.accountRequest(w, r, render)
	if req == nil {
		return
	}
	username = strings.TrimSpace(r.PostForm.Get("username"))
	if r.PostForm.Get("action") == "resend" {
		d, err := s.cfg.UserPools.HostedResendCode(r.Context(), req.client, username)
		if err != nil {
			s.accountError(w, err, func(msg string) { render(req, http.StatusOK, msg) })
			return
		}
		s.confirmPage(w, r, req, http.StatusOK, "", deliveryNotice(d), username)
		return
	}
	if err := s.cfg.UserPools.HostedConfirmSignUp(r.Context(), req.client, username, strings.TrimSpace(r.PostForm.Get("code"))); err != nil {
		s.accountError(w, err, func(msg string) { render(req, http.StatusOK, msg) })
		return
	}
	s.loginNotice(w, r, req, "Your account is confirmed. Sign in.", username)
}

// confirmPage renders the confirmation form.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request, req *authRequest, status int, msg, notice, username string) {
	csrf, err := s.csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	s.render(w, r, req, status, "confirm", &page{Title: "Confirm your account", ClientName: req.client.ClientName, Error: msg,
		Notice: notice, Action: "/confirmUser?" + req.query, CSRF: csrf, Username: prefill(username),
		Links: []link{{"/login?" + req.query, "Back to sign in"}}})
}

// serveForgotPassword answers /forgotPassword: a reset code to the user's verified contact.
func (s *Server) serveForgotPassword(w http.ResponseWriter, r *http.Request) {
	username := ""
	render := func(req *authRequest, status int, msg string) {
		s.formPage(w, r, req, status, "forgot", "Forgot your password?", "/forgotPassword", msg, "", username)
	}
	req := s.accountRequest(w, r, render)
	if req == nil {
		return
	}
	username = strings.TrimSpace(r.PostForm.Get("username"))
	d, err := s.cfg.UserPools.HostedForgotPassword(r.Context(), req.client, username)
	if err != nil {
		s.accountError(w, err, func(msg string) { render(req, http.StatusOK, msg) })
		return
	}
	s.formPage(w, r, req, http.StatusOK, "reset", "Reset your password", "/confirmForgotPassword", "", deliveryNotice(d), username)
}

// serveConfirmForgotPassword answers /confirmForgotPassword: the code and a new password.
func (s *Server) serveConfirmForgotPassword(w http.ResponseWriter, r *http.Request) {
	username := ""
	render := func(req *authRequest, status int, msg string) {
		s.formPage(w, r, req, status, "reset", "Reset your password", "/confirmForgotPassword", msg, "", username)
	}
	if r.Method != http.MethodPost {
		s.errorPage(w, http.StatusMethodNotAllowed, fail(errInvalidRequest, "Use POST."))
		return
	}
	req := s.accountRequest(w, r, render)
	if req == nil {
		return
	}
	username = strings.TrimSpace(r.PostForm.Get("username"))
	err := s.cfg.UserPools.HostedConfirmForgotPassword(r.Context(), req.client, username,
		strings.TrimSpace(r.PostForm.Get("code")), r.PostForm.Get("password"))
	if err != nil {
		s.accountError(w, err, func(msg string) { render(req, http.StatusOK, msg) })
		return
	}
	s.loginNotice(w, r, req, "Your password was reset. Sign in with the new one.", username)
}

// formPage renders a page of one form (forgot, reset).
func (s *Server) formPage(w http.ResponseWriter, r *http.Request, req *authRequest, status int, name, title, path, msg, notice, username string) {
	csrf, err := s.csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	s.render(w, r, req, status, name, &page{Title: title, ClientName: req.client.ClientName, Error: msg, Notice: notice,
		Action: path + "?" + req.query, CSRF: csrf, Username: prefill(username),
		Rules: passwordRules(s.cfg.UserPools.PasswordRules(req.pool)),
		Links: []link{{"/login?" + req.query, "Back to sign in"}}})
}

// loginNotice shows the login form with a notice (after an account step).
func (s *Server) loginNotice(w http.ResponseWriter, r *http.Request, req *authRequest, notice, username string) {
	csrf, err := s.csrfToken(w, r)
	if err != nil {
		s.serverError(w, err)
		return
	}
	s.render(w, r, req, http.StatusOK, "login", &page{Title: "Sign in", ClientName: req.client.ClientName, Notice: notice,
		Action: "/login?" + req.query, CSRF: csrf, Username: prefill(username), Links: accountLinks(req)})
}
