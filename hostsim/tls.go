package hostsim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Amplify v6 builds https://{oauth.domain}/oauth2/... whatever the domain, so the managed-login
// pages must be reachable over HTTPS locally. hostsim serves them with a certificate signed by
// a local certificate authority it creates once per data directory:
//
//	DATA/tls/ca.pem          the CA certificate: what browsers, Node (NODE_EXTRA_CA_CERTS)
//	                         and the system store are told to trust; never replaced
//	DATA/tls/ca-key.pem      its private key (mode 0600)
//	DATA/tls/server.pem      the server certificate for localhost, 127.0.0.1 and ::1
//	DATA/tls/server-key.pem  its private key (mode 0600)
//
// The server certificate is issued again when it is missing, unreadable, expires within
// serverRenewBefore, was not signed by the CA in ca.pem (ca.pem was replaced by hand) or does
// not name every host in localNames. Keys are ECDSA P-256. The CA is constrained to those
// names (x509 name constraints), so trusting it cannot vouch for any other site.

// TLS file names inside the TLS directory.
const (
	CAFileName        = "ca.pem"
	caKeyFileName     = "ca-key.pem"
	serverFileName    = "server.pem"
	serverKeyFileName = "server-key.pem"
)

const (
	caLifetime        = 10 * 365 * 24 * time.Hour
	serverLifetime    = 365 * 24 * time.Hour // under Apple's 825-day cap for user-trusted CAs
	serverRenewBefore = 30 * 24 * time.Hour
)

// localNames are the hosts the server certificate covers.
var (
	localDNSNames = []string{"localhost"}
	localIPs      = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
)

// LocalTLS is the local CA and the server certificate it signed.
type LocalTLS struct {
	// CAPEM is the CA certificate (the bytes of ca.pem).
	CAPEM []byte
	// Pool holds only the CA: a client that trusts it reaches the HTTPS listener.
	Pool *x509.CertPool
	// Certificate is the server's certificate chain and key.
	Certificate tls.Certificate
}

// ServerConfig returns a TLS configuration that serves the certificate (TLS 1.2 and later).
func (l *LocalTLS) ServerConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{l.Certificate}}
}

// LoadLocalTLS returns the CA and server certificate kept in dir, creating what is missing
// (see the comment above): the CA once, the server certificate whenever it is due. With dir
// "" both live in memory only, new on every call. now is the real clock: the certificates are
// checked by clients against theirs, never against a test's injected one.
func LoadLocalTLS(dir string, now func() time.Time) (*LocalTLS, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("hostsim: tls dir: %w", err)
		}
	}
	ca, caKey, caPEM, err := loadOrCreateCA(dir, now())
	if err != nil {
		return nil, err
	}
	cert, err := loadOrIssueServer(dir, ca, caKey, now())
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &LocalTLS{CAPEM: caPEM, Pool: pool, Certificate: cert}, nil
}

// loadOrCreateCA reads dir's CA, or creates it when ca.pem and ca-key.pem are both absent.
// One of the two without the other, or a pair that does not match, is an error: replacing the
// CA would silently break every trust store that holds the old one.
func loadOrCreateCA(dir string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	if dir != "" {
		certPEM, certErr := os.ReadFile(filepath.Join(dir, CAFileName))
		keyPEM, keyErr := os.ReadFile(filepath.Join(dir, caKeyFileName))
		switch {
		case certErr == nil && keyErr == nil:
			cert, key, err := parsePair(certPEM, keyPEM)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("hostsim: local CA in %s: %w (delete ca.pem and ca-key.pem to create a new one, then trust it again)", dir, err)
			}
			if !cert.IsCA {
				return nil, nil, nil, fmt.Errorf("hostsim: %s is not a CA certificate", filepath.Join(dir, CAFileName))
			}
			return cert, key, certPEM, nil
		case !errors.Is(certErr, fs.ErrNotExist) || !errors.Is(keyErr, fs.ErrNotExist):
			return nil, nil, nil, fmt.Errorf("hostsim: local CA in %s is incomplete or unreadable (%v; %v)", dir, certErr, keyErr)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("hostsim: CA key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:                serialNumber(),
		Subject:                     pkix.Name{Organization: []string{"poolgate"}, CommonName: "poolgate local CA"},
		NotBefore:                   now.Add(-time.Hour),
		NotAfter:                    now.Add(caLifetime),
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLenZero:              true,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         localDNSNames,
		PermittedIPRanges:           hostRanges(localIPs),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("hostsim: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("hostsim: CA certificate: %w", err)
	}
	certPEM, keyPEM, err := encodePair(der, key)
	if err != nil {
		return nil, nil, nil, err
	}
	if dir != "" {
		// The key first: a crash between the two writes leaves a key without a certificate,
		// which the next start reports instead of trusting half a CA.
		if err := writeFileAtomic(filepath.Join(dir, caKeyFileName), keyPEM, 0o600); err != nil {
			return nil, nil, nil, err
		}
		if err := writeFileAtomic(filepath.Join(dir, CAFileName), certPEM, 0o644); err != nil {
			return nil, nil, nil, err
		}
	}
	return cert, key, certPEM, nil
}

// loadOrIssueServer returns dir's server certificate if it is still good for ca at now, or
// issues and stores a new one. The chain sent is the leaf alone: a client that trusts the CA
// holds the rest.
func loadOrIssueServer(dir string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, now time.Time) (tls.Certificate, error) {
	if dir != "" {
		certPEM, certErr := os.ReadFile(filepath.Join(dir, serverFileName))
		keyPEM, keyErr := os.ReadFile(filepath.Join(dir, serverKeyFileName))
		if certErr == nil && keyErr == nil {
			if cert, key, err := parsePair(certPEM, keyPEM); err == nil && serverCertGood(cert, ca, now) {
				return tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, nil
			}
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("hostsim: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serialNumber(),
		Subject:      pkix.Name{Organization: []string{"poolgate"}, CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(serverLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     localDNSNames,
		IPAddresses:  localIPs,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("hostsim: server certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("hostsim: server certificate: %w", err)
	}
	if dir != "" {
		certPEM, keyPEM, err := encodePair(der, key)
		if err != nil {
			return tls.Certificate{}, err
		}
		if err := writeFileAtomic(filepath.Join(dir, serverKeyFileName), keyPEM, 0o600); err != nil {
			return tls.Certificate{}, err
		}
		if err := writeFileAtomic(filepath.Join(dir, serverFileName), certPEM, 0o644); err != nil {
			return tls.Certificate{}, err
		}
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, nil
}

// serverCertGood reports whether cert chains to ca, names every local host, and stays valid
// for longer than serverRenewBefore after now.
func serverCertGood(cert, ca *x509.Certificate, now time.Time) bool {
	if now.Before(cert.NotBefore) || now.Add(serverRenewBefore).After(cert.NotAfter) {
		return false
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, name := range append(append([]string{}, localDNSNames...), "127.0.0.1", "::1") {
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			return false
		}
	}
	return true
}

// parsePair decodes a PEM certificate and its PEM EC private key and checks they match.
func parsePair(certPEM, keyPEM []byte) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, _ := pem.Decode(certPEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return nil, nil, errors.New("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil || kb.Type != "PRIVATE KEY" {
		return nil, nil, errors.New("no PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, nil, errors.New("the private key is not ECDSA")
	}
	if pub, ok := cert.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, nil, errors.New("the certificate and the private key do not match")
	}
	return cert, key, nil
}

func encodePair(der []byte, key *ecdsa.PrivateKey) (certPEM, keyPEM []byte, err error) {
	k, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("hostsim: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k}), nil
}

// writeFileAtomic writes b to path through a temporary file in the same directory, so a
// reader never sees half a file, with mode perm from the start (a key is never readable by
// others, not even briefly).
func writeFileAtomic(path string, b []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("hostsim: write %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(b)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("hostsim: write %s: %w", path, err)
	}
	return nil
}

func serialNumber() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("hostsim: crypto/rand: %v", err))
	}
	return n
}

// hostRanges turns addresses into single-address ranges for name constraints.
func hostRanges(ips []net.IP) []*net.IPNet {
	out := make([]*net.IPNet, len(ips))
	for i, ip := range ips {
		bits := 128
		if v4 := ip.To4(); v4 != nil {
			ip, bits = v4, 32
		}
		out[i] = &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
	}
	return out
}
