package hostsim

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretsFileName is the file in DataDir that keeps generated secrets (mode 0600).
const SecretsFileName = "secrets.json"

// secretsFile holds only secrets hostsim generated; values from Options are never written.
type secretsFile struct {
	AdminAccessKeyID     string `json:"adminAccessKeyId,omitempty"`
	AdminSecretAccessKey string `json:"adminSecretAccessKey,omitempty"`
	MasterKey            []byte `json:"masterKey,omitempty"`
}

// resolveSecrets fills the admin key pair and master key the options leave unset: from
// DataDir/secrets.json when it has them, else freshly generated (and saved there when DataDir
// is set, so a restart reads the same data and accepts the same credentials).
func (s *Server) resolveSecrets() error {
	o := &s.opts
	if (o.AdminAccessKeyID == "") != (o.AdminSecretAccessKey == "") {
		return errors.New("hostsim: AdminAccessKeyID and AdminSecretAccessKey must be set together")
	}
	if len(o.MasterKey) != 0 && len(o.MasterKey) != 32 {
		return fmt.Errorf("hostsim: MasterKey must be 32 bytes, got %d", len(o.MasterKey))
	}
	needPair, needMaster := o.AdminAccessKeyID == "", len(o.MasterKey) == 0
	if !needPair && !needMaster {
		return nil
	}
	var f secretsFile
	path := ""
	if o.DataDir != "" {
		path = filepath.Join(o.DataDir, SecretsFileName)
		b, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("hostsim: %w", err)
		default:
			if err := json.Unmarshal(b, &f); err != nil {
				return fmt.Errorf("hostsim: %s: %w", path, err)
			}
		}
	}
	dirty := false
	if needPair {
		if f.AdminAccessKeyID == "" || f.AdminSecretAccessKey == "" {
			f.AdminAccessKeyID, f.AdminSecretAccessKey = newKeyPair()
			dirty = true
		}
		o.AdminAccessKeyID, o.AdminSecretAccessKey = f.AdminAccessKeyID, f.AdminSecretAccessKey
	}
	if needMaster {
		switch len(f.MasterKey) {
		case 32:
		case 0:
			f.MasterKey = make([]byte, 32)
			rand.Read(f.MasterKey)
			dirty = true
		default:
			return fmt.Errorf("hostsim: %s: master key is %d bytes, want 32", path, len(f.MasterKey))
		}
		o.MasterKey = f.MasterKey
	}
	if dirty && path != "" {
		return writeSecrets(path, &f)
	}
	return nil
}

// newKeyPair generates a development admin key pair shaped like AWS's: a 20-character
// access key ID starting with AKIA and a 40-character secret.
func newKeyPair() (id, secret string) {
	b := make([]byte, 40)
	rand.Read(b)
	id = "AKIA" + base32.StdEncoding.EncodeToString(b[:10])
	secret = base64.StdEncoding.EncodeToString(b[10:])
	return id, secret
}

func writeSecrets(path string, f *secretsFile) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("hostsim: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secrets-*.json")
	if err != nil {
		return fmt.Errorf("hostsim: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("hostsim: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("hostsim: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("hostsim: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("hostsim: %w", err)
	}
	return nil
}
