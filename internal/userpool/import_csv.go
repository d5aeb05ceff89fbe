package userpool

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
)

// The import CSV (Cognito's format): a header row naming columns, then one row per user.
// Columns are the names GetCSVHeader lists, in any order, any of them left out but
// cognito:username; a value left empty leaves the attribute unset. Beyond Cognito, the column
// importHashColumn carries a password hash made elsewhere (internal/passhash lists the
// formats): such a user keeps that password and is CONFIRMED; without it, a user is
// RESET_REQUIRED, as Cognito imports every user.
const (
	importHashColumn     = "poolgate:password_hash"
	importUsernameColumn = "cognito:username"
	importMfaColumn      = "cognito:mfa_enabled"
	// importMaxCSV bounds an uploaded CSV [est: Cognito takes 100 MB through S3; a Worker
	// request holds the file while it is cut into batches].
	importMaxCSV = 16 << 20
	// importBatchBytes and importBatchRows bound one stored batch of rows.
	importBatchBytes = 256 << 10
	importBatchRows  = 500
)

// errImportCSV marks a CSV that cannot be imported at all (its header, its quoting); the job
// fails with the message. A row that does not fit fails alone, when the job reaches it.
var errImportCSV = errors.New("import CSV")

// importFile is an uploaded CSV cut into batches of raw rows.
type importFile struct {
	header  []string
	rows    int
	batches [][][]string
	starts  []int
}

// parseImportCSV reads a CSV for pool p: the header must name known, distinct columns and
// cognito:username; a row with the wrong number of fields is kept as it is and fails when
// imported (so it is reported with its row number). Errors wrap errImportCSV.
func parseImportCSV(p *Pool, data []byte) (*importFile, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte-order mark, as spreadsheet exports write
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the file is empty", errImportCSV)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", errImportCSV, err)
	}
	if err := checkImportHeader(p, header); err != nil {
		return nil, err
	}
	f := &importFile{header: header}
	var batch [][]string
	size := 0
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errImportCSV, err)
		}
		if len(row) == 1 && row[0] == "" && len(header) > 1 {
			continue // a blank line
		}
		n := 0
		for _, v := range row {
			n += len(v) + 1
		}
		if len(batch) > 0 && (len(batch) == importBatchRows || size+n > importBatchBytes) {
			f.batches = append(f.batches, batch)
			batch, size = nil, 0
		}
		if len(batch) == 0 {
			f.starts = append(f.starts, f.rows)
		}
		batch = append(batch, row)
		size += n
		f.rows++
	}
	if len(batch) > 0 {
		f.batches = append(f.batches, batch)
	}
	return f, nil
}

func checkImportHeader(p *Pool, header []string) error {
	known := append(csvHeader(p), importHashColumn)
	for i, col := range header {
		if !slices.Contains(known, col) {
			return fmt.Errorf("%w: column %q is not an attribute of the user pool (GetCSVHeader lists them)", errImportCSV, clipName(col))
		}
		if slices.Contains(header[:i], col) {
			return fmt.Errorf("%w: column %q appears twice", errImportCSV, clipName(col))
		}
	}
	if !slices.Contains(header, importUsernameColumn) {
		return fmt.Errorf("%w: the header has no %s column", errImportCSV, importUsernameColumn)
	}
	return nil
}
