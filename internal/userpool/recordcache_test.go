package userpool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/store/memstore"
)

// fill sets every exported field reachable from v to a non-zero value (pointers allocated,
// slices and maps of two elements, interfaces holding a nested map and slice), so that a
// copy that shares any of it is caught by sharedReferences.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i), n)
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i), n)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			fill(k, n)
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, n)
			v.SetMapIndex(k, e)
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"nested": []any{fmt.Sprint(*n), map[string]any{"deep": "x"}}}))
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(*n))
	}
}

// references collects the addresses of the memory v reaches through exported fields:
// pointers' targets, slices' arrays, maps.
func references(v reflect.Value, into map[uintptr]string, path string) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			into[v.Pointer()] = path
			references(v.Elem(), into, path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				references(v.Field(i), into, path+"."+v.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		if v.Len() > 0 {
			into[v.Pointer()] = path
		}
		for i := range v.Len() {
			references(v.Index(i), into, fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if !v.IsNil() {
			into[v.Pointer()] = path
		}
		for it := v.MapRange(); it.Next(); {
			references(it.Value(), into, fmt.Sprintf("%s[%v]", path, it.Key()))
		}
	case reflect.Interface:
		if !v.IsNil() {
			references(v.Elem(), into, path)
		}
	}
}

// TestCloneSharesNothing: clone of each cached record type, every field filled, is equal to
// the original and shares no pointer, slice array or map with it (a field added later is
// covered too: fill and references walk the type).
func TestCloneSharesNothing(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		dup  func(any) any
	}{
		{"Pool", new(Pool), func(v any) any { return clone(v.(*Pool)) }},
		{"Client", new(Client), func(v any) any { return clone(v.(*Client)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			fill(reflect.ValueOf(tc.v).Elem(), &n)
			c := tc.dup(tc.v)
			if !reflect.DeepEqual(tc.v, c) {
				t.Fatalf("clone differs:\n%+v\n%+v", tc.v, c)
			}
			orig, copied := map[uintptr]string{}, map[uintptr]string{}
			references(reflect.ValueOf(tc.v), orig, tc.name)
			references(reflect.ValueOf(c), copied, tc.name)
			if len(orig) < 10 {
				t.Fatalf("only %d references filled: the walk is broken", len(orig))
			}
			for addr, path := range copied {
				if o, shared := orig[addr]; shared {
					t.Errorf("%s shares memory with the original's %s", path, o)
				}
			}
		})
	}
}

// TestRecordCacheDecodesOnce: the same bytes decode once; other bytes under the key decode
// again and replace the entry; every caller gets its own copy; the cache stays bounded.
func TestRecordCacheDecodesOnce(t *testing.T) {
	c := newRecordCache[Client](2)
	decodes := 0
	fresh := func(b []byte) (*Client, error) {
		decodes++
		var v Client
		return &v, json.Unmarshal(b, &v)
	}
	a := []byte(`{"ClientId":"a","CallbackURLs":["https://a.example/cb"]}`)
	first, err := c.decode("k", a, fresh)
	if err != nil {
		t.Fatal(err)
	}
	first.CallbackURLs[0] = "https://evil.example/"
	second, _ := c.decode("k", append([]byte(nil), a...), fresh)
	if decodes != 1 {
		t.Fatalf("%d decodes of unchanged bytes, want 1", decodes)
	}
	if second.CallbackURLs[0] != "https://a.example/cb" {
		t.Fatalf("a caller's change reached the cache: %q", second.CallbackURLs[0])
	}
	third, _ := c.decode("k", []byte(`{"ClientId":"b"}`), fresh)
	if decodes != 2 || third.ClientId != "b" {
		t.Fatalf("changed bytes: %d decodes, client %q", decodes, third.ClientId)
	}
	if _, err := c.decode("bad", []byte(`{`), fresh); err == nil {
		t.Fatal("corrupt record decoded")
	}
	for _, k := range []string{"x", "y", "z"} {
		c.decode(k, a, fresh)
	}
	if len(c.entries) > 2 {
		t.Fatalf("%d entries, bound 2", len(c.entries))
	}
}

// TestRecordCacheReadsUnchanged: read asks the store with the entry's bytes held, and gets
// them back when they are current (so view finds its entry without decoding), the stored
// bytes when they changed, and the store's error for a deleted record; through a store that
// compares itself (store.UnchangedGetter) and through one that does not.
func TestRecordCacheReadsUnchanged(t *testing.T) {
	ctx := context.Background()
	for name, wrap := range map[string]func(store.Store) store.Store{
		"comparing store": func(st store.Store) store.Store { return &countingStore{Store: st} },
		"plain store":     func(st store.Store) store.Store { return plainStore{st} },
	} {
		t.Run(name, func(t *testing.T) {
			mem := memstore.New(nil)
			st := wrap(mem)
			c := newRecordCache[Client](4)
			decodes := 0
			fresh := func(b []byte) (*Client, error) {
				decodes++
				var v Client
				return &v, json.Unmarshal(b, &v)
			}
			mem.Put(ctx, "k", []byte(`{"ClientId":"a"}`), store.PutOptions{})
			readView := func() (*Client, []byte) {
				t.Helper()
				b, err := c.read(ctx, st, "k")
				if err != nil {
					t.Fatalf("read: %v", err)
				}
				v, err := c.view("k", b, fresh)
				if err != nil {
					t.Fatalf("view: %v", err)
				}
				return v, b
			}
			first, _ := readView()
			second, b := readView()
			if first != second || decodes != 1 || &b[0] != &c.entries["k"].raw[0] {
				t.Fatalf("unchanged bytes: %d decodes, the same view %v, the entry's bytes back %v", decodes, first == second, &b[0] == &c.entries["k"].raw[0])
			}
			mem.Put(ctx, "k", []byte(`{"ClientId":"b"}`), store.PutOptions{})
			if third, _ := readView(); third.ClientId != "b" || decodes != 2 {
				t.Fatalf("changed bytes: client %q after %d decodes", third.ClientId, decodes)
			}
			mem.Delete(ctx, "k")
			if _, err := c.read(ctx, st, "k"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("deleted record: %v, want ErrNotFound", err)
			}
			if cs, ok := st.(*countingStore); ok && cs.unchanged != 1 {
				t.Fatalf("the store answered unchanged %d times, want 1", cs.unchanged)
			}
		})
	}
}

// countingStore compares held bytes itself, as hostsim's guest store has its host do, and
// counts the reads it answered unchanged.
type countingStore struct {
	store.Store
	unchanged int
}

func (s *countingStore) GetUnlessUnchanged(ctx context.Context, key string, have []byte) ([]byte, bool, error) {
	v, err := s.Get(ctx, key)
	if err != nil {
		return nil, false, err
	}
	if bytes.Equal(v, have) {
		s.unchanged++
		return nil, true, nil
	}
	return v, false, nil
}

// plainStore hides a store's own GetUnlessUnchanged.
type plainStore struct{ store.Store }

// TestCachedRecordsNotShared: what one request does to the pool and client it read (as the
// Update* write paths do before writing) is not what the next request reads.
func TestCachedRecordsNotShared(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	pool := env.createPool(map[string]any{"AliasAttributes": []string{"email"},
		"Schema": []map[string]any{{"Name": "team", "AttributeDataType": "String", "Mutable": true}}})
	clientID, _ := env.createClient(pool, map[string]any{"CallbackURLs": []string{"https://app.example/cb"},
		"AllowedOAuthFlows": []string{"code"}, "AllowedOAuthScopes": []string{"openid"}, "AllowedOAuthFlowsUserPoolClient": true,
		"SupportedIdentityProviders": []string{"COGNITO"}})

	for range 2 { // the second round reads from the cache
		p, err := env.svc.getPool(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		if p.AliasAttributes[0] != "email" || p.Name != "test" {
			t.Fatalf("pool read after a caller's changes: %+v", p)
		}
		p.Name = "changed"
		p.AliasAttributes[0] = "phone_number"
		p.SchemaAttributes[0].Name = "changed"
		p.Password() // reads only
		if p.Policies != nil && p.Policies.PasswordPolicy != nil {
			p.Policies.PasswordPolicy.MinimumLength = 99
		}
		c, err := env.svc.getClient(ctx, pool, clientID)
		if err != nil {
			t.Fatal(err)
		}
		if c.CallbackURLs[0] != "https://app.example/cb" {
			t.Fatalf("client read after a caller's changes: %+v", c)
		}
		c.CallbackURLs[0] = "https://evil.example/cb"
		c.AllowedOAuthScopes = append(c.AllowedOAuthScopes[:0], "aws.cognito.signin.user.admin")
	}
	p, _ := env.svc.getPool(ctx, pool)
	if p.SchemaAttributes[0].Name == "changed" || (p.Policies != nil && p.Policies.PasswordPolicy != nil && p.Policies.PasswordPolicy.MinimumLength == 99) {
		t.Fatalf("pool changed through a caller's copy: %+v", p)
	}

	// A write through the API is what the next read sees.
	env.call("UpdateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": clientID,
		"CallbackURLs": []string{"https://app.example/new"}, "AllowedOAuthFlows": []string{"code"},
		"AllowedOAuthScopes": []string{"openid"}, "AllowedOAuthFlowsUserPoolClient": true, "SupportedIdentityProviders": []string{"COGNITO"}})
	c, err := env.svc.getClient(ctx, pool, clientID)
	if err != nil || c.CallbackURLs[0] != "https://app.example/new" {
		t.Fatalf("client after UpdateUserPoolClient: %+v, %v", c, err)
	}
}

// TestCachedRecordsRace updates a pool and a client while other goroutines read them
// through the API: under -race any sharing of a cached record between requests is a report;
// every read sees one of the written values whole.
func TestCachedRecordsRace(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	clientID, _ := env.createClient(pool, nil)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				name := fmt.Sprintf("w%d-%d", w, i)
				if status, out := env.dispatch("UpdateUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": clientID,
					"ClientName": name, "ReadAttributes": []string{"email", "name"}}); status != http.StatusOK {
					t.Errorf("UpdateUserPoolClient: %d %v", status, out)
				}
				if status, out := env.dispatch("UpdateUserPool", map[string]any{"UserPoolId": pool,
					"UserPoolTags": map[string]string{"round": name}}); status != http.StatusOK {
					t.Errorf("UpdateUserPool: %d %v", status, out)
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				status, out := env.dispatch("DescribeUserPoolClient", map[string]any{"UserPoolId": pool, "ClientId": clientID})
				if status != http.StatusOK {
					t.Errorf("DescribeUserPoolClient: %d %v", status, out)
					return
				}
				status, out = env.dispatch("DescribeUserPool", map[string]any{"UserPoolId": pool})
				if status != http.StatusOK {
					t.Errorf("DescribeUserPool: %d %v", status, out)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestGetUserReadsNoSecrets: GetUser answers from a user read without its secrets, and the
// reads that may write keep them.
func TestGetUserReadsNoSecrets(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	pool := env.createPool(nil)
	name := env.mUser(pool, "alice", "email", "alice@example.com")
	p, err := env.svc.getPool(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	key := userKey(pool, usernameKey(p, name))
	full, err := env.svc.userAt(ctx, p, key)
	if err != nil || full.Secrets.Password == nil {
		t.Fatalf("userAt: %+v, %v; want the temporary password's verifier", full, err)
	}
	public, err := env.svc.userView(ctx, p, key)
	if err != nil || public.Secrets.Password != nil || public.Sub != full.Sub || public.Attr("email") != "alice@example.com" {
		t.Fatalf("userView: %+v, %v", public, err)
	}
}

// TestViewsStayUnchanged: GetUser reads the pool, client and user as the cache's shared
// records (recordCache.view); serving it must leave them exactly as decoded, or every later
// request would read what one request changed. The cached records after some GetUser calls
// (of a client with ReadAttributes, so that path runs too) are compared with copies taken
// before, and the user with its stored bytes decoded afresh.
func TestViewsStayUnchanged(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"AliasAttributes": []string{"email"}},
		map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
			"ReadAttributes": []string{"email", "name"}})
	a.signUpConfirmed("vera", "vera@example.com")
	access, _, _ := a.tokens(a.passwordLogin("vera", testPassword))
	getUser := func() {
		out := a.call("GetUser", map[string]any{"AccessToken": access})
		if out["Username"] == nil {
			t.Fatalf("GetUser: %v", out)
		}
	}
	getUser()
	pools, clients, users := snapshotCache(a.svc.cache.pools), snapshotCache(a.svc.cache.clients), snapshotCache(a.svc.cache.users)
	if len(pools) == 0 || len(clients) == 0 || len(users) == 0 {
		t.Fatalf("nothing cached after GetUser: %d pools, %d clients, %d users", len(pools), len(clients), len(users))
	}
	for range 3 {
		getUser()
	}
	for key, want := range pools {
		if got := a.svc.cache.pools.entries[key].v; !reflect.DeepEqual(got, want) {
			t.Errorf("cached pool %s changed by GetUser:\n got %+v\nwant %+v", key, got, want)
		}
	}
	for key, want := range clients {
		if got := a.svc.cache.clients.entries[key].v; !reflect.DeepEqual(got, want) {
			t.Errorf("cached client %s changed by GetUser:\n got %+v\nwant %+v", key, got, want)
		}
	}
	for key, want := range users {
		e := a.svc.cache.users.entries[key]
		if !reflect.DeepEqual(e.v, want) {
			t.Errorf("cached user %s changed by GetUser:\n got %+v\nwant %+v", key, e.v, want)
		}
		// Against its stored bytes too: the first GetUser ran before the snapshot.
		var su storedUser
		if err := decodeStoredUser(e.raw, &su); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*e.v, su.User) {
			t.Errorf("cached user %s differs from its stored bytes:\n got %+v\nwant %+v", key, *e.v, su.User)
		}
	}
	// A view is the cached record itself: no copy was made.
	p, err := a.svc.poolView(context.Background(), a.pool)
	if err != nil || p != a.svc.cache.pools.entries[poolKey(a.pool)].v {
		t.Fatalf("poolView: %p, %v; want the cached record", p, err)
	}
}

// snapshotCache returns deep copies of c's records by key.
func snapshotCache[T any](c *recordCache[T]) map[string]*T {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]*T{}
	for k, e := range c.entries {
		out[k] = clone(e.v)
	}
	return out
}

// TestViewsRace serves GetUser (shared views of the pool and client) while the pool and
// client are updated: under -race a write reaching a record a view shares is a report, and
// every GetUser answers.
func TestViewsRace(t *testing.T) {
	a := newAuthSetup(t, nil, map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}})
	a.signUpConfirmed("wren", "wren@example.com")
	access, _, _ := a.tokens(a.passwordLogin("wren", testPassword))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 15 {
			name := fmt.Sprintf("round-%d", i)
			if status, out := a.dispatch("UpdateUserPoolClient", map[string]any{"UserPoolId": a.pool, "ClientId": a.client, "ClientName": name,
				"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}, "ReadAttributes": []string{"email"}}); status != http.StatusOK {
				t.Errorf("UpdateUserPoolClient: %d %v", status, out)
			}
			if status, out := a.dispatch("UpdateUserPool", map[string]any{"UserPoolId": a.pool, "AutoVerifiedAttributes": []string{"email"},
				"UserPoolTags": map[string]string{"round": name}}); status != http.StatusOK {
				t.Errorf("UpdateUserPool: %d %v", status, out)
			}
		}
	}()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				if status, out := a.dispatch("GetUser", map[string]any{"AccessToken": access}); status != http.StatusOK || out["Username"] != "wren" {
					t.Errorf("GetUser: %d %v", status, out)
					return
				}
				// An admin change of the user reads the pool's view too (modifyAdminUser).
				if status, out := a.dispatch("AdminEnableUser", map[string]any{"UserPoolId": a.pool, "Username": "wren"}); status != http.StatusOK {
					t.Errorf("AdminEnableUser: %d %v", status, out)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestAdminViewsStayUnchanged: the admin actions that change one user (modifyAdminUser) read
// the pool as the shared cached record; running each of them, with the code messages and
// verifications they send, leaves the cached pool as it was.
func TestAdminViewsStayUnchanged(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"AliasAttributes": []string{"email", "phone_number"},
		"AutoVerifiedAttributes": []string{"email"}}, nil)
	a.signUp("ursula", "ursula@example.com") // unconfirmed: AdminConfirmSignUp has work to do
	a.signUpConfirmed("victor", "victor@example.com")
	admin := func(action string, in map[string]any) {
		t.Helper()
		in["UserPoolId"] = a.pool
		if status, out := a.dispatch(action, in); status != http.StatusOK {
			t.Fatalf("%s: %d %v", action, status, out)
		}
	}
	admin("DescribeUserPool", map[string]any{}) // fills the cache (and copies from it)
	pools := snapshotCache(a.svc.cache.pools)
	if len(pools) == 0 {
		t.Fatal("nothing cached after DescribeUserPool")
	}
	admin("AdminConfirmSignUp", map[string]any{"Username": "ursula"})
	admin("AdminResetUserPassword", map[string]any{"Username": "victor"})
	admin("AdminSetUserPassword", map[string]any{"Username": "victor", "Password": testPassword + "x", "Permanent": true})
	admin("AdminSetUserPassword", map[string]any{"Username": "victor", "Password": testPassword + "y", "Permanent": false})
	admin("AdminUpdateUserAttributes", map[string]any{"Username": "victor", "UserAttributes": []map[string]string{
		{"Name": "email", "Value": "victor2@example.com"}, {"Name": "name", "Value": "Victor"}}})
	admin("AdminDeleteUserAttributes", map[string]any{"Username": "victor", "UserAttributeNames": []string{"name"}})
	admin("AdminDisableUser", map[string]any{"Username": "victor"})
	admin("AdminEnableUser", map[string]any{"Username": "victor"})
	admin("AdminUserGlobalSignOut", map[string]any{"Username": "victor"})
	for key, want := range pools {
		if got := a.svc.cache.pools.entries[key].v; !reflect.DeepEqual(got, want) {
			t.Errorf("cached pool %s changed by the admin actions:\n got %+v\nwant %+v", key, got, want)
		}
	}
}
