package identitypool_test

import (
	"encoding/json"
	"testing"
)

// benchVend measures GetId + GetCredentialsForIdentity through the service's handler
// (natively, memory store, no network); logins nil is the guest flow.
func benchVend(b *testing.B, logins map[string]string) {
	e := newEnv(b, envOptions{})
	if logins != nil {
		logins = map[string]string{canonical(userPool): e.user(userPool, clientID, "bench")}
	}
	lj, _ := json.Marshal(logins)
	b.ReportAllocs()
	for b.Loop() {
		w := e.post("GetId", `{"IdentityPoolId":"`+guestPool+`","Logins":`+string(lj)+`}`)
		if w.Code != 200 {
			b.Fatalf("GetId: %d %s", w.Code, w.Body)
		}
		var id struct{ IdentityId string }
		json.Unmarshal(w.Body.Bytes(), &id)
		w = e.post("GetCredentialsForIdentity", `{"IdentityId":"`+id.IdentityId+`","Logins":`+string(lj)+`}`)
		if w.Code != 200 {
			b.Fatalf("GetCredentialsForIdentity: %d %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "vends/s")
}

func BenchmarkVendGuest(b *testing.B) { benchVend(b, nil) }
func BenchmarkVendUser(b *testing.B)  { benchVend(b, map[string]string{}) }
