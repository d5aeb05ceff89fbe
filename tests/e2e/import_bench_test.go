package e2e

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// Import throughput (issue 16's figure): b.N users with a bcrypt or an argon2id hash, uploaded
// to the pre-signed URL and imported by StartUserImportJob and DescribeUserImportJob polls,
// as a client drives a job.
//
//	POOLGATE_WASM=build/poolgate.wasm go test ./tests/e2e -run '^$' -bench UserImport -benchtime 100000x

func BenchmarkUserImportHostsim(b *testing.B) { benchImport(b, benchSim(b, nil)) }

func BenchmarkUserImportWorkerd(b *testing.B) {
	benchImport(b, startWorker(b, nil, time.Now().UTC().Truncate(time.Second)))
}

func benchImport(b *testing.B, ep *Endpoint) {
	for _, scheme := range []struct{ name, hash string }{{"bcrypt", importRows[0][1]}, {"argon2id", importRows[1][1]}} {
		b.Run(scheme.name, func(b *testing.B) {
			f := newFixture(b, ep, nil, nil)
			var body bytes.Buffer
			w := csv.NewWriter(&body)
			w.Write([]string{"cognito:username", "email", "poolgate:password_hash"})
			for i := range b.N {
				name := fmt.Sprintf("user%07d", i)
				w.Write([]string{name, name + "@example.com", scheme.hash})
			}
			w.Flush()
			j := f.createImportJob(b)
			if status := f.putCSV(b, aws.ToString(j.PreSignedUrl), body.Bytes()); status != http.StatusOK {
				b.Fatalf("PUT CSV: %d", status)
			}
			b.ResetTimer()
			got := call(ep.Admin().StartUserImportJob(ctx, &cip.StartUserImportJobInput{UserPoolId: aws.String(f.pool), JobId: j.JobId})).must(b).UserImportJob
			for got.Status == types.UserImportJobStatusTypeInProgress {
				got = f.importJob(b, aws.ToString(j.JobId))
			}
			b.StopTimer()
			if got.Status != types.UserImportJobStatusTypeSucceeded || got.ImportedUsers != int64(b.N) {
				b.Fatalf("job %s: imported %d of %d", got.Status, got.ImportedUsers, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}
