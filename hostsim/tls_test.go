package hostsim

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestLocalTLSCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	first, err := LoadLocalTLS(dir, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{caKeyFileName, serverKeyFileName} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s has mode %o, want 0600", name, perm)
		}
	}
	caPEM, _ := os.ReadFile(filepath.Join(dir, CAFileName))
	if !bytes.Equal(caPEM, first.CAPEM) {
		t.Fatal("CAPEM is not the bytes of ca.pem")
	}

	// A restart a day later: the same CA and the same server certificate.
	again, err := LoadLocalTLS(dir, func() time.Time { return now.Add(24 * time.Hour) })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.CAPEM, first.CAPEM) {
		t.Fatal("the CA changed across restarts")
	}
	if !bytes.Equal(again.Certificate.Certificate[0], first.Certificate.Certificate[0]) {
		t.Fatal("a server certificate still good was issued again")
	}

	// Near its expiry the server certificate is issued again, by the same CA.
	late := now.Add(serverLifetime - serverRenewBefore + time.Hour)
	renewed, err := LoadLocalTLS(dir, func() time.Time { return late })
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(renewed.CAPEM, first.CAPEM) {
		t.Fatal("renewing the server certificate replaced the CA")
	}
	if bytes.Equal(renewed.Certificate.Certificate[0], first.Certificate.Certificate[0]) {
		t.Fatal("an expiring server certificate was kept")
	}
	if !renewed.Certificate.Leaf.NotAfter.After(late.Add(serverRenewBefore)) {
		t.Fatalf("renewed certificate ends %v", renewed.Certificate.Leaf.NotAfter)
	}
}

func TestLocalTLSCertificateCoversLocalHostsOnly(t *testing.T) {
	lt, err := LoadLocalTLS(t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := lt.Certificate.Leaf
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: lt.Pool, DNSName: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"example.com", "10.0.0.1", "localhost.example.com"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: lt.Pool, DNSName: name}); err == nil {
			t.Errorf("the certificate verifies for %s", name)
		}
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("server key algorithm %v, want ECDSA", leaf.PublicKeyAlgorithm)
	}
}

// TestLocalTLSCAConstrained: a certificate the CA's key signs for another site is refused by a
// client that trusts the CA (the CA carries name constraints), so trusting ca.pem on a
// developer's machine vouches for nothing beyond the local server.
func TestLocalTLSCAConstrained(t *testing.T) {
	dir := t.TempDir()
	lt, err := LoadLocalTLS(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(filepath.Join(dir, CAFileName))
	keyPEM, _ := os.ReadFile(filepath.Join(dir, caKeyFileName))
	ca, caKey, err := parsePair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := *lt.Certificate.Leaf
	tmpl.DNSNames = []string{"bank.example"}
	tmpl.IPAddresses = nil
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca, lt.Certificate.Leaf.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := x509.ParseCertificate(der)
	if _, err := forged.Verify(x509.VerifyOptions{Roots: lt.Pool, DNSName: "bank.example"}); err == nil {
		t.Fatal("the local CA vouches for bank.example")
	}
}

func TestLocalTLSBrokenCAIsReported(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadLocalTLS(dir, time.Now); err != nil {
		t.Fatal(err)
	}
	// A key without its certificate: refuse rather than make a CA nobody trusts yet.
	os.Remove(filepath.Join(dir, CAFileName))
	if _, err := LoadLocalTLS(dir, time.Now); err == nil {
		t.Fatal("a CA key without ca.pem was accepted")
	}
	// A certificate and key that do not belong together.
	other := t.TempDir()
	if _, err := LoadLocalTLS(other, time.Now); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(other, CAFileName))
	os.WriteFile(filepath.Join(dir, CAFileName), b, 0o644)
	if _, err := LoadLocalTLS(dir, time.Now); err == nil {
		t.Fatal("a CA certificate with another CA's key was accepted")
	}
}

// TestLocalTLSNewCANewServerCert: when ca.pem and its key are replaced (deleted by hand), the
// server certificate signed by the old CA is issued again.
func TestLocalTLSNewCANewServerCert(t *testing.T) {
	dir := t.TempDir()
	first, err := LoadLocalTLS(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, CAFileName))
	os.Remove(filepath.Join(dir, caKeyFileName))
	second, err := LoadLocalTLS(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first.CAPEM, second.CAPEM) {
		t.Fatal("no new CA")
	}
	if _, err := second.Certificate.Leaf.Verify(x509.VerifyOptions{Roots: second.Pool, DNSName: "localhost"}); err != nil {
		t.Fatalf("server certificate not reissued by the new CA: %v", err)
	}
}

// TestServiceOverHTTPS: the real module behind both listeners; a client trusting only ca.pem
// gets over HTTPS exactly what HTTP answers, and the CA is the same after a restart on the
// same data directory.
func TestServiceOverHTTPS(t *testing.T) {
	dir := t.TempDir()
	var caPEM []byte
	for round := 0; round < 2; round++ {
		s := start(t, Options{ModuleBytes: realGuest.bytes(t), Addr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0",
			DataDir: dir, Config: DefaultConfig})
		onDisk, err := os.ReadFile(filepath.Join(dir, "tls", CAFileName))
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			caPEM = onDisk
		} else if !bytes.Equal(caPEM, onDisk) {
			t.Fatal("ca.pem changed across restarts")
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(onDisk) {
			t.Fatal("ca.pem holds no certificate")
		}
		httpsClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		t.Cleanup(httpsClient.CloseIdleConnections)
		path := "/" + defaultPoolID + "/.well-known/jwks.json"
		plain := httpsGet(t, http.DefaultClient, s.URL()+path)
		secure := httpsGet(t, httpsClient, s.HTTPSURL()+path)
		if plain != secure || len(plain) < 20 {
			t.Fatalf("HTTP answered %q, HTTPS %q", plain, secure)
		}
		// A client that does not trust the CA is refused.
		if _, err := (&http.Client{Transport: &http.Transport{}}).Get(s.HTTPSURL() + path); err == nil {
			t.Fatal("a client without the CA completed the handshake")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHTTPSOffByDefault(t *testing.T) {
	s := start(t, Options{Addr: "127.0.0.1:0"})
	if s.HTTPSURL() != "" || s.LocalTLS() != nil {
		t.Fatalf("HTTPS without HTTPSAddr: %q", s.HTTPSURL())
	}
}

func httpsGet(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
