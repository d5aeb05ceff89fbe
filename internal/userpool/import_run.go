package userpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"

	"github.com/poolgate/poolgate/internal/awsjson"
	"github.com/poolgate/poolgate/internal/passhash"
	"github.com/poolgate/poolgate/internal/store"
)

// Outcomes of one imported row.
const (
	rowImported = iota
	rowSkipped
	rowFailed
)

// importRowsPerCommit is how many rows one commit imports: a row reads and writes at most its
// user record and four index keys, so 8 rows and the job record stay within a commit's 64
// operations. Batching them divides the commits (one fsync each on bbolt) by 8.
const importRowsPerCommit = 8

// runImport imports up to budget rows of job id and ends the job when its rows are done; it
// returns the job as it then stands. A commit holds whole rows (each user with its index keys)
// and the job's cursor and counts, so a user is imported all or nothing and exactly once:
// racing calls conflict on the job record, and the loser's attempt runs again on the advanced
// cursor.
func (s *Service) runImport(ctx context.Context, p *Pool, id string, budget int) (*importJob, error) {
	batches := map[int][][]string{}
	var j *importJob
	for n := 0; ; {
		done, did := false, 0
		err := s.atomically(ctx, poolShard(p.Id), func(ts *Service) error {
			var err error
			if j, err = ts.loadImportJob(ctx, p, id); err != nil {
				return err
			}
			if j.Status != importInProgress {
				done = true
				return nil
			}
			if j.Cursor >= j.Rows {
				done = true
				msg := "Import Job Completed Successfully."
				if j.FailedUsers+j.SkippedUsers > 0 {
					msg = fmt.Sprintf("Import Job Completed: %d users imported, %d skipped, %d failed.", j.ImportedUsers, j.SkippedUsers, j.FailedUsers)
				}
				ts.finishImport(j, importSucceeded, msg)
				return ts.putJSON(ctx, importJobKey(p.Id, j.JobId), j)
			}
			if n >= budget {
				done = true
				return nil
			}
			var refused []string
			for did = 0; did < min(importRowsPerCommit, budget-n) && j.Cursor < j.Rows; did++ {
				line, err := ts.importNextRow(ctx, p, j, s, batches)
				if err != nil {
					return err
				}
				if line != "" {
					refused = append(refused, line)
				}
			}
			if err := ts.putJSON(ctx, importJobKey(p.Id, j.JobId), j); err != nil {
				return err
			}
			return ts.afterCommit(ctx, func(context.Context) error {
				for _, line := range refused {
					s.d.Logf("userpool: import %s/%s: %s", p.Id, j.JobId, line)
				}
				return nil
			})
		})
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		n += did
	}
	return j, nil
}

// importNextRow imports row j.Cursor in the running transaction and counts it in j; it
// returns the line that reports a skipped or failed row. base reads the upload's batches
// outside the transaction.
func (s *Service) importNextRow(ctx context.Context, p *Pool, j *importJob, base *Service, batches map[int][][]string) (string, error) {
	row, err := base.importRowAt(ctx, p, j, batches)
	if err != nil {
		return "", err
	}
	outcome, reason, err := s.importRow(ctx, p, j.Header, row)
	if err != nil {
		return "", err
	}
	line := ""
	switch outcome {
	case rowImported:
		j.ImportedUsers++
	case rowSkipped:
		j.SkippedUsers++
	case rowFailed:
		j.FailedUsers++
	}
	if outcome != rowImported {
		// Row numbers count the header as row 1, as a spreadsheet shows them.
		line = fmt.Sprintf("row %d: %s", j.Cursor+2, reason)
		if len(j.Failures) < importMaxFailures {
			j.Failures = append(j.Failures, line)
		}
	}
	j.Cursor++
	return line, nil
}

// importRowAt returns row j.Cursor of j's upload, reading its batch once per call of runImport
// (batches are written before the job points at them and never change).
func (s *Service) importRowAt(ctx context.Context, p *Pool, j *importJob, cache map[int][][]string) ([]string, error) {
	n := sort.SearchInts(j.BatchStarts, j.Cursor+1) - 1
	if n < 0 {
		return nil, fmt.Errorf("userpool: import %s: no batch holds row %d", j.JobId, j.Cursor)
	}
	b, ok := cache[n]
	if !ok {
		raw, err := s.d.Store.Get(ctx, importBatchKey(p.Id, j.JobId, j.Upload, n))
		if err != nil {
			return nil, fmt.Errorf("userpool: import %s batch %d: %w", j.JobId, n, err)
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("userpool: import %s batch %d: %w", j.JobId, n, err)
		}
		clear(cache)
		cache[n] = b
	}
	i := j.Cursor - j.BatchStarts[n]
	if i >= len(b) {
		return nil, fmt.Errorf("userpool: import %s: batch %d has no row %d", j.JobId, n, i)
	}
	return b[i], nil
}

// importRow creates the user a row describes, in the running transaction. Everything that can
// refuse the row is decided before the first write, so a refused row writes nothing: a name
// already taken is skipped, anything else wrong fails the row (reason says why). err is for
// the store only.
func (s *Service) importRow(ctx context.Context, p *Pool, header, row []string) (outcome int, reason string, err error) {
	u, err := s.importedUser(p, header, row)
	if err != nil {
		return rowOutcome(err)
	}
	if _, err := s.getUser(ctx, p, u.Username); err == nil {
		return rowSkipped, "User already exists.", nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, "", err
	}
	if err := s.ensureUnique(ctx, p, u, nil); err != nil {
		return rowOutcome(err)
	}
	if err := s.putUser(ctx, p, u, nil); err != nil {
		return 0, "", err
	}
	return rowImported, "", nil
}

// rowOutcome sorts an error met while importing a row: a Cognito-shaped one fails the row
// with its message, anything else is the store's and aborts the call.
func rowOutcome(err error) (int, string, error) {
	var ae *awsjson.Error
	if errors.As(err, &ae) {
		if ae.Type == awsjson.ErrUsernameExists {
			return rowSkipped, ae.Message, nil
		}
		return rowFailed, ae.Message, nil
	}
	return 0, "", err
}

// importedUser builds the user a row describes (not yet stored): the username as
// AdminCreateUser takes it, the attributes through the pool's schema, SMS MFA from
// cognito:mfa_enabled, and either the row's password hash (CONFIRMED) or none
// (RESET_REQUIRED).
func (s *Service) importedUser(p *Pool, header, row []string) (*User, error) {
	if len(row) != len(header) {
		return nil, awsjson.InvalidParameter("The row has %d fields; the header names %d.", len(row), len(header))
	}
	var name, mfa, hash string
	var attrs []AttributeType
	for i, col := range header {
		v := row[i]
		switch col {
		case importUsernameColumn:
			name = v
		case importMfaColumn:
			mfa = v
		case importHashColumn:
			hash = v
		default:
			if v != "" {
				attrs = append(attrs, AttributeType{Name: col, Value: &v})
			}
		}
	}
	if name == "" {
		return nil, awsjson.InvalidParameter("%s is empty.", importUsernameColumn)
	}
	if !validUsername(name) {
		return nil, awsjson.InvalidParameter("%s does not satisfy the username pattern [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+ of at most 128 characters.", importUsernameColumn)
	}
	username, sub, values, err := s.newUserIdentity(p, name, attrs)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{Username: username, Sub: sub, Attributes: maps.Clone(values), Enabled: true,
		Status: StatusResetRequired, Created: now, Modified: now}
	switch mfa {
	case "", "false", "FALSE", "False":
	case "true", "TRUE", "True":
		if values["phone_number"] == "" {
			return nil, awsjson.InvalidParameter("%s is true but the user has no phone_number.", importMfaColumn)
		}
		u.MfaEnabled = []string{"SMS_MFA"}
	default:
		return nil, awsjson.InvalidParameter("%s must be true or false.", importMfaColumn)
	}
	if hash != "" {
		if _, err := passhash.Parse(hash); err != nil {
			// The message names the format problem, never the hash.
			return nil, awsjson.InvalidParameter("%s: %v", importHashColumn, err)
		}
		u.Secrets.Imported = hash
		u.Status = StatusConfirmed
	}
	return u, nil
}
