package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/poolgate/poolgate/internal/native/boltstore"
)

// The kill -9 test of issue 13: the real hostsim command (hostsim/cmd/poolgate) on a data
// directory takes concurrent SignUps and group adds from 8 clients and is SIGKILLed mid-run,
// then restarted on the same directory. Every acknowledged write must be there, and the bbolt
// file must hold no half-done write: each user's sub index points back at it, each sub index
// key names a user with that sub, each membership key has its user (and the user lists the
// group) and the reverse.
//
// POOLGATE_CLI names a built command (make build: build/poolgate); unset, it is built once.

const (
	crashPool    = "us-east-1_E2eCrash1"
	crashClient  = "e2ecrashpublicclient000001"
	crashKills   = 3
	crashClients = 8
	crashGroups  = 8
	// crashMaxOps bounds each client's SignUps per run (the kill comes long before).
	crashMaxOps = 200
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// poolgateCLI returns the hostsim command: POOLGATE_CLI, or a build of ./hostsim/cmd/poolgate
// next to the test's other temporary files.
func poolgateCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		if p := os.Getenv("POOLGATE_CLI"); p != "" {
			cliPath, cliErr = p, nil
			if _, err := os.Stat(p); err != nil {
				cliErr = fmt.Errorf("POOLGATE_CLI: %w", err)
			}
			return
		}
		cliPath = filepath.Join(filepath.Dir(cacheDir), "poolgate")
		cmd := exec.Command("go", "build", "-o", cliPath, "./hostsim/cmd/poolgate")
		cmd.Dir = repoRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./hostsim/cmd/poolgate: %v\n%s", err, b)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

// crashConfig is the declarative configuration every start applies: one pool with a public
// client and crashGroups groups (re-applying it on restart changes nothing).
func crashConfig(t *testing.T) string {
	t.Helper()
	var groups []map[string]any
	for g := 0; g < crashGroups; g++ {
		groups = append(groups, map[string]any{"GroupName": fmt.Sprintf("k%d", g)})
	}
	cfg := map[string]any{"UserPools": []map[string]any{{
		"Id": crashPool, "PoolName": "e2e-crash",
		"Clients": []map[string]any{{"ClientId": crashClient, "ClientName": "crash",
			"ExplicitAuthFlows": []string{"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}},
		"Groups": groups,
	}}}
	b, err := json.Marshal(cfg)
	ok(t, err)
	path := filepath.Join(t.TempDir(), "crash-config.json")
	ok(t, os.WriteFile(path, b, 0o600))
	return path
}

// proc is one run of the hostsim command.
type proc struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
}

// startProc starts the command on dir with raceInstances instances and waits for its banner
// (it listens on a free loopback port and prints the endpoint once it serves).
func startProc(t *testing.T, dir, config string, logs *logBuffer) *proc {
	t.Helper()
	cmd := exec.Command(poolgateCLI(t), "-addr", "127.0.0.1:0", "-https-addr", "off", "-data", dir, "-module", guestPath,
		"-config", config, "-instances", fmt.Sprint(raceInstances), "-assets", filepath.Join(dir, "no-assets"))
	cmd.Env = append(os.Environ(),
		"POOLGATE_ADMIN_ACCESS_KEY_ID="+testAdminKeyID, "POOLGATE_ADMIN_SECRET_ACCESS_KEY="+testAdminSecret,
		"POOLGATE_MASTER_KEY="+base64.StdEncoding.EncodeToString(testMasterKey), "POOLGATE_ISSUER_BASE="+testIssuerBase)
	stdout, err := cmd.StdoutPipe()
	ok(t, err)
	stderr, err := cmd.StderrPipe()
	ok(t, err)
	ok(t, cmd.Start())
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	urls := make(chan string, 1)
	var readers sync.WaitGroup
	readers.Add(2)
	read := func(r io.Reader, banner bool) {
		defer readers.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			logs.logf("[pid %d] %s", cmd.Process.Pid, line)
			if f := strings.Fields(line); banner && len(f) == 2 && f[0] == "endpoint:" {
				urls <- f[1]
			}
		}
	}
	go read(stdout, true)
	go read(stderr, false)
	go func() {
		readers.Wait() // the pipes must be drained before Wait closes them
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill() })
	select {
	case p.url = <-urls:
		return p
	case <-p.exited:
		t.Fatalf("poolgate exited before serving: %v\n%s", cmd.ProcessState, logs.tail(40))
	case <-time.After(3 * time.Minute):
		p.kill()
		t.Fatalf("poolgate did not print its endpoint within 3 minutes\n%s", logs.tail(40))
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be gone (idempotent).
func (p *proc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop asks the process to shut down (SIGTERM), SIGKILL after 30 s.
func (p *proc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}

func procEndpoint(t *testing.T, url string) *Endpoint {
	ep := &Endpoint{URL: url, Region: testRegion, IssuerBase: testIssuerBase, AdminKeyID: testAdminKeyID, AdminKey: testAdminSecret,
		Clock: realClock{}, calls: newCallLog()}
	raceReady(t, ep, crashClients)
	return ep
}

// acked are the writes the server answered 200.
type acked struct {
	mu    sync.Mutex
	users map[string]string          // username → sub from SignUp
	adds  map[string]map[string]bool // username → groups AdminAddUserToGroup acknowledged
}

// crashLoad runs crashClients clients against ep until stop is closed: each signs up new
// users and adds each to two groups (its own calls in sequence, the clients side by side).
// After threshold acknowledged writes it closes kill. It returns when every client has ended.
func crashLoad(ep *Endpoint, run int, ack *acked, threshold int64, kill chan<- struct{}, stop <-chan struct{}) (unexpected []string) {
	c, cancel := context.WithTimeout(context.Background(), raceTimeout)
	defer cancel()
	admin, pub := ep.Admin(), ep.Public()
	var n atomic.Int64
	var once sync.Once
	note := func() {
		if n.Add(1) == threshold {
			once.Do(func() { close(kill) })
		}
	}
	var mu sync.Mutex
	race(crashClients, func(cl int) (struct{}, error) {
		stopped := func() bool {
			select {
			case <-stop:
				return true
			default:
				return false
			}
		}
		fail := func(err error) (struct{}, error) {
			if !stopped() { // errors after the kill are expected: those writes are unacknowledged
				mu.Lock()
				unexpected = append(unexpected, fmt.Sprintf("client %d: %v", cl, err))
				mu.Unlock()
			}
			return struct{}{}, nil
		}
		for i := 0; i < crashMaxOps && !stopped(); i++ {
			user := fmt.Sprintf("r%dc%du%d", run, cl, i)
			out, err := pub.SignUp(c, &cip.SignUpInput{ClientId: aws.String(crashClient), Username: aws.String(user), Password: aws.String("Passw0rd-crash")})
			if err != nil {
				return fail(err)
			}
			ack.mu.Lock()
			ack.users[user] = aws.ToString(out.UserSub)
			ack.adds[user] = map[string]bool{}
			ack.mu.Unlock()
			note()
			for _, g := range []int{(cl + i) % crashGroups, (cl + i + 1) % crashGroups} {
				if stopped() {
					break
				}
				group := fmt.Sprintf("k%d", g)
				if _, err := admin.AdminAddUserToGroup(c, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(crashPool), Username: aws.String(user), GroupName: aws.String(group)}); err != nil {
					return fail(err)
				}
				ack.mu.Lock()
				ack.adds[user][group] = true
				ack.mu.Unlock()
				note()
			}
		}
		return struct{}{}, nil
	})
	return unexpected
}

// storeAnomalies reads the bbolt file of a stopped server and lists its half-done writes for
// crashPool (the key layout of internal/userpool/repo.go).
func storeAnomalies(t *testing.T, dbPath string) (users int, anomalies map[string][]string) {
	t.Helper()
	st, err := boltstore.Open(dbPath, nil)
	ok(t, err)
	defer st.Close()
	c := context.Background()
	keys := func(prefix string) []string {
		var all []string
		cursor := ""
		for {
			pg, err := st.List(c, prefix, cursor, 1000)
			ok(t, err)
			all = append(all, pg.Keys...)
			if pg.Cursor == "" {
				return all
			}
			cursor = pg.Cursor
		}
	}
	get := func(k string) (string, bool) {
		b, err := st.Get(c, k)
		return string(b), err == nil
	}
	anomalies = map[string][]string{}
	add := func(kind, s string) { anomalies[kind] = append(anomalies[kind], s) }
	type rec struct {
		Username string   `json:"username"`
		Sub      string   `json:"sub"`
		Groups   []string `json:"groups"`
	}
	recs := map[string]rec{} // username key → record
	userPrefix := "uu/" + crashPool + "/"
	for _, k := range keys(userPrefix) {
		v, found := get(k)
		if !found {
			continue
		}
		var r rec
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			add("corrupt user record", k)
			continue
		}
		ukey := strings.TrimPrefix(k, userPrefix)
		if ukey != r.Username && ukey != strings.ToLower(r.Username) {
			add("user record under another name", k+" holds "+r.Username)
		}
		recs[ukey] = r
	}
	for ukey, r := range recs {
		if ref, found := get("ux/" + crashPool + "/sub/" + r.Sub); !found {
			add("user without sub index", ukey)
		} else if ref != ukey {
			add("sub index names another user", ukey+" → "+ref)
		}
		for _, g := range r.Groups {
			if _, found := get("ugm/" + crashPool + "/" + g + "/" + ukey); !found {
				add("group on user without membership key", ukey+" in "+g)
			}
		}
	}
	subPrefix := "ux/" + crashPool + "/sub/"
	for _, k := range keys(subPrefix) {
		ref, found := get(k)
		if !found {
			continue
		}
		if r, exists := recs[ref]; !exists || r.Sub != strings.TrimPrefix(k, subPrefix) {
			add("orphan sub index", k+" → "+ref)
		}
	}
	memPrefix := "ugm/" + crashPool + "/"
	for _, k := range keys(memPrefix) {
		g, ukey, _ := strings.Cut(strings.TrimPrefix(k, memPrefix), "/")
		if r, exists := recs[ukey]; !exists {
			add("membership without user", k)
		} else if !slices.Contains(r.Groups, g) {
			add("membership the user does not list", k)
		}
	}
	return len(recs), anomalies
}

// apiAnomalies checks the acknowledged writes and the consistency of users, subs and groups
// through the API of a running server.
func apiAnomalies(t *testing.T, ep *Endpoint, ack *acked) (anomalies map[string][]string) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), raceTimeout)
	defer cancel()
	admin := ep.Admin()
	anomalies = map[string][]string{}
	add := func(kind, s string) { anomalies[kind] = append(anomalies[kind], s) }
	all := listUsers(t, c, ep, crashPool, "")
	seen := map[string]int{}
	subs := map[string]string{}
	for _, u := range all {
		n := aws.ToString(u.Username)
		seen[n]++
		subs[n] = attrMap(u.Attributes)["sub"]
	}
	groupsOf := func(user string) map[string]bool {
		out, err := admin.AdminListGroupsForUser(c, &cip.AdminListGroupsForUserInput{UserPoolId: aws.String(crashPool), Username: aws.String(user), Limit: aws.Int32(60)})
		if err != nil {
			add("AdminListGroupsForUser fails", user+": "+outcome(err))
			return nil
		}
		m := map[string]bool{}
		for _, g := range out.Groups {
			m[aws.ToString(g.GroupName)] = true
		}
		return m
	}
	ack.mu.Lock()
	defer ack.mu.Unlock()
	userGroups := map[string]map[string]bool{}
	for n, k := range seen {
		if k > 1 {
			add("username listed twice", n)
		}
		got := listUsers(t, c, ep, crashPool, `sub = "`+subs[n]+`"`)
		if len(got) != 1 || aws.ToString(got[0].Username) != n {
			add("ListUsers sub = … does not find its user", fmt.Sprintf("%s (%s): %d users", n, subs[n], len(got)))
		}
		// The sub names the user in the admin API too (through the sub index).
		if g, err := admin.AdminGetUser(c, &cip.AdminGetUserInput{UserPoolId: aws.String(crashPool), Username: aws.String(subs[n])}); err != nil {
			add("AdminGetUser by sub fails", n+": "+outcome(err))
		} else if aws.ToString(g.Username) != n {
			add("AdminGetUser by sub finds another user", n+" → "+aws.ToString(g.Username))
		}
		userGroups[n] = groupsOf(n)
	}
	for user, sub := range ack.users {
		if _, ok := seen[user]; !ok {
			add("acknowledged SignUp lost", user)
			continue
		}
		if subs[user] != sub {
			add("acknowledged SignUp has another sub", user)
		}
		for g := range ack.adds[user] {
			if !userGroups[user][g] {
				add("acknowledged group add lost", user+" in "+g)
			}
		}
	}
	for g := 0; g < crashGroups; g++ {
		group := fmt.Sprintf("k%d", g)
		members := map[string]bool{}
		in := &cip.ListUsersInGroupInput{UserPoolId: aws.String(crashPool), GroupName: aws.String(group), Limit: aws.Int32(60)}
		for page := 0; page < 100; page++ {
			out := call(admin.ListUsersInGroup(c, in)).must(t)
			for _, u := range out.Users {
				members[aws.ToString(u.Username)] = true
			}
			if aws.ToString(out.NextToken) == "" {
				break
			}
			in.NextToken = out.NextToken
		}
		for m := range members {
			if _, ok := seen[m]; !ok {
				add("group member that is no user", m+" in "+group)
			} else if !userGroups[m][group] {
				add("group member whose user does not list the group", m+" in "+group)
			}
		}
		for n, gs := range userGroups {
			if gs[group] && !members[n] {
				add("user lists a group that does not list it", n+" in "+group)
			}
		}
	}
	return anomalies
}

// reportAnomalies fails the test for each anomaly not reported before (an anomaly left by one
// kill is still there after the next) and returns how many were new.
func reportAnomalies(t *testing.T, where string, a map[string][]string, reported map[string]bool) int {
	t.Helper()
	total := 0
	kinds := make([]string, 0, len(a))
	for k := range a {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		var fresh []string
		for _, item := range a[k] {
			if !reported[k+": "+item] {
				reported[k+": "+item] = true
				fresh = append(fresh, item)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		total += len(fresh)
		ex := fresh
		if len(ex) > 5 {
			ex = ex[:5]
		}
		t.Errorf("%s: %s ×%d new, e.g. %v", where, k, len(fresh), ex)
	}
	return total
}

// TestCrashHostsim: SIGKILL during concurrent writes loses no acknowledged write and leaves no
// half-done one (crashKills kills, each after a growing number of acknowledged writes).
func TestCrashHostsim(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the hostsim command; skipped in -short mode")
	}
	dir := t.TempDir()
	config := crashConfig(t)
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("poolgate log (last lines):\n%s", logs.tail(40))
		}
	})
	ack := &acked{users: map[string]string{}, adds: map[string]map[string]bool{}}
	p := startProc(t, dir, config, logs)
	var storeBad, apiBad, unexpected int
	storeSeen, apiSeen := map[string]bool{}, map[string]bool{}
	for run := 0; run < crashKills; run++ {
		ep := procEndpoint(t, p.url)
		kill, stop := make(chan struct{}), make(chan struct{})
		threshold := int64(30 + 20*run)
		done := make(chan []string, 1)
		go func() { done <- crashLoad(ep, run, ack, threshold, kill, stop) }()
		var unexp []string
		select {
		case <-kill:
			close(stop)
			p.kill()
			unexp = <-done
		case unexp = <-done: // every client ended before the threshold
			close(stop)
			p.kill()
			t.Errorf("run %d: the clients ended before %d acknowledged writes", run, threshold)
		}
		for _, u := range unexp {
			t.Errorf("run %d: a write failed before the kill: %s", run, u)
		}
		unexpected += len(unexp)
		users, sa := storeAnomalies(t, filepath.Join(dir, "poolgate.db"))
		storeBad += reportAnomalies(t, fmt.Sprintf("after kill %d, in the bbolt file (%d users)", run+1, users), sa, storeSeen)

		p = startProc(t, dir, config, logs)
		aa := apiAnomalies(t, procEndpoint(t, p.url), ack)
		apiBad += reportAnomalies(t, fmt.Sprintf("after restart %d, through the API", run+1), aa, apiSeen)
	}
	p.stop()
	lostUsers, lostAdds := len(filterPrefix(apiSeen, "acknowledged SignUp lost")), len(filterPrefix(apiSeen, "acknowledged group add lost"))
	nAdds := 0
	for _, gs := range ack.adds {
		nAdds += len(gs)
	}
	t.Logf("RESULT CrashHostsim: %d kills; %d SignUps and %d group adds acknowledged; lost %d SignUps, %d group adds; %d distinct half-done writes in the bbolt file, %d distinct inconsistencies through the API; %d writes failed before a kill",
		crashKills, len(ack.users), nAdds, lostUsers, lostAdds, storeBad, apiBad, unexpected)
}

func filterPrefix(m map[string]bool, prefix string) []string {
	var out []string
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}
