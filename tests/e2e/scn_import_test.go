package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// importActions are the user-import actions of issue 16; the suite must drive each one
// successfully at least once through the AWS SDK.
var importActions = []string{
	"GetCSVHeader", "CreateUserImportJob", "StartUserImportJob", "StopUserImportJob",
	"DescribeUserImportJob", "ListUserImportJobs",
}

// importPassword's hashes were made by other implementations: bcrypt by libxcrypt's crypt(3),
// argon2id by libargon2, PBKDF2-SHA256 (Django's format) and scrypt (passlib's format) by
// Python's hashlib; the Firebase row is the sample of github.com/firebase/scrypt's README,
// whose password is "user1password".
const importPassword = "Correct-Horse-9!"

var importRows = [][]string{
	{"bcrypt", "$2b$05$IVNd6z4jfQg9BU1VsdR4IexuMgdkJt8G/epSBfyE6kETAYVzp4.we"},
	{"argon2id", "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRTT01FU0FMVA$45C04zeHfWNIhjR4+mkZF6zSzI2Eca8C2eIcrzvwJGE"},
	{"django", "pbkdf2_sha256$1000$seasalt123$wFiyvbEZLIRGRuQPqZx8jwPhoHK+GwoRgicKqhNcepM="},
	{"scrypt", "$scrypt$ln=10,r=8,p=1$GDyUBpLut/MvpSbZiz35wA$eyj.SIQUggyS5cxqnSLylv0Dj4O2A/zaEykrpwGYZNo"},
	{"firebase", "$firebase-scrypt$rounds=8,memcost=14" +
		"$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==" +
		"$Bw==$42xEC+ixf3L2lw==" +
		"$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ=="},
}

// createImportJob makes a job through the SDK and returns it.
func (f *fixture) createImportJob(t testing.TB) *types.UserImportJobType {
	t.Helper()
	j := call(f.ep.Admin().CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{
		JobName: aws.String("legacy"), UserPoolId: aws.String(f.pool),
		CloudWatchLogsRoleArn: aws.String("arn:aws:iam::000000000000:role/CognitoImport"),
	})).must(t).UserImportJob
	if j.Status != types.UserImportJobStatusTypeCreated || aws.ToString(j.PreSignedUrl) == "" {
		t.Fatalf("new job: status %s, url %q", j.Status, aws.ToString(j.PreSignedUrl))
	}
	return j
}

// putCSV PUTs body to a pre-signed URL as a client would PUT it to S3. The URL is on the
// server's IssuerBase; the test server listens elsewhere, so the path is sent to ep.URL.
func (f *fixture) putCSV(t testing.TB, url string, body []byte) int {
	t.Helper()
	path := strings.TrimPrefix(url, f.ep.IssuerBase)
	if path == url {
		t.Fatalf("PreSignedUrl %q is not on IssuerBase %s", url, f.ep.IssuerBase)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.ep.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/csv")
	resp, err := f.ep.httpClient().Do(req)
	if err != nil {
		t.Fatalf("PUT CSV: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (f *fixture) importJob(t testing.TB, id string) *types.UserImportJobType {
	t.Helper()
	return call(f.ep.Admin().DescribeUserImportJob(ctx, &cip.DescribeUserImportJobInput{
		UserPoolId: aws.String(f.pool), JobId: aws.String(id)})).must(t).UserImportJob
}

// scnUserImport: bulk import through the AWS SDK with a CSV PUT to poolgate's pre-signed URL:
// users with password hashes of every format keep their passwords (the first
// USER_PASSWORD_AUTH replaces the hash by an SRP verifier), a user without one is
// RESET_REQUIRED, bad rows are counted and named, the URL refuses forgeries and a started
// job; racing starts run the job once, racing first sign-ins all succeed.
func scnUserImport(t *testing.T, ep *Endpoint) {
	f := newFixture(t, ep, nil, func(in *cip.CreateUserPoolClientInput) { in.ExplicitAuthFlows = allFlows })
	header := call(ep.Admin().GetCSVHeader(ctx, &cip.GetCSVHeaderInput{UserPoolId: aws.String(f.pool)})).must(t).CSVHeader
	if n := len(header); n < 3 || header[0] != "name" || header[n-2] != "cognito:mfa_enabled" || header[n-1] != "cognito:username" {
		t.Fatalf("CSVHeader %v", header)
	}
	_, err := ep.Admin().CreateUserImportJob(ctx, &cip.CreateUserImportJobInput{
		JobName: aws.String("j"), UserPoolId: aws.String(f.pool), CloudWatchLogsRoleArn: aws.String("role/NotAnArnAtAll")})
	wantErr(t, err, "InvalidParameterException", "")

	j := f.createImportJob(t)
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"cognito:username", "email", "email_verified", "poolgate:password_hash"})
	for _, r := range importRows {
		w.Write([]string{r[0], r[0] + "@example.com", "true", r[1]})
	}
	w.Write([]string{"plain", "plain@example.com", "true", ""})
	w.Write([]string{"broken", "broken@example.com", "true", "$2b$05$tooShort"})
	w.Flush()
	if status := f.putCSV(t, aws.ToString(j.PreSignedUrl), b.Bytes()); status != http.StatusOK {
		t.Fatalf("PUT CSV: status %d", status)
	}
	bad := strings.Replace(aws.ToString(j.PreSignedUrl), "user-import/", "user-import/A", 1)
	if status := f.putCSV(t, bad, b.Bytes()); status != http.StatusForbidden {
		t.Fatalf("PUT to an altered URL: status %d, want 403", status)
	}
	started := call(ep.Admin().StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: aws.String(f.pool), JobId: j.JobId})).must(t).UserImportJob
	if started.Status != types.UserImportJobStatusTypeSucceeded || started.ImportedUsers != 6 || started.FailedUsers != 1 ||
		started.SkippedUsers != 0 || !strings.Contains(aws.ToString(started.CompletionMessage), "row 8: poolgate:password_hash") {
		t.Fatalf("job: status %s imported %d failed %d skipped %d message %q", started.Status, started.ImportedUsers,
			started.FailedUsers, started.SkippedUsers, aws.ToString(started.CompletionMessage))
	}
	if status := f.putCSV(t, aws.ToString(j.PreSignedUrl), b.Bytes()); status != http.StatusForbidden {
		t.Fatalf("PUT after the start: status %d, want 403", status)
	}
	_, err = ep.Admin().StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: aws.String(f.pool), JobId: j.JobId})
	wantErr(t, err, "PreconditionNotMetException", "")
	listed := call(ep.Admin().ListUserImportJobs(ctx, &cip.ListUserImportJobsInput{UserPoolId: aws.String(f.pool), MaxResults: aws.Int32(10)})).must(t)
	if len(listed.UserImportJobs) != 1 || aws.ToString(listed.UserImportJobs[0].JobId) != aws.ToString(j.JobId) {
		t.Fatalf("ListUserImportJobs: %+v", listed.UserImportJobs)
	}

	if s := f.adminGetUser(t, "plain").UserStatus; s != types.UserStatusTypeResetRequired {
		t.Fatalf("plain: status %s", s)
	}
	_, err = f.passwordAuth("plain", importPassword)
	wantErr(t, err, "PasswordResetRequiredException", "")
	for i, r := range importRows {
		password := importPassword
		if r[0] == "firebase" {
			password = "user1password"
		}
		if s := f.adminGetUser(t, r[0]).UserStatus; s != types.UserStatusTypeConfirmed {
			t.Fatalf("%s: status %s", r[0], s)
		}
		_, err := f.srpStart(t, r[0])
		wantErr(t, err, "UserNotFoundException", "User does not exist.")
		_, err = f.passwordAuth(r[0], password+"x")
		wantErr(t, err, "NotAuthorizedException", "Incorrect username or password.")
		if i == 0 {
			out := call(ep.Admin().AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
				UserPoolId: aws.String(f.pool), ClientId: aws.String(f.client), AuthFlow: "ADMIN_USER_PASSWORD_AUTH",
				AuthParameters: map[string]string{"USERNAME": r[0], "PASSWORD": password}})).must(t)
			if out.AuthenticationResult == nil {
				t.Fatalf("%s: ADMIN_USER_PASSWORD_AUTH gave no tokens", r[0])
			}
		} else {
			f.tokens(t, r[0], password)
		}
		out := call(f.srpSignIn(t, r[0], password)).must(t)
		if out.AuthenticationResult == nil {
			t.Fatalf("%s: SRP after the first sign-in gave no tokens", r[0])
		}
	}

	// A job longer than one call's budget (1,000 rows) is still InProgress after the start;
	// StopUserImportJob stops it with the rows imported so far.
	j = f.createImportJob(t)
	b.Reset()
	b.WriteString("cognito:username\n")
	for i := range 1001 {
		fmt.Fprintf(&b, "bulk%04d\n", i)
	}
	if status := f.putCSV(t, aws.ToString(j.PreSignedUrl), b.Bytes()); status != http.StatusOK {
		t.Fatalf("PUT CSV: status %d", status)
	}
	started = call(ep.Admin().StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: aws.String(f.pool), JobId: j.JobId})).must(t).UserImportJob
	if started.Status != types.UserImportJobStatusTypeInProgress || started.ImportedUsers != 1000 {
		t.Fatalf("long job after the start: %s, %d imported", started.Status, started.ImportedUsers)
	}
	stopped := call(ep.Admin().StopUserImportJob(ctx, &cip.StopUserImportJobInput{UserPoolId: aws.String(f.pool), JobId: j.JobId})).must(t).UserImportJob
	if stopped.Status != types.UserImportJobStatusTypeStopped || stopped.ImportedUsers != 1000 {
		t.Fatalf("stopped job: %s, %d imported", stopped.Status, stopped.ImportedUsers)
	}
	if got := f.importJob(t, aws.ToString(j.JobId)); got.Status != types.UserImportJobStatusTypeStopped || got.ImportedUsers != 1000 {
		t.Fatalf("stopped job described: %s, %d imported", got.Status, got.ImportedUsers)
	}

	// Racing starts of one job: one starts it, the rows are imported once.
	j = f.createImportJob(t)
	b.Reset()
	w = csv.NewWriter(&b)
	w.Write([]string{"cognito:username", "poolgate:password_hash"})
	for i := range 20 {
		w.Write([]string{"racer" + string(rune('a'+i)), importRows[2][1]})
	}
	w.Flush()
	if status := f.putCSV(t, aws.ToString(j.PreSignedUrl), b.Bytes()); status != http.StatusOK {
		t.Fatalf("PUT CSV: status %d", status)
	}
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = ep.Admin().StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: aws.String(f.pool), JobId: j.JobId})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			wantErrIn(t, err, "PreconditionNotMetException")
		}
	}
	if wins != 1 {
		t.Fatalf("%d racing StartUserImportJob calls succeeded, want 1", wins)
	}
	if got := f.importJob(t, aws.ToString(j.JobId)); got.Status != types.UserImportJobStatusTypeSucceeded || got.ImportedUsers != 20 {
		t.Fatalf("raced job: status %s imported %d", got.Status, got.ImportedUsers)
	}

	// Racing first sign-ins of one hash-only user: each succeeds.
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.passwordAuth("racera", importPassword)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("racing first sign-in %d: %v", i, err)
		}
	}
	if out := call(f.srpSignIn(t, "racera", importPassword)).must(t); out.AuthenticationResult == nil {
		t.Fatal("racera: SRP after the racing sign-ins gave no tokens")
	}
}
