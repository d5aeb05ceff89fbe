package userpool

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/poolgate/poolgate/internal/message"
)

// Hashes of importPassword made by other implementations (internal/passhash's test names them).
const importPassword = "Correct-Horse-9!"

var importHashes = map[string]string{
	"bcrypt":   "$2b$05$IVNd6z4jfQg9BU1VsdR4IexuMgdkJt8G/epSBfyE6kETAYVzp4.we",
	"argon2id": "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRTT01FU0FMVA$45C04zeHfWNIhjR4+mkZF6zSzI2Eca8C2eIcrzvwJGE",
	"django":   "pbkdf2_sha256$1000$seasalt123$wFiyvbEZLIRGRuQPqZx8jwPhoHK+GwoRgicKqhNcepM=",
	"scrypt":   "$scrypt$ln=10,r=8,p=1$GDyUBpLut/MvpSbZiz35wA$eyj.SIQUggyS5cxqnSLylv0Dj4O2A/zaEykrpwGYZNo",
}

// firebaseHash is the sample of github.com/firebase/scrypt's README (password "user1password").
const firebaseHash = "$firebase-scrypt$rounds=8,memcost=14" +
	"$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==" +
	"$Bw==$42xEC+ixf3L2lw==" +
	"$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="

// newImportJob creates a job in the setup's pool and returns its id and upload token.
func (a *authSetup) newImportJob() (id, token string) {
	a.t.Helper()
	out := a.call("CreateUserImportJob", map[string]any{"JobName": "legacy users", "UserPoolId": a.pool,
		"CloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/CognitoImport"})
	j := out["UserImportJob"].(map[string]any)
	if j["Status"] != "Created" {
		a.t.Fatalf("new job: %v", j)
	}
	url := j["PreSignedUrl"].(string)
	if !strings.HasPrefix(url, testIssuer+ImportUploadPath) {
		a.t.Fatalf("PreSignedUrl %q", url)
	}
	return j["JobId"].(string), strings.TrimPrefix(url, testIssuer+ImportUploadPath)
}

func (a *authSetup) importJob(id string) map[string]any {
	a.t.Helper()
	return a.call("DescribeUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": id})["UserImportJob"].(map[string]any)
}

func (a *authSetup) upload(token, csv string) {
	a.t.Helper()
	if err := a.svc.UploadImportCSV(context.Background(), token, []byte(csv)); err != nil {
		a.t.Fatalf("upload: %v", err)
	}
}

func (a *authSetup) startImport(id string) map[string]any {
	a.t.Helper()
	return a.call("StartUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": id})["UserImportJob"].(map[string]any)
}

func wantCounts(t *testing.T, j map[string]any, status string, imported, skipped, failed int64) {
	t.Helper()
	if j["Status"] != status || jsonInt64(t, j["ImportedUsers"]) != imported ||
		jsonInt64(t, j["SkippedUsers"]) != skipped || jsonInt64(t, j["FailedUsers"]) != failed {
		t.Fatalf("job %v, want %s imported %d skipped %d failed %d", j, status, imported, skipped, failed)
	}
}

func TestGetCSVHeader(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"Schema": []map[string]any{{"Name": "tier", "AttributeDataType": "String", "Mutable": true}}}, nil)
	out := a.call("GetCSVHeader", map[string]any{"UserPoolId": a.pool})
	got := fmt.Sprint(out["CSVHeader"])
	want := "[name given_name family_name middle_name nickname preferred_username profile picture website email email_verified gender birthdate zoneinfo locale phone_number phone_number_verified address updated_at custom:tier cognito:mfa_enabled cognito:username]"
	if got != want {
		t.Fatalf("CSVHeader\n got %s\nwant %s", got, want)
	}
	a.wantErr("GetCSVHeader", map[string]any{"UserPoolId": "us-east-1_nope"}, "ResourceNotFoundException", "")
}

func TestCreateUserImportJobChecks(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	a.wantErr("CreateUserImportJob", map[string]any{"JobName": "j", "UserPoolId": a.pool}, "InvalidParameterException", "")
	a.wantErr("CreateUserImportJob", map[string]any{"JobName": "j", "UserPoolId": a.pool, "CloudWatchLogsRoleArn": "not-an-arn-but-long-enough"},
		"InvalidParameterException", "")
	a.wantErr("DescribeUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": "import-nope"}, "ResourceNotFoundException", "")
	a.wantErr("DescribeUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": "job-1"}, "InvalidParameterException", "")
}

// TestImportUsersWithHashes imports users with hashes of every format, one without a hash and
// rows that must fail or be skipped; each imported user then signs in with the original
// password, which replaces the hash by an SRP verifier.
func TestImportUsersWithHashes(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	a.signUpConfirmed("taken", "taken@example.com")
	id, token := a.newImportJob()
	var b strings.Builder
	b.WriteString("cognito:username,email,email_verified,cognito:mfa_enabled,poolgate:password_hash\n")
	w := csv.NewWriter(&b) // quotes the hashes whose parameters hold commas
	for _, name := range []string{"bcrypt", "argon2id", "django", "scrypt"} {
		w.Write([]string{name, name + "@example.com", "true", "false", importHashes[name]})
	}
	w.Write([]string{"firebase", "firebase@example.com", "true", "", firebaseHash})
	w.Flush()
	b.WriteString("plain,plain@example.com,true,,\n")
	b.WriteString("taken,other@example.com,true,,\n")            // skipped: exists
	b.WriteString("badmail,not-an-email,false,,\n")              // failed: email
	b.WriteString("badhash,bh@example.com,true,,$2b$05$short\n") // failed: hash
	b.WriteString("short,row\n")                                 // failed: field count
	b.WriteString("mfa,mfa@example.com,true,true,\n")            // failed: no phone
	b.WriteString(",noname@example.com,true,,\n")                // failed: no username
	b.WriteString("\"quoted,name\",q@example.com,true,FALSE,\n") // imported
	a.upload(token, b.String())

	j := a.startImport(id)
	wantCounts(t, j, "Succeeded", 7, 1, 5)
	msg := j["CompletionMessage"].(string)
	for _, want := range []string{"row 8: User already exists.", "row 9:", "row 10: poolgate:password_hash", "row 11: The row has 2 fields", "row 12:", "row 13:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("CompletionMessage %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "$2b$05$short") {
		t.Errorf("CompletionMessage shows a hash: %q", msg)
	}
	if a.user(a.pool, "plain").Status != StatusResetRequired || a.user(a.pool, "bcrypt").Status != StatusConfirmed {
		t.Fatal("statuses")
	}
	a.want("PasswordResetRequiredException", "Password reset required for the user")(a.passwordLogin("plain", importPassword))
	_, status, out := a.srpStart("plain")
	a.wantAnswer(status, out, "PasswordResetRequiredException", "")
	a.call("ForgotPassword", map[string]any{"ClientId": a.client, "Username": "plain"})
	a.call("ConfirmForgotPassword", map[string]any{"ClientId": a.client, "Username": "plain", "Password": testPassword,
		"ConfirmationCode": a.lastCode("plain", message.KindForgotPassword)})
	a.tokens(a.srpLogin("plain", testPassword))

	for _, name := range []string{"bcrypt", "argon2id", "django", "scrypt", "firebase"} {
		password := importPassword
		if name == "firebase" {
			password = "user1password"
		}
		// SRP cannot check a hash: refused before any challenge.
		_, status, out := a.srpStart(name)
		a.wantAnswer(status, out, "UserNotFoundException", "User does not exist.")
		a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin(name, password+"x"))
		if a.user(a.pool, name).Secrets.Imported == "" {
			t.Fatalf("%s: a wrong password replaced the hash", name)
		}
		a.tokens(a.passwordLogin(name, password))
		u := a.user(a.pool, name)
		if u.Secrets.Imported != "" || u.Secrets.Password == nil {
			t.Fatalf("%s: hash not replaced by a verifier", name)
		}
		a.tokens(a.srpLogin(name, password))
		a.tokens(a.passwordLogin(name, password))
		a.want("NotAuthorizedException", "Incorrect username or password.")(a.passwordLogin(name, password+"x"))
	}
}

func TestImportHashOnlyWithPreventUserExistence(t *testing.T) {
	a := newAuthSetup(t, nil, map[string]any{"ExplicitAuthFlows": []string{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
		"PreventUserExistenceErrors": "ENABLED"})
	id, token := a.newImportJob()
	a.upload(token, "cognito:username,poolgate:password_hash\nann,"+importHashes["bcrypt"]+"\n")
	wantCounts(t, a.startImport(id), "Succeeded", 1, 0, 0)
	_, status, out := a.srpStart("ann")
	a.wantAnswer(status, out, "NotAuthorizedException", "Incorrect username or password.")
	a.tokens(a.passwordLogin("ann", importPassword))
}

func TestImportEmailUsernameCollision(t *testing.T) {
	a := newAuthSetup(t, map[string]any{"UsernameAttributes": []string{"email"}}, passwordClient)
	a.signUpConfirmed("first@example.com", "first@example.com")
	id, token := a.newImportJob()
	a.upload(token, "email,cognito:username,email_verified\nfirst@example.com,first@example.com,true\nnew@example.com,new@example.com,true\nnew@example.com,new@example.com,true\n")
	j := a.startImport(id)
	wantCounts(t, j, "Succeeded", 1, 2, 0)
	u := a.user(a.pool, "new@example.com")
	if u.Username != u.Sub || u.Status != StatusResetRequired {
		t.Fatalf("imported user %+v", u)
	}
}

func TestImportCSVRefusedAtStart(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	for _, tc := range []struct{ csv, want string }{
		{"", "the file is empty"},
		{"email\nx@example.com\n", "no cognito:username column"},
		{"cognito:username,shoe_size\nann,9\n", `column "shoe_size"`},
		{"cognito:username,email,email\nann,a,b\n", "appears twice"},
		{"cognito:username,email\n\"ann,x@example.com\n", "extraneous or missing"},
	} {
		id, token := a.newImportJob()
		a.upload(token, tc.csv)
		j := a.startImport(id)
		if j["Status"] != "Failed" || !strings.Contains(j["CompletionMessage"].(string), tc.want) {
			t.Errorf("%q: job %v, want Failed with %q", tc.csv, j, tc.want)
		}
	}
	id, _ := a.newImportJob()
	j := a.startImport(id)
	if j["Status"] != "Failed" || !strings.Contains(j["CompletionMessage"].(string), "not uploaded") {
		t.Errorf("job without CSV: %v", j)
	}
	a.wantErr("StartUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": id}, "PreconditionNotMetException", "")
	a.wantErr("StopUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": id}, "PreconditionNotMetException", "")
}

// TestImportUploadForgeries: the pre-signed URL's token opens one job, for importUploadTTL,
// while the job is Created, and cannot be made up or altered.
func TestImportUploadForgeries(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	id, token := a.newImportJob()
	_, other := a.newImportJob()
	csv := []byte("cognito:username\nann\n")
	ctx := context.Background()
	flipped := []byte(token)
	flipped[10] ^= 1
	for name, tok := range map[string]string{
		"empty": "", "garbage": "not+base64", "flipped": string(flipped),
		"truncated": token[:len(token)-4], "other purpose": "AAAA" + token[4:],
	} {
		if err := a.svc.UploadImportCSV(ctx, tok, csv); !errors.Is(err, ErrImportUpload) {
			t.Errorf("%s token: %v, want ErrImportUpload", name, err)
		}
	}
	if err := a.svc.UploadImportCSV(ctx, token, make([]byte, importMaxCSV+1)); !errors.Is(err, ErrImportTooLarge) {
		t.Errorf("oversized: %v", err)
	}
	// A second upload replaces the first.
	a.upload(token, "cognito:username\nbob\n")
	a.upload(token, string(csv))
	wantCounts(t, a.startImport(id), "Succeeded", 1, 0, 0)
	if _, err := a.svc.findUser(ctx, a.poolRecord(), "bob"); err == nil {
		t.Fatal("the replaced upload was imported")
	}
	if err := a.svc.UploadImportCSV(ctx, token, csv); !errors.Is(err, ErrImportUpload) {
		t.Errorf("upload after start: %v", err)
	}
	a.clock.Advance(importUploadTTL)
	if err := a.svc.UploadImportCSV(ctx, other, csv); !errors.Is(err, ErrImportUpload) {
		t.Errorf("expired token: %v", err)
	}
}

func (a *authSetup) poolRecord() *Pool {
	a.t.Helper()
	p, err := a.svc.getPool(context.Background(), a.pool)
	if err != nil {
		a.t.Fatal(err)
	}
	return p
}

func TestImportJobExpires(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	id, _ := a.newImportJob()
	a.clock.Advance(importJobStartTTL - time.Second)
	if s := a.importJob(id)["Status"]; s != "Created" {
		t.Fatalf("status %v", s)
	}
	a.clock.Advance(time.Second)
	if s := a.importJob(id)["Status"]; s != "Expired" {
		t.Fatalf("status %v", s)
	}
	a.wantErr("StartUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": id}, "PreconditionNotMetException", "")
}

// TestImportRunsAcrossCallsAndStops: a job longer than one call's budget goes on with each
// DescribeUserImportJob; a stopped job imports no further row.
func TestImportRunsAcrossCallsAndStops(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	rows := func(from, n int) string {
		var b strings.Builder
		b.WriteString("cognito:username\n")
		for i := range n {
			fmt.Fprintf(&b, "user%05d\n", from+i)
		}
		return b.String()
	}
	id, token := a.newImportJob()
	a.upload(token, rows(0, importRowsPerCall+300))
	wantCounts(t, a.startImport(id), "InProgress", importRowsPerCall, 0, 0)
	wantCounts(t, a.importJob(id), "Succeeded", importRowsPerCall+300, 0, 0)

	id, token = a.newImportJob()
	a.upload(token, rows(5000, importRowsPerCall+300))
	wantCounts(t, a.startImport(id), "InProgress", importRowsPerCall, 0, 0)
	j := a.call("StopUserImportJob", map[string]any{"UserPoolId": a.pool, "JobId": id})["UserImportJob"].(map[string]any)
	wantCounts(t, j, "Stopped", importRowsPerCall, 0, 0)
	wantCounts(t, a.importJob(id), "Stopped", importRowsPerCall, 0, 0)

	out := a.call("ListUserImportJobs", map[string]any{"UserPoolId": a.pool, "MaxResults": 1})
	first := out["UserImportJobs"].([]any)
	next, _ := out["PaginationToken"].(string)
	if len(first) != 1 || next == "" {
		t.Fatalf("first page %v", out)
	}
	out = a.call("ListUserImportJobs", map[string]any{"UserPoolId": a.pool, "MaxResults": 60, "PaginationToken": next})
	second := out["UserImportJobs"].([]any)
	if len(second) != 1 || out["PaginationToken"] != nil {
		t.Fatalf("second page %v", out)
	}
	ids := []string{first[0].(map[string]any)["JobId"].(string), second[0].(map[string]any)["JobId"].(string)}
	if !slices.Contains(ids, id) {
		t.Fatalf("listed %v", ids)
	}
}

// TestRaceStartImportJob: of racing StartUserImportJob calls one starts the job; the rows are
// imported once whatever the racing calls (starts and describes).
func TestRaceStartImportJob(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	id, token := a.newImportJob()
	var b strings.Builder
	b.WriteString("cognito:username,email\n")
	for i := range 60 {
		fmt.Fprintf(&b, "racer%d,racer%d@example.com\n", i, i)
	}
	a.upload(token, b.String())
	ctx := context.Background()
	errs := a.race(20, func(i int) error {
		if i%2 == 0 {
			_, err := a.svc.startUserImportJob(ctx, &ImportJobRef{UserPoolId: a.pool, JobId: id})
			return err
		}
		_, err := a.svc.describeUserImportJob(ctx, &ImportJobRef{UserPoolId: a.pool, JobId: id})
		return err
	})
	got := tally(errs)
	if got["PreconditionNotMetException"] != 9 || got[""] != 11 {
		t.Fatalf("outcomes %v", got)
	}
	wantCounts(t, a.importJob(id), "Succeeded", 60, 0, 0)
	if n := len(a.keysUnder(userKey(a.pool, ""))); n != 60 {
		t.Fatalf("%d user records", n)
	}
}

// TestRaceHashOnlySignIn: racing sign-ins of a hash-only user all succeed with the right
// password and fail with a wrong one; one verifier replaces the hash.
func TestRaceHashOnlySignIn(t *testing.T) {
	a := newAuthSetup(t, nil, passwordClient)
	id, token := a.newImportJob()
	a.upload(token, "cognito:username,poolgate:password_hash\nann,"+importHashes["django"]+"\n")
	wantCounts(t, a.startImport(id), "Succeeded", 1, 0, 0)
	errs := a.race(16, func(i int) error {
		password := importPassword
		if i%4 == 3 {
			password += "?"
		}
		status, out := a.passwordLogin("ann", password)
		if status != http.StatusOK {
			return fmt.Errorf("%v %v", out["__type"], out["message"])
		}
		return nil
	})
	wrong := 0
	for i, err := range errs {
		switch {
		case i%4 == 3 && err != nil && strings.Contains(err.Error(), "Incorrect username or password."):
			wrong++
		case i%4 != 3 && err == nil:
		default:
			t.Errorf("sign-in %d: %v", i, err)
		}
	}
	if wrong != 4 {
		t.Fatalf("%d wrong passwords refused", wrong)
	}
	u := a.user(a.pool, "ann")
	if u.Secrets.Imported != "" || u.Secrets.Password == nil {
		t.Fatal("hash not replaced")
	}
	a.tokens(a.srpLogin("ann", importPassword))
}

func FuzzParseImportCSV(f *testing.F) {
	p := &Pool{SchemaAttributes: []SchemaAttribute{{Name: "sub"}, {Name: "email"}, {Name: "custom:tier"}}}
	f.Add([]byte("cognito:username,email\nann,a@example.com\n"))
	f.Add([]byte("\ufeffcognito:username,custom:tier,poolgate:password_hash\nann,gold,$2b$05$x\n\nbob\n"))
	f.Add([]byte("cognito:username\n\"a\"\"b\"\n\"unterminated\n"))
	f.Add([]byte("email\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := parseImportCSV(p, data)
		if err != nil {
			if !errors.Is(err, errImportCSV) {
				t.Fatalf("error %v is not errImportCSV", err)
			}
			return
		}
		n := 0
		for i, b := range file.batches {
			if file.starts[i] != n || len(b) == 0 || len(b) > importBatchRows {
				t.Fatalf("batch %d: start %d, want %d; %d rows", i, file.starts[i], n, len(b))
			}
			n += len(b)
		}
		if n != file.rows || !slices.Contains(file.header, importUsernameColumn) {
			t.Fatalf("%d rows in batches, %d counted; header %v", n, file.rows, file.header)
		}
	})
}

// BenchmarkImport measures import throughput on memstore: b.N users with a bcrypt or an
// argon2id hash (the hash is parsed, not computed, at import), driven by StartUserImportJob
// and DescribeUserImportJob as a client drives it.
func BenchmarkImport(b *testing.B) {
	for _, scheme := range []string{"bcrypt", "argon2id"} {
		b.Run(scheme, func(b *testing.B) {
			a := newAuthSetup(b, nil, nil)
			var csvText strings.Builder
			w := csv.NewWriter(&csvText)
			w.Write([]string{"cognito:username", "email", "poolgate:password_hash"})
			for i := range b.N {
				name := fmt.Sprintf("user%07d", i)
				w.Write([]string{name, name + "@example.com", importHashes[scheme]})
			}
			w.Flush()
			id, token := a.newImportJob()
			a.upload(token, csvText.String())
			b.ResetTimer()
			j := a.startImport(id)
			for j["Status"] == "InProgress" {
				j = a.importJob(id)
			}
			b.StopTimer()
			if jsonInt64(b, j["ImportedUsers"]) != int64(b.N) {
				b.Fatalf("job %v", j)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}

// TestImportHostedSignIn: the managed-login page's sign-in checks an imported hash and
// replaces it, as USER_PASSWORD_AUTH does.
func TestImportHostedSignIn(t *testing.T) {
	a := newAuthSetup(t, nil, nil)
	id, token := a.newImportJob()
	a.upload(token, "cognito:username,poolgate:password_hash\nann,"+importHashes["bcrypt"]+"\n")
	wantCounts(t, a.startImport(id), "Succeeded", 1, 0, 0)
	ctx := context.Background()
	p := a.poolRecord()
	c, err := a.svc.getClient(ctx, a.pool, a.client)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.svc.HostedSignIn(ctx, p, c, "ann", importPassword+"x"); errType(err) != "NotAuthorizedException" {
		t.Fatalf("wrong password: %v", err)
	}
	in, err := a.svc.HostedSignIn(ctx, p, c, "ann", importPassword)
	if err != nil || in.User == nil || in.Challenge != "" {
		t.Fatalf("right password: %+v, %v", in, err)
	}
	if u := a.user(a.pool, "ann"); u.Secrets.Imported != "" || u.Secrets.Password == nil {
		t.Fatal("hash not replaced")
	}
	a.tokens(a.srpLogin("ann", importPassword))
}

// FuzzImportUploadToken: an upload URL's token opens only the job it was made for; anything
// else is ErrImportUpload, never another error or a panic.
func FuzzImportUploadToken(f *testing.F) {
	a := newAuthSetup(f, nil, nil)
	_, token := a.newImportJob()
	f.Add(token)
	f.Add("")
	f.Add(token[:len(token)/2])
	f.Add("%00")
	f.Fuzz(func(t *testing.T, tok string) {
		err := a.svc.UploadImportCSV(context.Background(), tok, []byte("cognito:username\nann\n"))
		if err != nil && !errors.Is(err, ErrImportUpload) {
			t.Fatalf("error %v", err)
		}
		if err == nil && tok != token {
			t.Fatalf("a token poolgate did not make opened a job: %q", tok)
		}
	})
}
