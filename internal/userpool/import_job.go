package userpool

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/bound"
	"github.com/poolgate/poolgate/internal/listing"
	"github.com/poolgate/poolgate/internal/store"
)

// User import jobs (spec §14, "User import"): CreateUserImportJob answers a pre-signed URL that
// poolgate serves itself (import_upload.go); the CSV PUT there is parsed and kept in batches;
// StartUserImportJob runs the job. A Worker has no background worker, so a job runs in the
// requests that look at it: StartUserImportJob and every DescribeUserImportJob each import up
// to importRowsPerCall rows (import_run.go) before they answer, so a client polling
// DescribeUserImportJob, as Cognito's clients do, drives the job to its end. Each row is one
// commit with the job record (its cursor and counts), so a row is imported exactly once
// whatever the racing requests, and a stopped job imports no further row.
//
// Statuses: Created → (StartUserImportJob) InProgress → Succeeded, or Stopped
// (StopUserImportJob) or Failed (the CSV is missing or its header is not usable). Pending and
// Stopping are Cognito's states between a call and its worker; here a row never stays half
// done between requests, so a job goes to InProgress and Stopped at once. A Created job not
// started within importJobStartTTL reads as Expired [est: Cognito expires them "after 24 to 48
// hours"].
const (
	importJobStartTTL = 24 * time.Hour
	importUploadTTL   = time.Hour // the pre-signed URL's life [est]
	importRowsPerCall = 1000      // rows one request imports [est; see README "Importing users"]
	// importMaxFailures bounds the per-row failure reasons a job keeps for its CompletionMessage.
	importMaxFailures = 20
)

// Import job statuses (UserImportJobStatusType).
const (
	importCreated    = "Created"
	importPending    = "Pending"
	importInProgress = "InProgress"
	importStopping   = "Stopping"
	importStopped    = "Stopped"
	importSucceeded  = "Succeeded"
	importFailed     = "Failed"
	importExpired    = "Expired"
)

// UserImportJob is the wire UserImportJobType.
type UserImportJob struct {
	JobName               string             `json:"JobName"`
	JobId                 string             `json:"JobId"`
	UserPoolId            string             `json:"UserPoolId"`
	PreSignedUrl          string             `json:"PreSignedUrl,omitempty"`
	CreationDate          awsjson.EpochTime  `json:"CreationDate"`
	StartDate             *awsjson.EpochTime `json:"StartDate,omitempty"`
	CompletionDate        *awsjson.EpochTime `json:"CompletionDate,omitempty"`
	Status                string             `json:"Status"`
	CloudWatchLogsRoleArn string             `json:"CloudWatchLogsRoleArn"`
	ImportedUsers         int64              `json:"ImportedUsers"`
	SkippedUsers          int64              `json:"SkippedUsers"`
	FailedUsers           int64              `json:"FailedUsers"`
	CompletionMessage     string             `json:"CompletionMessage,omitempty"`
}

// importJob is a job as stored: the wire record and where its uploaded rows are.
type importJob struct {
	UserImportJob
	// Upload is the generation of the uploaded CSV (its batches are uib/<pool>/<job>/<Upload>/<n>);
	// "" until a CSV is uploaded.
	Upload      string   `json:"upload,omitempty"`
	Header      []string `json:"header,omitempty"`
	Rows        int      `json:"rows,omitempty"`
	BatchStarts []int    `json:"batchStarts,omitempty"` // first row of each batch
	UploadError string   `json:"uploadError,omitempty"` // why the CSV cannot be imported
	Cursor      int      `json:"cursor,omitempty"`      // rows done
	Failures    []string `json:"failures,omitempty"`    // "row N: reason", the first importMaxFailures
}

func importJobKey(pool, job string) string { return "uij/" + pool + "/" + job }

func importBatchKey(pool, job, upload string, n int) string {
	return "uib/" + pool + "/" + job + "/" + upload + "/" + itoa(n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}

// CreateUserImportJobInput is the CreateUserImportJob request.
type CreateUserImportJobInput struct {
	JobName               string `json:"JobName" aws:"required"`
	UserPoolId            string `json:"UserPoolId" aws:"required"`
	CloudWatchLogsRoleArn string `json:"CloudWatchLogsRoleArn" aws:"required"`
}

// ImportJobRef names a job (Describe/Start/StopUserImportJob).
type ImportJobRef struct {
	UserPoolId string `json:"UserPoolId" aws:"required"`
	JobId      string `json:"JobId" aws:"required"`
}

// UserImportJobOutput is the answer of the single-job actions.
type UserImportJobOutput struct {
	UserImportJob *UserImportJob `json:"UserImportJob"`
}

// ListUserImportJobsInput is the ListUserImportJobs request.
type ListUserImportJobsInput struct {
	UserPoolId      string `json:"UserPoolId" aws:"required"`
	MaxResults      int    `json:"MaxResults" aws:"required"`
	PaginationToken string `json:"PaginationToken,omitempty"`
}

// ListUserImportJobsOutput is the ListUserImportJobs response.
type ListUserImportJobsOutput struct {
	UserImportJobs  []UserImportJob `json:"UserImportJobs"`
	PaginationToken string          `json:"PaginationToken,omitempty"`
}

// GetCSVHeaderOutput is the GetCSVHeader response.
type GetCSVHeaderOutput struct {
	UserPoolId string   `json:"UserPoolId"`
	CSVHeader  []string `json:"CSVHeader"`
}

// importActions are the user-import actions (SigV4-signed, as every administration call).
func (s *Service) importActions() []awsjson.Action {
	signed := func(name string, h func(context.Context, []byte) (any, error)) awsjson.Action {
		return awsjson.Action{Name: name, Auth: awsjson.SigV4, Handle: h}
	}
	return []awsjson.Action{
		signed("GetCSVHeader", awsjson.Handler(s.getCSVHeader)),
		signed("CreateUserImportJob", awsjson.Handler(s.createUserImportJob)),
		signed("DescribeUserImportJob", awsjson.Handler(s.describeUserImportJob)),
		signed("ListUserImportJobs", awsjson.Handler(s.listUserImportJobs)),
		signed("StartUserImportJob", awsjson.Handler(s.startUserImportJob)),
		signed("StopUserImportJob", awsjson.Handler(s.stopUserImportJob)),
	}
}

// GetCSVHeader answers the columns of the pool's import CSV as Cognito lists them: every schema
// attribute but sub, in schema order, then cognito:mfa_enabled and cognito:username. poolgate
// also reads the column importHashColumn, which it does not list (Cognito's header stays
// Cognito's).
func (s *Service) getCSVHeader(ctx context.Context, in *DescribeUserPoolInput) (*GetCSVHeaderOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	return &GetCSVHeaderOutput{UserPoolId: p.Id, CSVHeader: csvHeader(p)}, nil
}

func csvHeader(p *Pool) []string {
	out := make([]string, 0, len(p.SchemaAttributes)+2)
	for _, a := range p.SchemaAttributes {
		if a.Name != "sub" {
			out = append(out, a.Name)
		}
	}
	return append(out, "cognito:mfa_enabled", "cognito:username")
}

const jobIDChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func (s *Service) createUserImportJob(ctx context.Context, in *CreateUserImportJobInput) (*UserImportJobOutput, error) {
	if !strings.HasPrefix(in.CloudWatchLogsRoleArn, "arn:") {
		return nil, awsjson.InvalidParameter("1 validation error detected: Value '%s' at 'cloudWatchLogsRoleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?",
			in.CloudWatchLogsRoleArn)
	}
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	suffix, err := s.randomString(jobIDChars, 10)
	if err != nil {
		return nil, err
	}
	now := s.now()
	j := &importJob{UserImportJob: UserImportJob{JobName: in.JobName, JobId: "import-" + suffix,
		UserPoolId: p.Id, CreationDate: awsjson.EpochTime(now), Status: importCreated,
		CloudWatchLogsRoleArn: in.CloudWatchLogsRoleArn}}
	if j.PreSignedUrl, err = s.importUploadURL(p.Id, j.JobId, now.Add(importUploadTTL)); err != nil {
		return nil, err
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		if _, err := ts.d.Store.Get(ctx, importJobKey(p.Id, j.JobId)); err == nil {
			return concurrentModification()
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return ts.putJSON(ctx, importJobKey(p.Id, j.JobId), j)
	})
	if err != nil {
		return nil, err
	}
	return s.jobOutput(j), nil
}

// jobOutput is the wire form of j at this moment (a Created job past its start window is Expired).
func (s *Service) jobOutput(j *importJob) *UserImportJobOutput {
	w := s.wireJob(j)
	return &UserImportJobOutput{UserImportJob: &w}
}

func (s *Service) wireJob(j *importJob) UserImportJob {
	w := j.UserImportJob
	if s.importExpired(j) {
		w.Status = importExpired
	}
	return w
}

func (s *Service) importExpired(j *importJob) bool {
	return j.Status == importCreated && !s.now().Before(j.CreationDate.Time().Add(importJobStartTTL))
}

// loadImportJob reads job id of pool p; an unknown id is ResourceNotFoundException.
func (s *Service) loadImportJob(ctx context.Context, p *Pool, id string) (*importJob, error) {
	var j importJob
	err := s.getJSON(ctx, importJobKey(p.Id, id), &j)
	if errors.Is(err, store.ErrNotFound) {
		return nil, awsjson.ResourceNotFound("Import job %s does not exist.", id)
	}
	if err != nil {
		return nil, err
	}
	return &j, nil
}

func (s *Service) describeUserImportJob(ctx context.Context, in *ImportJobRef) (*UserImportJobOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	j, err := s.runImport(ctx, p, in.JobId, importRowsPerCall)
	if err != nil {
		return nil, err
	}
	return s.jobOutput(j), nil
}

func (s *Service) listUserImportJobs(ctx context.Context, in *ListUserImportJobsInput) (*ListUserImportJobsOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	prefix := importJobKey(p.Id, "")
	jobs, next, err := listing.Page(ctx, s.pager(), "ListUserImportJobs/"+p.Id, prefix, in.PaginationToken, in.MaxResults,
		func(key string) (UserImportJob, bool, error) {
			var j importJob
			err := s.getJSON(ctx, key, &j)
			if errors.Is(err, store.ErrNotFound) {
				return UserImportJob{}, false, nil
			}
			if err != nil {
				return UserImportJob{}, false, err
			}
			return s.wireJob(&j), true, nil
		})
	if err != nil {
		return nil, err
	}
	return &ListUserImportJobsOutput{UserImportJobs: jobs, PaginationToken: next}, nil
}

// startUserImportJob moves a Created job to InProgress (one commit: of racing starts, one
// wins and the others meet a job no longer Created) and imports its first rows. A job without
// a usable CSV fails at once, with the reason in CompletionMessage.
func (s *Service) startUserImportJob(ctx context.Context, in *ImportJobRef) (*UserImportJobOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		j, err := ts.loadImportJob(ctx, p, in.JobId)
		if err != nil {
			return err
		}
		if j.Status != importCreated || ts.importExpired(j) {
			return awsjson.New(awsjson.ErrPreconditionNotMet, "Import job %s is in status %s and cannot be started.", j.JobId, ts.wireJob(j).Status)
		}
		now := awsjson.EpochTime(ts.now())
		j.StartDate = &now
		j.PreSignedUrl = ""
		switch {
		case j.Upload == "":
			ts.finishImport(j, importFailed, "The CSV file was not uploaded to the pre-signed URL.")
		case j.UploadError != "":
			ts.finishImport(j, importFailed, j.UploadError)
		default:
			j.Status = importInProgress
		}
		return ts.putJSON(ctx, importJobKey(p.Id, j.JobId), j)
	})
	if err != nil {
		return nil, err
	}
	j, err := s.runImport(ctx, p, in.JobId, importRowsPerCall)
	if err != nil {
		return nil, err
	}
	return s.jobOutput(j), nil
}

// stopUserImportJob stops a Pending or InProgress job: rows already imported stay, no further
// row is imported (each row's commit checks the job's status).
func (s *Service) stopUserImportJob(ctx context.Context, in *ImportJobRef) (*UserImportJobOutput, error) {
	p, err := s.getPool(ctx, in.UserPoolId)
	if err != nil {
		return nil, err
	}
	var j *importJob
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		var err error
		if j, err = ts.loadImportJob(ctx, p, in.JobId); err != nil {
			return err
		}
		if j.Status != importInProgress && j.Status != importPending {
			return awsjson.New(awsjson.ErrPreconditionNotMet, "Import job %s is in status %s and cannot be stopped.", j.JobId, ts.wireJob(j).Status)
		}
		ts.finishImport(j, importStopped, "Import Job Stopped.")
		return ts.putJSON(ctx, importJobKey(p.Id, j.JobId), j)
	})
	if err != nil {
		return nil, err
	}
	return s.jobOutput(j), nil
}

// finishImport ends j with status and message, adding the first row failures to the message.
func (s *Service) finishImport(j *importJob, status, message string) {
	now := awsjson.EpochTime(s.now())
	j.Status = status
	j.CompletionDate = &now
	if len(j.Failures) > 0 {
		message += " Failed or skipped rows: " + strings.Join(j.Failures, "; ")
	}
	j.CompletionMessage = bound.String(message, 1000)
}
