package userpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/poolgate/poolgate/internal/store"
)

// The pre-signed upload URL. Cognito hands out an S3 URL; poolgate serves its own,
// ImportUploadPath + a token that seals the pool, the job and an expiry (importUploadTTL) with
// the transient key, so it cannot be forged, altered or used after it expires, and names the
// one job it was made for. A PUT there (internal/service) hands the body to UploadImportCSV.

// ImportUploadPath is the path under which pre-signed upload URLs are served.
const ImportUploadPath = "/_poolgate/user-import/"

const purposeImportUpload = "userpool/import-upload"

type importUploadToken struct {
	Pool string `json:"p"`
	Job  string `json:"j"`
}

// ErrImportUpload is wrapped by every refusal of UploadImportCSV; the host answers 403.
var ErrImportUpload = errors.New("userpool: import upload refused")

// ErrImportTooLarge is UploadImportCSV's answer to a body over ImportMaxCSV; the host answers 413.
var ErrImportTooLarge = errors.New("userpool: import CSV too large")

// ImportMaxCSV is the largest CSV an upload takes.
const ImportMaxCSV = importMaxCSV

func (s *Service) importUploadURL(pool, job string, expires time.Time) (string, error) {
	plain, err := json.Marshal(importUploadToken{Pool: pool, Job: job})
	if err != nil {
		return "", err
	}
	sealed, err := s.d.Seal.Seal(purposeImportUpload, plain, expires)
	if err != nil {
		return "", fmt.Errorf("userpool: upload token: %w", err)
	}
	return s.d.IssuerBase + ImportUploadPath + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// UploadImportCSV takes the CSV PUT to a pre-signed URL (token is the URL's last segment):
// the job must still be Created. The file is parsed now and kept in batches under a fresh
// upload generation; one commit then points the job at it, so a start sees either the old
// file or the new one whole. A file that cannot be imported (its header, its quoting) is
// accepted, as S3 would, and fails the job when it starts.
func (s *Service) UploadImportCSV(ctx context.Context, token string, data []byte) error {
	if len(data) > importMaxCSV {
		return ErrImportTooLarge
	}
	var tok importUploadToken
	if _, err := s.unseal(purposeImportUpload, base64.RawURLEncoding.Strict(), token, &tok); err != nil {
		return fmt.Errorf("%w: %v", ErrImportUpload, err)
	}
	p, err := s.getPool(ctx, tok.Pool)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrImportUpload, err)
	}
	upload, err := s.randomString(jobIDChars, 12)
	if err != nil {
		return err
	}
	f, perr := parseImportCSV(p, data)
	if perr == nil {
		for n, b := range f.batches {
			raw, err := json.Marshal(b)
			if err != nil {
				return err
			}
			if err := s.d.Store.Put(ctx, importBatchKey(p.Id, tok.Job, upload, n), raw, store.PutOptions{}); err != nil {
				return fmt.Errorf("userpool: import batch: %w", err)
			}
		}
	}
	var old *importJob
	err = s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
		j, err := ts.loadImportJob(ctx, p, tok.Job)
		if err != nil {
			return err
		}
		if j.Status != importCreated || ts.importExpired(j) {
			return fmt.Errorf("%w: job %s is %s", ErrImportUpload, j.JobId, ts.wireJob(j).Status)
		}
		prev := *j
		old = &prev
		j.Upload, j.Header, j.Rows, j.BatchStarts, j.UploadError = upload, nil, 0, nil, ""
		if perr != nil {
			j.UploadError = "The CSV file cannot be imported: " + perr.Error()
		} else {
			j.Header, j.Rows, j.BatchStarts = f.header, f.rows, f.starts
		}
		return ts.putJSON(ctx, importJobKey(p.Id, j.JobId), j)
	})
	if err != nil {
		if perr == nil {
			s.dropImportBatches(ctx, p.Id, tok.Job, upload, len(f.batches))
		}
		if errors.Is(err, ErrImportUpload) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrImportUpload, err)
	}
	if old.Upload != "" {
		s.dropImportBatches(ctx, p.Id, tok.Job, old.Upload, len(old.BatchStarts))
	}
	return nil
}

// dropImportBatches removes an upload generation no job points at (best effort: a leftover
// batch is never read).
func (s *Service) dropImportBatches(ctx context.Context, pool, job, upload string, n int) {
	for i := range n {
		if err := s.d.Store.Delete(ctx, importBatchKey(pool, job, upload, i)); err != nil {
			s.d.Logf("userpool: import %s: dropping batch %d: %v", job, i, err)
			return
		}
	}
}
