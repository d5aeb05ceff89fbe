package userpool

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/message"
	"github.com/poolgate/poolgate/internal/store"
)

// Races: many goroutines call the service at once over one memstore; every acknowledged
// write must be kept and every one-winner operation must have exactly one winner.

// race runs f(i) for i in [0, n) on n goroutines at once and returns their errors. Every
// goroutine's first commit in a user pool's shard is held until each of them has either
// reached that point or finished: so all of them read the same state before anyone writes,
// the worst interleaving there is, and a read-modify-write that is not atomic loses updates
// every time rather than now and then.
func (e *testEnv) race(n int, f func(i int) error) []error {
	g := &gateStore{Store: e.svc.d.Store, n: n, open: make(chan struct{})}
	e.svc.d.Store = g
	defer func() { e.svc.d.Store = g.Store }()
	errs := make([]error, n)
	var done sync.WaitGroup
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			defer g.arrive()
			errs[i] = f(i)
		}()
	}
	done.Wait()
	return errs
}

// gateStore holds commits in user pools' shards until n goroutines have arrived (see race).
type gateStore struct {
	store.Store
	n    int
	mu   sync.Mutex
	seen int
	open chan struct{}
}

// arrive counts one goroutine at the gate; the last one opens it. Once open it stays open.
func (g *gateStore) arrive() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
		return
	default:
	}
	g.seen++
	if g.seen == g.n {
		close(g.open)
	}
}

func (g *gateStore) Commit(ctx context.Context, ops []store.Op) error {
	if strings.HasPrefix(store.Shard(ops[0].Key), "p/") {
		select {
		case <-g.open:
		default:
			g.arrive()
			<-g.open
		}
	}
	return g.Store.Commit(ctx, ops)
}

// errType is the wire __type of err ("" for nil, "?" for a non-wire error).
func errType(err error) string {
	if err == nil {
		return ""
	}
	var ae *awsjson.Error
	if errors.As(err, &ae) {
		return string(ae.Type)
	}
	return "?" + err.Error()
}

// tally counts errors by wire type ("" counts successes).
func tally(errs []error) map[string]int {
	m := map[string]int{}
	for _, err := range errs {
		m[errType(err)]++
	}
	return m
}

// keysUnder lists the live keys under prefix.
func (e *testEnv) keysUnder(prefix string) []string {
	e.t.Helper()
	keys, err := e.svc.listKeys(context.Background(), prefix)
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

// checkIndex fails unless every index key of pool points at a user that holds its value, and
// returns how many there are.
func (e *testEnv) checkIndex(poolID string) int {
	e.t.Helper()
	ctx := context.Background()
	p, err := e.svc.getPool(ctx, poolID)
	if err != nil {
		e.t.Fatal(err)
	}
	keys := e.keysUnder(indexKey(poolID, "", "")[:len("ux/"+poolID+"/")])
	for _, k := range keys {
		ref, err := e.store.Get(ctx, k)
		if err != nil {
			e.t.Fatal(err)
		}
		attr, value, _ := strings.Cut(strings.TrimPrefix(k, "ux/"+poolID+"/"), "/")
		u, err := e.svc.getUser(ctx, p, string(ref))
		if err != nil {
			e.t.Fatalf("orphan index key %s → %s: %v", k, ref, err)
		}
		if indexValue(attr, u.Attr(attr)) != value {
			e.t.Fatalf("index key %s points at %s whose %s is %q", k, ref, attr, u.Attr(attr))
		}
	}
	return len(keys)
}

func TestRaceSignUpOneName(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	ctx := t.Context()
	errs := a.race(50, func(i int) error {
		_, err := a.svc.signUp(ctx, &SignUpInput{ClientId: a.client, Username: "racer", Password: testPassword,
			UserAttributes: []AttributeType{{Name: "email", Value: ptr(fmt.Sprintf("racer%d@example.com", i))}}})
		return err
	})
	if got := tally(errs); got[""] != 1 || got["UsernameExistsException"] != 49 {
		t.Fatalf("50 sign-ups of one name: %v", got)
	}
	if users := a.keysUnder(userKey(a.pool, "")); len(users) != 1 {
		t.Fatalf("user records: %v", users)
	}
	if n := a.checkIndex(a.pool); n != 1 { // the winner's sub
		t.Fatalf("%d index keys, want 1", n)
	}
	// Only the winner was sent a code, and it is the code stored.
	if msgs := a.sender.Messages(); len(msgs) != 1 {
		t.Fatalf("%d messages sent, want 1", len(msgs))
	}
	a.call("ConfirmSignUp", map[string]any{"ClientId": a.client, "Username": "racer",
		"ConfirmationCode": a.lastCode("racer", message.KindSignUp)})
}

func TestRaceSignUpOneEmail(t *testing.T) {
	// The email is the username: the user's key is its sub, and the email index key is what
	// must have one owner.
	a := newAuthSetup(t, map[string]any{"UsernameAttributes": []string{"email"}}, passwordClient)
	ctx := t.Context()
	errs := a.race(50, func(i int) error {
		_, err := a.svc.signUp(ctx, &SignUpInput{ClientId: a.client, Username: "same@example.com", Password: testPassword})
		return err
	})
	if got := tally(errs); got[""] != 1 || got["UsernameExistsException"] != 49 {
		t.Fatalf("50 sign-ups of one email: %v", got)
	}
	if users := a.keysUnder(userKey(a.pool, "")); len(users) != 1 {
		t.Fatalf("user records: %v", users)
	}
	if n := a.checkIndex(a.pool); n != 2 { // sub and email
		t.Fatalf("%d index keys, want 2", n)
	}
}

func TestRaceAddUserToGroups(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUp("gina", "gina@example.com")
	ctx := t.Context()
	for i := range 20 {
		a.call("CreateGroup", map[string]any{"UserPoolId": a.pool, "GroupName": fmt.Sprintf("g%02d", i)})
	}
	errs := a.race(20, func(i int) error {
		_, err := a.svc.adminAddUserToGroup(ctx, &GroupMembershipInput{UserPoolId: a.pool, Username: "gina",
			GroupName: fmt.Sprintf("g%02d", i)})
		return err
	})
	if got := tally(errs); got[""] != 20 {
		t.Fatalf("20 group adds: %v", got)
	}
	if g := a.user(a.pool, "gina").Groups; len(g) != 20 {
		t.Fatalf("user lists %d groups, want 20: %v", len(g), g)
	}
	if keys := a.keysUnder("ugm/" + a.pool + "/"); len(keys) != 20 {
		t.Fatalf("%d membership keys, want 20", len(keys))
	}
	// And all removed again, concurrently.
	errs = a.race(20, func(i int) error {
		_, err := a.svc.adminRemoveUserFromGroup(ctx, &GroupMembershipInput{UserPoolId: a.pool, Username: "gina",
			GroupName: fmt.Sprintf("g%02d", i)})
		return err
	})
	if got := tally(errs); got[""] != 20 {
		t.Fatalf("20 group removals: %v", got)
	}
	if g := a.user(a.pool, "gina").Groups; len(g) != 0 {
		t.Fatalf("user still lists %v", g)
	}
	if keys := a.keysUnder("ugm/" + a.pool + "/"); len(keys) != 0 {
		t.Fatalf("membership keys left: %v", keys)
	}
}

func TestRaceUpdateAttributes(t *testing.T) {
	var schema []map[string]any
	for i := range 20 {
		schema = append(schema, map[string]any{"Name": fmt.Sprintf("c%02d", i), "AttributeDataType": "String", "Mutable": true})
	}
	a := newAuthSetup(t, map[string]any{"Schema": schema}, passwordClient)
	a.signUp("ulla", "ulla@example.com")
	ctx := t.Context()
	errs := a.race(20, func(i int) error {
		_, err := a.svc.adminUpdateUserAttributes(ctx, &AdminUpdateUserAttributesInput{UserPoolId: a.pool, Username: "ulla",
			UserAttributes: []AttributeType{{Name: fmt.Sprintf("custom:c%02d", i), Value: ptr(fmt.Sprint(i))}}})
		return err
	})
	if got := tally(errs); got[""] != 20 {
		t.Fatalf("20 attribute updates: %v", got)
	}
	u := a.user(a.pool, "ulla")
	for i := range 20 {
		if v := u.Attributes[fmt.Sprintf("custom:c%02d", i)]; v != fmt.Sprint(i) {
			t.Fatalf("custom:c%02d = %q, want %d (attributes %v)", i, v, i, u.Attributes)
		}
	}
}

func TestRaceSRPAnswerRedeemedOnce(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("sam", "sam@example.com")
	cl, status, challenge := a.srpStart("sam")
	if status != http.StatusOK {
		t.Fatalf("InitiateAuth: %d %v", status, challenge)
	}
	resp := map[string]string{}
	for k, v := range a.srpAnswer(cl, challenge, testPassword, a.clock.Now()) {
		resp[k] = v.(string)
	}
	ctx := t.Context()
	var mu sync.Mutex
	var tokens []*AuthenticationResult
	errs := a.race(30, func(i int) error {
		out, err := a.svc.respondToAuthChallenge(ctx, &RespondToAuthChallengeInput{ClientId: a.client,
			ChallengeName: "PASSWORD_VERIFIER", ChallengeResponses: resp})
		if err == nil {
			mu.Lock()
			tokens = append(tokens, out.AuthenticationResult)
			mu.Unlock()
		}
		return err
	})
	if got := tally(errs); got[""] != 1 || got["NotAuthorizedException"] != 29 || len(tokens) != 1 || tokens[0] == nil {
		t.Fatalf("30 answers with one SECRET_BLOCK: %v, %d token sets", got, len(tokens))
	}
}

func TestRaceCreateGroupOnce(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	ctx := t.Context()
	errs := a.race(20, func(i int) error {
		_, err := a.svc.createGroup(ctx, &CreateGroupInput{UserPoolId: a.pool, GroupName: "admins",
			GroupSettings: GroupSettings{Description: fmt.Sprint(i)}})
		return err
	})
	if got := tally(errs); got[""] != 1 || got["GroupExistsException"] != 19 {
		t.Fatalf("20 CreateGroup of one name: %v", got)
	}
	if keys := a.keysUnder(groupKey(a.pool, "")); len(keys) != 1 {
		t.Fatalf("group records: %v", keys)
	}
}

func TestRaceLockoutCountsEveryAttempt(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("lou", "lou@example.com")
	ctx := t.Context()
	errs := a.race(20, func(i int) error {
		_, err := a.svc.initiateAuth(ctx, &InitiateAuthInput{AuthFlow: "USER_PASSWORD_AUTH", ClientId: a.client,
			AuthParameters: map[string]string{"USERNAME": "lou", "PASSWORD": "Wr0ng-pass"}})
		return err
	})
	var checked, refused int
	for _, err := range errs {
		var ae *awsjson.Error
		switch {
		case !errors.As(err, &ae) || ae.Type != awsjson.ErrNotAuthorized:
			t.Fatalf("wrong password: %v", err)
		case ae.Message == "Incorrect username or password.":
			checked++
		case ae.Message == "Password attempts exceeded":
			refused++ // refused before the password was looked at: not an attempt
		default:
			t.Fatalf("wrong password: %v", err)
		}
	}
	// Every password that was checked counted, none lost to a concurrent write.
	if st := a.lock("lou"); st.Failures != checked || checked < lockoutThreshold {
		t.Fatalf("%d failures recorded for %d checked wrong passwords (%d refused)", st.Failures, checked, refused)
	}
}

func TestRaceDeleteUserLeavesNoIndex(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"AliasAttributes": []string{"email", "preferred_username"}}, passwordClient)
	a.signUpConfirmed("dora", "dora@example.com")
	a.call("CreateGroup", map[string]any{"UserPoolId": a.pool, "GroupName": "g"})
	a.call("AdminAddUserToGroup", map[string]any{"UserPoolId": a.pool, "Username": "dora", "GroupName": "g"})
	ctx := t.Context()
	errs := a.race(10, func(i int) error {
		if i%2 == 0 {
			_, err := a.svc.adminDeleteUser(ctx, &AdminUserRef{UserPoolId: a.pool, Username: "dora"})
			return err
		}
		_, err := a.svc.adminUpdateUserAttributes(ctx, &AdminUpdateUserAttributesInput{UserPoolId: a.pool, Username: "dora",
			UserAttributes: []AttributeType{{Name: "preferred_username", Value: ptr(fmt.Sprintf("dee%d", i))}}})
		return err
	})
	got := tally(errs)
	if got[""] < 1 || got[""]+got["UserNotFoundException"] != 10 {
		t.Fatalf("deletes racing updates: %v", got)
	}
	if n := a.checkIndex(a.pool); n != 0 {
		t.Fatalf("%d index keys outlive the user", n)
	}
	if keys := a.keysUnder(userKey(a.pool, "")); len(keys) != 0 {
		t.Fatalf("user records left: %v", keys)
	}
	if keys := a.keysUnder("ugm/" + a.pool + "/"); len(keys) != 0 {
		t.Fatalf("memberships left: %v", keys)
	}
}

func TestRaceCodesAreSingleUseAndGuessesCounted(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("cody", "cody@example.com")
	ctx := t.Context()
	forgot := func() string {
		a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "cody"})
		return a.lastCode("cody", message.KindForgotPassword)
	}
	confirm := func(code string) error {
		_, err := a.svc.confirmForgotPassword(ctx, &ConfirmForgotPasswordInput{ClientId: a.client, Username: "cody",
			ConfirmationCode: code, Password: "N3w-Password"})
		return err
	}
	// The right code, ten times at once: one reset.
	code := forgot()
	if got := tally(a.race(10, func(int) error { return confirm(code) })); got[""] != 1 || got["CodeMismatchException"] != 9 {
		t.Fatalf("10 resets with one code: %v", got)
	}
	// Ten wrong guesses at once: every one is counted, so the code dies after five.
	code = forgot()
	got := tally(a.race(10, func(i int) error { return confirm(fmt.Sprintf("x%05d", i)) }))
	if got["CodeMismatchException"] != maxCodeAttempts-1 || got["TooManyFailedAttemptsException"] != 10-(maxCodeAttempts-1) {
		t.Fatalf("10 wrong codes at once: %v", got)
	}
	if err := confirm(code); errType(err) != "TooManyFailedAttemptsException" {
		t.Fatalf("the right code after %d wrong ones: %v", maxCodeAttempts, err)
	}
}

func TestDeleteUserInManyGroups(t *testing.T) {
	// More memberships than one commit holds: the user and its index go in one commit, the
	// memberships in batches after it.
	a := newAuthSetup(t, nil, passwordClient)
	a.signUp("mona", "mona@example.com")
	n := store.MaxCommitOps + 10
	for i := range n {
		g := fmt.Sprintf("g%03d", i)
		a.call("CreateGroup", map[string]any{"UserPoolId": a.pool, "GroupName": g})
		a.call("AdminAddUserToGroup", map[string]any{"UserPoolId": a.pool, "Username": "mona", "GroupName": g})
	}
	if keys := a.keysUnder("ugm/" + a.pool + "/"); len(keys) != n {
		t.Fatalf("%d memberships, want %d", len(keys), n)
	}
	a.call("AdminDeleteUser", map[string]any{"UserPoolId": a.pool, "Username": "mona"})
	if keys := a.keysUnder("ugm/" + a.pool + "/"); len(keys) != 0 {
		t.Fatalf("%d memberships outlive the user", len(keys))
	}
	if n := a.checkIndex(a.pool); n != 0 {
		t.Fatalf("%d index keys outlive the user", n)
	}
}

func TestStaleIndexKeyIsReplaced(t *testing.T) {
	// Data written before the store was atomic may hold an index key whose user no longer
	// has the value: it does not block the value, and is replaced conditioned on its version.
	a := newAuthSetup(t, map[string]any{"UsernameAttributes": []string{"email"}}, passwordClient)
	ctx := t.Context()
	a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "old@example.com", "Password": testPassword})
	owner := a.user(a.pool, "old@example.com").Username
	stale := indexKey(a.pool, "email", "new@example.com")
	if err := a.store.Put(ctx, stale, []byte(owner), store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	out := a.call("SignUp", map[string]any{"ClientId": a.client, "Username": "new@example.com", "Password": testPassword})
	sub, _ := out["UserSub"].(string)
	ref, err := a.store.Get(ctx, stale)
	if err != nil || string(ref) != a.user(a.pool, sub).Username {
		t.Fatalf("index key %s → %q (%v), want the new user", stale, ref, err)
	}
	if n := a.checkIndex(a.pool); n != 4 { // two subs, two emails
		t.Fatalf("%d index keys, want 4", n)
	}
}

// conflictingStore is a store whose every commit in a user pool's shard conflicts.
type conflictingStore struct {
	store.Store
	commits int
	mu      sync.Mutex
}

func (c *conflictingStore) Commit(ctx context.Context, ops []store.Op) error {
	if strings.HasPrefix(store.Shard(ops[0].Key), "p/") {
		c.mu.Lock()
		c.commits++
		c.mu.Unlock()
		return store.ErrConflict
	}
	return c.Store.Commit(ctx, ops)
}

func TestRetryExhaustedIsConcurrentModification(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUp("cora", "cora@example.com")
	cs := &conflictingStore{Store: a.svc.d.Store}
	a.svc.d.Store = cs
	status, out := a.dispatch("AdminUpdateUserAttributes", map[string]any{"UserPoolId": a.pool, "Username": "cora",
		"UserAttributes": []map[string]any{{"Name": "name", "Value": "Cora"}}})
	if status != http.StatusBadRequest || out["__type"] != "ConcurrentModificationException" {
		t.Fatalf("exhausted retries: %d %v", status, out)
	}
	if cs.commits != store.MaxAttempts {
		t.Fatalf("%d commits tried, want %d", cs.commits, store.MaxAttempts)
	}
	a.svc.d.Store = cs.Store
	if u := a.user(a.pool, "cora"); u.Attributes["name"] != "" {
		t.Fatalf("a refused update was written: %v", u.Attributes)
	}
}

func ptr[T any](v T) *T { return &v }
