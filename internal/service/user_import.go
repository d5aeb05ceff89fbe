package service

import (
	"errors"
	"io"
	"net/http"

	"github.com/poolgate/poolgate/internal/userpool"
)

// routeImportUpload serves the pre-signed URLs CreateUserImportJob hands out: a PUT of the CSV,
// as a client would PUT it to S3 (curl -T users.csv "$PreSignedUrl"). The token in the path is
// the whole authorization, as a pre-signed URL's signature is; userpool checks it.
func (s *Service) routeImportUpload(mux *http.ServeMux) {
	mux.HandleFunc("PUT "+userpool.ImportUploadPath+"{token}", s.serveImportUpload)
}

func (s *Service) serveImportUpload(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, userpool.ImportMaxCSV))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		http.Error(w, "The CSV file is larger than the import limit.", http.StatusRequestEntityTooLarge)
		return
	case err != nil:
		http.Error(w, "Could not read the request body.", http.StatusBadRequest)
		return
	}
	err = s.userPools.UploadImportCSV(r.Context(), r.PathValue("token"), data)
	switch {
	case err == nil:
		w.WriteHeader(http.StatusOK)
	case errors.Is(err, userpool.ErrImportTooLarge):
		http.Error(w, "The CSV file is larger than the import limit.", http.StatusRequestEntityTooLarge)
	case errors.Is(err, userpool.ErrImportUpload):
		// The reason is logged, not told: a URL that does not open gets S3's plain refusal.
		s.cfg.Logf("service: import upload refused: %v", err)
		http.Error(w, "Access Denied", http.StatusForbidden)
	default:
		s.cfg.Logf("service: import upload: %v", err)
		http.Error(w, "The upload could not be stored; try again.", http.StatusServiceUnavailable)
	}
}
