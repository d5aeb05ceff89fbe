package e2e

import (
	"slices"
	"testing"
)

// scenario is one end-to-end scenario; it talks to the server only through ep.
type scenario struct {
	name string
	run  func(t *testing.T, ep *Endpoint)
}

// scenarios run in order on one server (each creates its own pools, so they are independent;
// some move the server's clock forward, which the others tolerate).
var scenarios = []scenario{
	{"ManageUserPools", scnManageUserPools},
	{"ManageUserPoolClients", scnManageUserPoolClients},
	{"ManagedLoginConfig", scnManagedLoginConfig},
	{"OAuthCodeFlow", scnOAuthCodeFlow},
	{"OAuthClientCredentials", scnOAuthClientCredentials},
	{"OAuthRefusals", scnOAuthRefusals},
	{"OAuthHostileInputs", scnOAuthHostileInputs},
	{"Branding", scnBranding},
	{"OAuthAccountPages", scnOAuthAccountPages},
	{"OAuthGoClient", scnOAuthGoClient},
	{"OAuthMfa", scnOAuthMfa},
	{"Mfa", scnMfa},
	{"AdaptiveAuth", scnAdaptiveAuth},
	{"Devices", scnDevices},
	{"Groups", scnGroups},
	{"AdminUsers", scnAdminUsers},
	{"AdminCreateUserMessages", scnAdminCreateUserMessages},
	{"ListUsers", scnListUsers},
	{"SignUpAndConfirm", scnSignUpAndConfirm},
	{"SRPSignInAndTokens", scnSRPSignInAndTokens},
	{"EmailUsernamePool", scnEmailUsernamePool},
	{"PasswordAndAdminFlows", scnPasswordAndAdminFlows},
	{"NewPasswordRequired", scnNewPasswordRequired},
	{"Refresh", scnRefresh},
	{"RefreshRotation", scnRefreshRotation},
	{"Revocation", scnRevocation},
	{"SelfService", scnSelfService},
	{"ForgotPassword", scnForgotPassword},
	{"DisabledAndReset", scnDisabledAndReset},
	{"Lockout", scnLockout},
	{"Expiry", scnExpiry},
	{"SRPAttacks", scnSRPAttacks},
	{"PreventUserExistenceErrors", scnPreventUserExistenceErrors},
	{"SecretHash", scnSecretHash},
	{"SigV4", scnSigV4},
	{"CrossPoolIsolation", scnCrossPoolIsolation},
	{"DeletedUserRecreated", scnDeletedUserRecreated},
	{"NamesWithSlashes", scnNamesWithSlashes},
	{"Unicode", scnUnicode},
	{"LongNames", scnLongNames},
	{"PhoneNumbers", scnPhoneNumbers},
	{"Aliases", scnAliases},
	{"Concurrency", scnConcurrency},
	{"CodeAttempts", scnCodeAttempts},
	{"PoolRules", scnPoolRules},
	{"BadInputs", scnBadInputs},
	{"WireShape", scnWireShape},
	{"EveryActionBadBodies", scnEveryActionBadBodies},
	{"HugeInputs", scnHugeInputs},
	{"EveryActionLongMembers", scnEveryActionLongMembers},
	{"ProviderLinks", scnProviderLinks},
	{"SigV4SignedHeadersAndScope", scnSigV4SignedHeadersAndScope},
	{"FederationOIDC", scnFederationOIDC},
	{"FederationOIDCES256", scnFederationOIDCES256},
	{"FederationLinks", scnFederationLinks},
	{"FederationSAML", scnFederationSAML},
	{"FederationRace", scnFederationRace},
	{"UserImport", scnUserImport},
}

// scenarioConfig is the configuration the scenario servers start with: the role the
// federation scenarios' identity pools hand out (roles exist only in configuration).
var scenarioConfig = []byte(`{"Roles": [{"Arn": "` + fedRole + `", "Policy": {"Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::files/public/*"}]}}]}`)

// issueActions are the user-pool actions the issue "core: user pools on wazero" delivers; the
// suite must drive each one successfully at least once through the AWS SDK.
var issueActions = []string{
	// pools and clients
	"CreateUserPool", "DescribeUserPool", "ListUserPools", "UpdateUserPool", "DeleteUserPool",
	"CreateUserPoolClient", "DescribeUserPoolClient", "ListUserPoolClients", "UpdateUserPoolClient", "DeleteUserPoolClient",
	// groups
	"CreateGroup", "GetGroup", "UpdateGroup", "ListGroups", "DeleteGroup",
	"AdminAddUserToGroup", "AdminRemoveUserFromGroup", "AdminListGroupsForUser", "ListUsersInGroup",
	// admin users
	"AdminCreateUser", "AdminGetUser", "AdminDeleteUser", "AdminConfirmSignUp", "AdminSetUserPassword",
	"AdminUpdateUserAttributes", "AdminDeleteUserAttributes", "AdminDisableUser", "AdminEnableUser",
	"AdminResetUserPassword", "ListUsers",
	"AdminInitiateAuth", "AdminRespondToAuthChallenge", "AdminUserGlobalSignOut",
	// public
	"SignUp", "ConfirmSignUp", "ResendConfirmationCode", "InitiateAuth", "RespondToAuthChallenge",
	"GetTokensFromRefreshToken", "RevokeToken", "GlobalSignOut", "GetUser", "UpdateUserAttributes",
	"DeleteUserAttributes", "GetUserAttributeVerificationCode", "VerifyUserAttribute", "ChangePassword",
	"ForgotPassword", "ConfirmForgotPassword", "DeleteUser",
}

// runScenarios runs every scenario against ep, then checks that every action of the issue
// succeeded at least once.
func runScenarios(t *testing.T, ep *Endpoint) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, ep) })
	}
	t.Logf("slowest SDK calls: %s", ep.calls.slowest())
	t.Run("EveryActionSucceeded", func(t *testing.T) {
		if m := ep.calls.missing(slices.Concat(issueActions, managedLoginActions, brandingActions, mfaActions, adaptiveActions, deviceActions, importActions)); len(m) > 0 {
			t.Fatalf("these actions never returned 200 through the SDK: %v", m)
		}
	})
}

// TestHostsim runs the scenarios against the wasm guest under hostsim with a fake clock.
func TestHostsim(t *testing.T) {
	s := startSim(t, simOptions{Config: scenarioConfig, TrustCloudflareHeaders: true})
	runScenarios(t, s.Endpoint)
}
