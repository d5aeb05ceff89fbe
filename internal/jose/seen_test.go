package jose

import (
	"testing"
	"time"
)

func expiring(exp time.Time) *JWS {
	d := NumericDate(exp.Unix())
	return &JWS{claims: &Claims{Expiry: &d}}
}

func TestSeenTokensBounds(t *testing.T) {
	var c SeenTokens
	now := time.Unix(1_800_000_000, 0)
	k := &Key{Kid: "k"}
	for i := range SeenTokensEntries + 10 {
		c.Put(string(rune('a'+i%26))+time.Duration(i).String(), expiring(now.Add(time.Minute)), k, now)
	}
	if c.Len() > SeenTokensEntries {
		t.Fatalf("%d entries, bound %d", c.Len(), SeenTokensEntries)
	}
	c.Put("expired", expiring(now), k, now)
	if _, _, ok := c.Get("expired", now); ok {
		t.Fatal("an expired entry was kept")
	}
	c.Put("no exp", &JWS{claims: &Claims{}}, k, now)
	if _, _, ok := c.Get("no exp", now); ok {
		t.Fatal("a token without exp was kept")
	}
	big := make([]byte, SeenTokensMaxToken+1)
	c.Put(string(big), expiring(now.Add(time.Minute)), k, now)
	if _, _, ok := c.Get(string(big), now); ok {
		t.Fatal("an oversized token was kept")
	}
	c.Put("short", expiring(now.Add(time.Minute)), k, now)
	if got, key, ok := c.Get("short", now.Add(time.Minute-time.Second)); !ok || key != k || got == nil {
		t.Fatal("a kept token was not returned before its expiry")
	}
	if _, _, ok := c.Get("short", now.Add(time.Minute)); ok {
		t.Fatal("an entry outlived its expiry")
	}
	c.Put("far", expiring(now.Add(100*SeenTokensLife)), k, now)
	if _, _, ok := c.Get("far", now.Add(SeenTokensLife)); ok {
		t.Fatal("an entry outlived SeenTokensLife")
	}
}
