//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/poolgate/poolgate/edge/internal/isocache"
	"github.com/poolgate/poolgate/internal/store"
	"github.com/poolgate/poolgate/internal/userpool"
)

// readCounter counts the reads that reach the Durable Objects, by kind of key.
type readCounter struct {
	store.Store
	mu            sync.Mutex
	config, other int
}

func (c *readCounter) count(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if userpool.IsConfigRecord(key) {
		c.config++
	} else {
		c.other++
	}
}

func (c *readCounter) Get(ctx context.Context, key string) ([]byte, error) {
	c.count(key)
	return c.Store.Get(ctx, key)
}

func (c *readCounter) GetEntry(ctx context.Context, key string) (store.Entry, error) {
	c.count(key)
	return c.Store.GetEntry(ctx, key)
}

// reads returns the reads counted since the last call.
func (c *readCounter) reads() (config, other int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	config, other = c.config, c.other
	c.config, c.other = 0, 0
	return config, other
}

// admin serves one admin action, signed with the bench service's key pair.
func (s *benchService) admin(t testing.TB, action string, in any) (int, string) {
	body, _ := json.Marshal(in)
	r, _ := http.NewRequest(http.MethodPost, "http://edge.test/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService."+action)
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: "AKIAEDGEBENCH", SecretAccessKey: "secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "cognito-idp", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	w := newResponseWriter()
	s.svc.ServeHTTP(w, r)
	return w.status, w.body.String()
}

// TestIsolateRecordCache runs the service as the Worker builds it, over the Durable Objects
// behind the per-isolate cache: a warm GetUser reads no pool or client record from the
// store (the cold one does), and a client changed through this isolate is used as changed
// by the very next request.
func TestIsolateRecordCache(t *testing.T) {
	counter := &readCounter{Store: testDO(t)}
	s := newBenchService(t, isocache.New(counter, isocache.DefaultTTL, time.Now, userpool.IsConfigRecord), testCrypto(t))

	// Setup read everything once; the first GetUser after a TTL would be the cold one. A
	// service over the bare store shows what a GetUser costs without the cache.
	bare := &readCounter{Store: testDO(t)}
	cold := newBenchService(t, bare, testCrypto(t))
	bare.reads()
	cold.call(t, "GetUser", map[string]any{"AccessToken": cold.access})
	coldConfig, coldOther := bare.reads()
	if coldConfig < 2 {
		t.Fatalf("uncached GetUser read %d configuration records, want the pool and the client", coldConfig)
	}

	counter.reads()
	for range 3 {
		s.call(t, "GetUser", map[string]any{"AccessToken": s.access})
	}
	warmConfig, warmOther := counter.reads()
	if warmConfig != 0 || warmOther != 3*coldOther {
		t.Fatalf("3 warm GetUsers read %d configuration records and %d others; want 0 and %d (uncached: %d and %d each)",
			warmConfig, warmOther, 3*coldOther, coldConfig, coldOther)
	}
	t.Logf("store reads per GetUser: %d uncached, %d warm", coldConfig+coldOther, warmOther/3)

	// UpdateUserPoolClient through this isolate takes USER_PASSWORD_AUTH away: the next
	// sign-in with it is refused, though the old client is still within its TTL.
	s.call(t, "InitiateAuth", s.passwordAuth())
	if status, body := s.admin(t, "UpdateUserPoolClient", map[string]any{"UserPoolId": "us-east-1_EdgeBench1", "ClientId": s.client,
		"ExplicitAuthFlows": []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"}}); status != http.StatusOK {
		t.Fatalf("UpdateUserPoolClient: %d %s", status, body)
	}
	body, _ := json.Marshal(s.passwordAuth())
	r, _ := http.NewRequest(http.MethodPost, "http://edge.test/", bytes.NewReader(body))
	r.Header.Set("X-Amz-Target", "AWSCognitoIdentityProviderService.InitiateAuth")
	r.Header.Set("Content-Type", "application/x-amz-json-1.1")
	w := newResponseWriter()
	s.svc.ServeHTTP(w, r)
	if w.status != http.StatusBadRequest || !strings.Contains(w.body.String(), "not enabled") {
		t.Fatalf("USER_PASSWORD_AUTH right after the client lost it: %d %s", w.status, w.body.String())
	}
}
