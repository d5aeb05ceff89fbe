package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/poolgate/poolgate/internal/srp"
)

// Concurrency scenarios of issue 13: many identical or overlapping writes released at once by
// a barrier, several rounds each, on hostsim (8 instances, proven parallel) and on the Worker.
// Every round counts its outcomes; the test fails when any round loses a write or lets more
// than one contender win. Each scenario logs a "RESULT" line with its totals.

// raceScenarios run in order on one server; each creates its own pool.
var raceScenarios = []scenario{
	{"SignUpOneName", scnRaceSignUp},
	{"GroupAdds", scnRaceGroupAdds},
	{"AttributeUpdates", scnRaceAttributeUpdates},
	{"SRPReplay", scnRaceSRPReplay},
	{"CreateGroupOneName", scnRaceCreateGroup},
	{"DomainOneOwner", scnRaceDomain},
	{"BrandingOnePerClient", scnRaceBranding},
	{"AuthorizationCodeOnce", scnRaceAuthorizationCode},
	{"IdentityProviderOneName", scnRaceIdentityProvider},
	{"ResourceServerOneIdentifier", scnRaceResourceServer},
	{"ProviderLinkOneSource", scnRaceProviderLink},
	{"AuthEventsOneUser", scnRaceAuthEvents},
	{"DeviceOneEndState", scnRaceDevice},
}

const (
	raceRounds     = 5
	srpRounds      = 10 // the replay window is narrow on the Worker: more tries
	signUpRacers   = 50
	groupRacers    = 20
	attrRacers     = 20
	srpRacers      = 30
	createGrRacers = 20
	domainRacers   = 20
	brandRacers    = 20
	codeRacers     = 20
	providerRacers = 20
	eventRacers    = 20
)

// TestRaceHostsim runs the race scenarios on hostsim with raceInstances instances, after
// proving that at least 4 requests run inside the guest at once.
func TestRaceHostsim(t *testing.T) {
	ep, ps := startRaceSim(t)
	raceReady(t, ep, signUpRacers)
	checkParallel(t, ep, ps, 4)
	for _, s := range raceScenarios {
		t.Run(s.name, func(t *testing.T) { s.run(t, ep) })
	}
}

// TestRaceWorkerd runs the race scenarios on the Worker under wrangler dev (workerd), each on
// its own Worker: here wrangler dev has died now and then during these scenarios ("✘ [ERROR]"
// with no message, then EOF or connection refused; in about one run of three, with or without
// keep-alive connections), and one such death should cost one scenario, not all.
func TestRaceWorkerd(t *testing.T) {
	for _, s := range raceScenarios {
		t.Run(s.name, func(t *testing.T) {
			ep := startWorker(t, nil, fakeStart)
			raceReady(t, ep, signUpRacers)
			s.run(t, ep)
		})
	}
}

func roundCtx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), raceTimeout)
	t.Cleanup(cancel)
	return c
}

// listUsers lists every user of pool matching filter ("" for all).
func listUsers(t *testing.T, c context.Context, ep *Endpoint, pool, filter string) []types.UserType {
	t.Helper()
	var all []types.UserType
	in := &cip.ListUsersInput{UserPoolId: aws.String(pool), Limit: aws.Int32(60)}
	if filter != "" {
		in.Filter = aws.String(filter)
	}
	for page := 0; ; page++ {
		if page > 100 {
			t.Fatal("ListUsers: PaginationToken never ends")
		}
		out := call(ep.Admin().ListUsers(c, in)).must(t)
		all = append(all, out.Users...)
		if aws.ToString(out.PaginationToken) == "" {
			return all
		}
		in.PaginationToken = out.PaginationToken
	}
}

// scnRaceSignUp: 50 SignUps of one new username at once. Exactly one is answered 200, the
// others UsernameExistsException; the stored user has the winner's sub, and no other sub
// handed out in a 200 names a user (ListUsers with sub = "…").
func scnRaceSignUp(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	pub := ep.Public()
	var total200, badRounds, lost int
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		user := fmt.Sprintf("racer%d", r)
		outs, errs := raceOn(t, ep, signUpRacers, func(i int) (*cip.SignUpOutput, error) {
			// No email: no confirmation message, so the losers' 200s send nothing either (dozens of
			// webhook posts at once have crashed wrangler dev's inspector proxy).
			return pub.SignUp(c, &cip.SignUpInput{ClientId: aws.String(f.client), Username: aws.String(user),
				Password: aws.String(fmt.Sprintf("Passw0rd-%d", i))})
		})
		cnt := tallyOf(errs)
		var subs []string
		for i, out := range outs {
			if errs[i] == nil {
				subs = append(subs, aws.ToString(out.UserSub))
			}
		}
		g := call(ep.Admin().AdminGetUser(c, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(user)})).must(t)
		stored := attrMap(g.UserAttributes)["sub"]
		// Every sub handed out in a 200 must name a user; only the stored one can.
		roundLost := 0
		for _, s := range subs {
			got := listUsers(t, c, ep, f.pool, `sub = "`+s+`"`)
			switch {
			case s == stored && (len(got) != 1 || aws.ToString(got[0].Username) != user):
				t.Errorf("round %d: ListUsers sub = %q (the stored user's) finds %d users", r, s, len(got))
			case s != stored:
				roundLost++
				if len(got) != 0 {
					t.Errorf("round %d: ListUsers sub = %q (not the stored user's) finds %d users", r, s, len(got))
				}
			}
		}
		if !slices.Contains(subs, stored) {
			t.Errorf("round %d: the stored user's sub %s was not returned by any SignUp", r, stored)
		}
		total200 += cnt["200"]
		lost += roundLost
		if cnt["200"] != 1 || cnt["UsernameExistsException"] != signUpRacers-1 {
			badRounds++
			t.Errorf("round %d: %d SignUps of %q: %s (want 200×1 UsernameExistsException×%d); %d acknowledged subs name no user",
				r, signUpRacers, user, cnt, signUpRacers-1, roundLost)
		}
	}
	users := listUsers(t, roundCtx(t), ep, f.pool, "")
	names := map[string]int{}
	for _, u := range users {
		names[aws.ToString(u.Username)]++
	}
	for n, k := range names {
		if k > 1 {
			t.Errorf("ListUsers lists %q %d times", n, k)
		}
	}
	if len(names) != raceRounds {
		t.Errorf("the pool has %d distinct users after %d rounds, want %d", len(names), raceRounds, raceRounds)
	}
	t.Logf("RESULT SignUpOneName: %d/%d rounds with ≠1 winner; %d SignUps answered 200 (want %d); %d acknowledged subs name no user (orphans)",
		badRounds, raceRounds, total200, raceRounds, lost)
}

// scnRaceGroupAdds: one user added to 20 groups at once; every acknowledged membership is kept,
// both on the user (AdminListGroupsForUser) and on the group (ListUsersInGroup).
func scnRaceGroupAdds(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	admin := ep.Admin()
	groups := make([]string, groupRacers)
	for i := range groups {
		groups[i] = fmt.Sprintf("g%02d", i)
		call(admin.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(f.pool), GroupName: aws.String(groups[i])})).must(t)
	}
	var acked, keptUser, keptGroup int
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		user := fmt.Sprintf("member%d", r)
		call(admin.AdminCreateUser(c, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(user), MessageAction: "SUPPRESS"})).must(t)
		_, errs := raceOn(t, ep, groupRacers, func(i int) (*cip.AdminAddUserToGroupOutput, error) {
			return admin.AdminAddUserToGroup(c, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(f.pool), Username: aws.String(user), GroupName: aws.String(groups[i])})
		})
		cnt := tallyOf(errs)
		out := call(admin.AdminListGroupsForUser(c, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(user), Limit: aws.Int32(60)})).must(t)
		onUser := map[string]bool{}
		for _, g := range out.Groups {
			onUser[aws.ToString(g.GroupName)] = true
		}
		var ku, kg int
		for i, g := range groups {
			if errs[i] != nil {
				continue
			}
			acked++
			if onUser[g] {
				ku++
			}
			lu := call(admin.ListUsersInGroup(c, &cip.ListUsersInGroupInput{UserPoolId: aws.String(f.pool), GroupName: aws.String(g), Limit: aws.Int32(60)})).must(t)
			if slices.ContainsFunc(lu.Users, func(u types.UserType) bool { return aws.ToString(u.Username) == user }) {
				kg++
			}
		}
		keptUser += ku
		keptGroup += kg
		if cnt["200"] != groupRacers || ku != cnt["200"] || kg != cnt["200"] {
			t.Errorf("round %d: %d parallel AdminAddUserToGroup: %s; kept %d on the user, %d in the groups", r, groupRacers, cnt, ku, kg)
		}
	}
	t.Logf("RESULT GroupAdds: %d acknowledged, kept %d on the user (AdminListGroupsForUser), %d in the groups (ListUsersInGroup), of %d",
		acked, keptUser, keptGroup, raceRounds*groupRacers)
}

// scnRaceAttributeUpdates: 20 AdminUpdateUserAttributes at once, each setting a different
// custom attribute of one user; every acknowledged update is kept.
func scnRaceAttributeUpdates(t *testing.T, ep *Endpoint) {
	attrs := make([]string, attrRacers)
	for i := range attrs {
		attrs[i] = fmt.Sprintf("a%02d", i)
	}
	f := newFixture(t, ep, func(in *cip.CreateUserPoolInput) {
		for _, a := range attrs {
			in.Schema = append(in.Schema, types.SchemaAttributeType{Name: aws.String(a), AttributeDataType: "String", Mutable: aws.Bool(true)})
		}
	}, nil)
	admin := ep.Admin()
	var acked, kept int
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		user := fmt.Sprintf("attrs%d", r)
		call(admin.AdminCreateUser(c, &cip.AdminCreateUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(user), MessageAction: "SUPPRESS"})).must(t)
		value := func(i int) string { return fmt.Sprintf("v%02d-r%d", i, r) }
		_, errs := raceOn(t, ep, attrRacers, func(i int) (*cip.AdminUpdateUserAttributesOutput, error) {
			return admin.AdminUpdateUserAttributes(c, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(f.pool), Username: aws.String(user),
				UserAttributes: []types.AttributeType{attr("custom:"+attrs[i], value(i))}})
		})
		cnt := tallyOf(errs)
		got := attrMap(call(admin.AdminGetUser(c, &cip.AdminGetUserInput{UserPoolId: aws.String(f.pool), Username: aws.String(user)})).must(t).UserAttributes)
		k := 0
		for i, a := range attrs {
			if errs[i] != nil {
				continue
			}
			acked++
			if got["custom:"+a] == value(i) {
				k++
			}
		}
		kept += k
		if cnt["200"] != attrRacers || k != cnt["200"] {
			t.Errorf("round %d: %d parallel AdminUpdateUserAttributes: %s; %d kept", r, attrRacers, cnt, k)
		}
	}
	t.Logf("RESULT AttributeUpdates: %d acknowledged, %d kept, of %d", acked, kept, raceRounds*attrRacers)
}

// scnRaceSRPReplay: one PASSWORD_VERIFIER answer sent 30 times at once. Exactly one gets
// tokens; the replays get NotAuthorizedException.
func scnRaceSRPReplay(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	pub := ep.Public()
	var badRounds, tokenSets int
	for r := 0; r < srpRounds; r++ {
		c := roundCtx(t)
		user := fmt.Sprintf("srp%d", r) // a fresh user each round: failed answers may count towards lockout
		pw := "Passw0rd-srp"
		f.createUser(t, user, pw)
		ch, err := f.srpStart(t, user)
		ok(t, err)
		userID := ch.params["USER_ID_FOR_SRP"]
		ts := srp.FormatTimestamp(ep.Now())
		sig, err := ch.client.Signature(srp.PoolName(f.pool), userID, pw, ch.params["SALT"], ch.params["SRP_B"], ch.block, ts)
		ok(t, err)
		outs, errs := raceOn(t, ep, srpRacers, func(int) (*cip.RespondToAuthChallengeOutput, error) {
			return pub.RespondToAuthChallenge(c, &cip.RespondToAuthChallengeInput{
				ChallengeName: "PASSWORD_VERIFIER", ClientId: aws.String(f.client),
				ChallengeResponses: map[string]string{
					"USERNAME":                    userID,
					"PASSWORD_CLAIM_SECRET_BLOCK": ch.params["SECRET_BLOCK"],
					"TIMESTAMP":                   ts,
					"PASSWORD_CLAIM_SIGNATURE":    sig,
				},
			})
		})
		cnt := tallyOf(errs)
		sets := 0
		for i, out := range outs {
			if errs[i] == nil && out.AuthenticationResult != nil && aws.ToString(out.AuthenticationResult.AccessToken) != "" {
				sets++
			}
		}
		tokenSets += sets
		if sets != 1 || cnt["NotAuthorizedException"] != srpRacers-1 {
			badRounds++
			t.Errorf("round %d: %d replays of one PASSWORD_VERIFIER answer: %s; %d token sets (want 1, and NotAuthorizedException×%d)", r, srpRacers, cnt, sets, srpRacers-1)
		}
	}
	t.Logf("RESULT SRPReplay: %d/%d rounds with ≠1 token set; %d token sets issued (want %d)", badRounds, srpRounds, tokenSets, srpRounds)
}

// scnRaceCreateGroup: 20 CreateGroup of one name at once. Exactly one is answered 200, the
// others GroupExistsException, and the stored group is the winner's.
func scnRaceCreateGroup(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, nil)
	admin := ep.Admin()
	var badRounds, total200, wrongWinner int
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		group := fmt.Sprintf("team%d", r)
		desc := func(i int) string { return fmt.Sprintf("created by racer %d", i) }
		_, errs := raceOn(t, ep, createGrRacers, func(i int) (*cip.CreateGroupOutput, error) {
			return admin.CreateGroup(c, &cip.CreateGroupInput{UserPoolId: aws.String(f.pool), GroupName: aws.String(group), Description: aws.String(desc(i))})
		})
		cnt := tallyOf(errs)
		total200 += cnt["200"]
		g := call(admin.GetGroup(c, &cip.GetGroupInput{UserPoolId: aws.String(f.pool), GroupName: aws.String(group)})).must(t).Group
		winner := slices.IndexFunc(errs, func(err error) bool { return err == nil })
		if winner >= 0 && cnt["200"] == 1 && aws.ToString(g.Description) != desc(winner) {
			wrongWinner++
			t.Errorf("round %d: the stored group says %q, the one 200 went to %q", r, aws.ToString(g.Description), desc(winner))
		}
		if cnt["200"] != 1 || cnt["GroupExistsException"] != createGrRacers-1 {
			badRounds++
			t.Errorf("round %d: %d CreateGroup of %q: %s (want 200×1 GroupExistsException×%d)", r, createGrRacers, group, cnt, createGrRacers-1)
		}
	}
	lg := call(admin.ListGroups(ctx, &cip.ListGroupsInput{UserPoolId: aws.String(f.pool), Limit: aws.Int32(60)})).must(t)
	if len(lg.Groups) != raceRounds {
		t.Errorf("ListGroups lists %d groups after %d rounds, want %d", len(lg.Groups), raceRounds, raceRounds)
	}
	t.Logf("RESULT CreateGroupOneName: %d/%d rounds with ≠1 winner; %d CreateGroups answered 200 (want %d); %d rounds stored another racer's group",
		badRounds, raceRounds, total200, raceRounds, wrongWinner)
}

// scnRaceDomain: twenty pools claim one domain name at once, several rounds. Exactly one
// CreateUserPoolDomain is answered 200, the others InvalidParameterException; the domain names
// the winner, whose DescribeUserPool shows it, and no loser's does. The winner then deletes it
// so the next round races again.
func scnRaceDomain(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pools := make([]string, domainRacers)
	for i := range pools {
		pools[i] = aws.ToString(newPool(t, ep, nil).Id)
	}
	total200, badRounds := 0, 0
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		domain := name(fmt.Sprintf("race-domain-%d-", r))
		_, errs := raceOn(t, ep, domainRacers, func(i int) (*cip.CreateUserPoolDomainOutput, error) {
			return admin.CreateUserPoolDomain(c, &cip.CreateUserPoolDomainInput{UserPoolId: aws.String(pools[i]), Domain: aws.String(domain)})
		})
		cnt := tallyOf(errs)
		total200 += cnt["200"]
		if cnt["200"] != 1 || cnt["InvalidParameterException"] != domainRacers-1 {
			badRounds++
			t.Errorf("round %d: %d CreateUserPoolDomain of %q: %s (want 200×1 InvalidParameterException×%d)", r, domainRacers, domain, cnt, domainRacers-1)
		}
		d := reread(t, func() (*cip.DescribeUserPoolDomainOutput, error) {
			return admin.DescribeUserPoolDomain(c, &cip.DescribeUserPoolDomainInput{Domain: aws.String(domain)})
		}).DomainDescription
		owner := aws.ToString(d.UserPoolId)
		for i, id := range pools {
			p := reread(t, func() (*cip.DescribeUserPoolOutput, error) {
				return admin.DescribeUserPool(c, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
			}).UserPool
			won := errs[i] == nil
			if (aws.ToString(p.Domain) == domain) != (id == owner) || won != (id == owner) {
				t.Errorf("round %d: pool %s (answered %s) shows Domain %q; the domain names %s", r, id, outcome(errs[i]), aws.ToString(p.Domain), owner)
			}
		}
		if owner != "" {
			call(admin.DeleteUserPoolDomain(c, &cip.DeleteUserPoolDomainInput{UserPoolId: aws.String(owner), Domain: aws.String(domain)})).must(t)
		}
	}
	t.Logf("RESULT domain: %d rounds of %d pools, %d acknowledged owners, %d bad rounds", raceRounds, domainRacers, total200, badRounds)
}

// scnRaceBranding: twenty CreateManagedLoginBranding calls for one app client at once, several
// rounds. Exactly one is answered 200, the others ManagedLoginBrandingExistsException, and
// DescribeManagedLoginBrandingByClient names the winner's style, which is then deleted so the
// next round races again.
func scnRaceBranding(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pool := aws.ToString(newPool(t, ep, nil).Id)
	client := aws.ToString(newClient(t, ep, pool, nil).ClientId)
	total200, badRounds := 0, 0
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		outs, errs := raceOn(t, ep, brandRacers, func(i int) (*cip.CreateManagedLoginBrandingOutput, error) {
			return admin.CreateManagedLoginBranding(c, &cip.CreateManagedLoginBrandingInput{UserPoolId: aws.String(pool),
				ClientId: aws.String(client), UseCognitoProvidedValues: true})
		})
		cnt := tallyOf(errs)
		total200 += cnt["200"]
		if cnt["200"] != 1 || cnt["ManagedLoginBrandingExistsException"] != brandRacers-1 {
			badRounds++
			t.Errorf("round %d: %d CreateManagedLoginBranding: %s (want 200×1 ManagedLoginBrandingExistsException×%d)", r, brandRacers, cnt, brandRacers-1)
		}
		winner := ""
		for i, err := range errs {
			if err == nil {
				winner = aws.ToString(outs[i].ManagedLoginBranding.ManagedLoginBrandingId)
			}
		}
		b := call(admin.DescribeManagedLoginBrandingByClient(c, &cip.DescribeManagedLoginBrandingByClientInput{UserPoolId: aws.String(pool),
			ClientId: aws.String(client)})).must(t).ManagedLoginBranding
		if id := aws.ToString(b.ManagedLoginBrandingId); id != winner {
			t.Errorf("round %d: the client's style is %s, the acknowledged one %s", r, id, winner)
		}
		call(admin.DeleteManagedLoginBranding(c, &cip.DeleteManagedLoginBrandingInput{UserPoolId: aws.String(pool),
			ManagedLoginBrandingId: b.ManagedLoginBrandingId})).must(t)
	}
	t.Logf("RESULT branding: %d rounds of %d creations, %d acknowledged, %d bad rounds", raceRounds, brandRacers, total200, badRounds)
}

// oauthCodeError is a token endpoint's refusal, counted by its OAuth error code.
type oauthCodeError string

func (e oauthCodeError) Error() string { return string(e) }

// scnRaceAuthorizationCode: codeRacers parallel POST /oauth2/token redeem one authorization
// code; exactly one gets tokens, the others invalid_grant (and RFC 6749 §4.1.2: a code used
// twice revokes what the first use got, so the winner's refresh token is refused afterwards).
func scnRaceAuthorizationCode(t *testing.T, ep *Endpoint) {
	f := newOAuthFixture(t, ep, nil)
	hc := &http.Client{Transport: ep.httpClient().Transport}
	redeem := func(c context.Context, form url.Values) (int, map[string]any, error) {
		req, err := http.NewRequestWithContext(c, "POST", ep.URL+"/oauth2/token", strings.NewReader(form.Encode()))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("status %d, not JSON: %w", resp.StatusCode, err)
		}
		return resp.StatusCode, out, nil
	}
	total200, badRounds := 0, 0
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		code := f.signIn(newOAuthBrowser(t, ep), f.authQuery(nil), "alice", oauthPassword).Query().Get("code")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oauthCallback},
			"code_verifier": {oauthVerifier}, "client_id": {f.client}}
		outs, errs := raceOn(t, ep, codeRacers, func(int) (map[string]any, error) {
			status, out, err := redeem(c, form)
			switch {
			case err != nil:
				return nil, err
			case status == http.StatusOK:
				return out, nil
			}
			code, _ := out["error"].(string)
			return nil, oauthCodeError(fmt.Sprintf("%d %s", status, code))
		})
		cnt := tallyOf(errs)
		total200 += cnt["200"]
		if cnt["200"] != 1 || cnt["transport: 400 invalid_grant"] != codeRacers-1 {
			badRounds++
			t.Errorf("round %d: %d redemptions of one code: %s (want 200×1, 400 invalid_grant×%d)", r, codeRacers, cnt, codeRacers-1)
			continue
		}
		for i, err := range errs {
			if err != nil {
				continue
			}
			refresh, _ := outs[i]["refresh_token"].(string)
			status, out, err := redeem(c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {f.client}})
			if err != nil || status != http.StatusBadRequest || out["error"] != "invalid_grant" {
				t.Errorf("round %d: the winner's refresh token after the code was reused: %d %v %v", r, status, out, err)
			}
		}
	}
	t.Logf("RESULT authorization code: %d rounds of %d redemptions, %d acknowledged, %d bad rounds", raceRounds, codeRacers, total200, badRounds)
}

// googleProvider is a Google identity provider's input (the preset fills in the endpoints;
// nothing is fetched).
func googleProvider(pool, providerName string) *cip.CreateIdentityProviderInput {
	return &cip.CreateIdentityProviderInput{UserPoolId: aws.String(pool), ProviderName: aws.String(providerName),
		ProviderType:     types.IdentityProviderTypeTypeGoogle,
		ProviderDetails:  map[string]string{"client_id": "race-client", "client_secret": "race-secret", "authorize_scopes": "openid email"},
		AttributeMapping: map[string]string{"email": "email"}}
}

// scnRaceIdentityProvider: twenty CreateIdentityProvider of one ProviderName at once, several
// rounds: one is created, the others DuplicateProviderException, and the pool lists one.
func scnRaceIdentityProvider(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pool := aws.ToString(newPool(t, ep, nil).Id)
	total200, badRounds := 0, 0
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		providerName := fmt.Sprintf("Race%d", r)
		_, errs := raceOn(t, ep, providerRacers, func(int) (*cip.CreateIdentityProviderOutput, error) {
			return admin.CreateIdentityProvider(c, &cip.CreateIdentityProviderInput{UserPoolId: aws.String(pool),
				ProviderName: aws.String(providerName), ProviderType: types.IdentityProviderTypeTypeOidc,
				ProviderDetails: map[string]string{"client_id": "race-client", "client_secret": "race-secret", "authorize_scopes": "openid email",
					"oidc_issuer": "https://issuer.example.com", "attributes_request_method": "GET"}})
		})
		cnt := tallyOf(errs)
		total200 += cnt["200"]
		if cnt["200"] != 1 || cnt["DuplicateProviderException"] != providerRacers-1 {
			badRounds++
			t.Errorf("round %d: %d CreateIdentityProvider of %s: %s (want 200×1 DuplicateProviderException×%d)", r, providerRacers, providerName, cnt, providerRacers-1)
		}
		call(admin.DeleteIdentityProvider(c, &cip.DeleteIdentityProviderInput{UserPoolId: aws.String(pool), ProviderName: aws.String(providerName)})).must(t)
	}
	t.Logf("RESULT identity provider: %d rounds of %d creations, %d acknowledged, %d bad rounds", raceRounds, providerRacers, total200, badRounds)
}

// scnRaceResourceServer: twenty CreateResourceServer of one identifier at once, several
// rounds: one is created, the others InvalidParameterException ("already exists").
func scnRaceResourceServer(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	pool := aws.ToString(newPool(t, ep, nil).Id)
	total200, badRounds := 0, 0
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		identifier := fmt.Sprintf("https://race-%d.example.com", r)
		_, errs := raceOn(t, ep, providerRacers, func(i int) (*cip.CreateResourceServerOutput, error) {
			return admin.CreateResourceServer(c, &cip.CreateResourceServerInput{UserPoolId: aws.String(pool), Identifier: aws.String(identifier),
				Name:   aws.String(fmt.Sprintf("racer %d", i)),
				Scopes: []types.ResourceServerScopeType{{ScopeName: aws.String("read"), ScopeDescription: aws.String("read")}}})
		})
		cnt := tallyOf(errs)
		total200 += cnt["200"]
		if cnt["200"] != 1 || cnt["InvalidParameterException"] != providerRacers-1 {
			badRounds++
			t.Errorf("round %d: %d CreateResourceServer of %s: %s (want 200×1 InvalidParameterException×%d)", r, providerRacers, identifier, cnt, providerRacers-1)
		}
		call(admin.DeleteResourceServer(c, &cip.DeleteResourceServerInput{UserPoolId: aws.String(pool), Identifier: aws.String(identifier)})).must(t)
	}
	t.Logf("RESULT resource server: %d rounds of %d creations, %d acknowledged, %d bad rounds", raceRounds, providerRacers, total200, badRounds)
}

// scnRaceProviderLink: twenty AdminLinkProviderForUser of one provider subject, each to a
// different native user, at once, several rounds: one link is made, the others
// AliasExistsException ("already linked to another user").
func scnRaceProviderLink(t *testing.T, ep *Endpoint) {
	admin := ep.Admin()
	f := newFixture(t, ep, nil, nil)
	call(admin.CreateIdentityProvider(ctx, googleProvider(f.pool, "Google"))).must(t)
	users := make([]string, providerRacers)
	for i := range users {
		users[i] = fmt.Sprintf("native%d", i)
		f.createUser(t, users[i], "Passw0rd-race")
	}
	total200, badRounds := 0, 0
	for r := 0; r < raceRounds; r++ {
		c := roundCtx(t)
		subject := fmt.Sprintf("google-subject-%d", r)
		_, errs := raceOn(t, ep, providerRacers, func(i int) (*cip.AdminLinkProviderForUserOutput, error) {
			return admin.AdminLinkProviderForUser(c, &cip.AdminLinkProviderForUserInput{UserPoolId: aws.String(f.pool),
				DestinationUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Cognito"), ProviderAttributeValue: aws.String(users[i])},
				SourceUser: &types.ProviderUserIdentifierType{ProviderName: aws.String("Google"), ProviderAttributeName: aws.String("Cognito_Subject"),
					ProviderAttributeValue: aws.String(subject)}})
		})
		cnt := tallyOf(errs)
		total200 += cnt["200"]
		if cnt["200"] != 1 || cnt["AliasExistsException"] != providerRacers-1 {
			badRounds++
			t.Errorf("round %d: %d links of %s: %s (want 200×1 AliasExistsException×%d)", r, providerRacers, subject, cnt, providerRacers-1)
		}
	}
	t.Logf("RESULT provider link: %d rounds of %d links, %d acknowledged, %d bad rounds", raceRounds, providerRacers, total200, badRounds)
}
