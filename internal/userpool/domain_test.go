package userpool

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

const testCertArn = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-0000-4000-8000-000000000001"

func TestUserPoolDomainLifecycle(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)

	out := env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "myapp-login"})
	if mNum(t, out, "ManagedLoginVersion") != 1 || out["CloudFrontDomain"] != nil {
		t.Fatalf("CreateUserPoolDomain (prefix): %v", out)
	}
	created := env.clock.Now().UTC().Format(domainTimeLayout)
	d := mObj(env.call("DescribeUserPoolDomain", map[string]any{"Domain": "myapp-login"}), "DomainDescription")
	if d["UserPoolId"] != pool || d["AWSAccountId"] != testAccountID || d["Domain"] != "myapp-login" ||
		d["Status"] != "ACTIVE" || d["Version"] != created || d["S3Bucket"] != "aws-cognito-prod-us-east-1-assets" ||
		!strings.HasSuffix(d["CloudFrontDistribution"].(string), ".cloudfront.net") || d["CustomDomainConfig"] != nil ||
		mNum(t, d, "ManagedLoginVersion") != 1 {
		t.Fatalf("DescribeUserPoolDomain: %v", d)
	}

	// A custom domain besides the prefix one; DescribeUserPool names both.
	out = env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "auth.example.com",
		"CustomDomainConfig": map[string]any{"CertificateArn": testCertArn}, "ManagedLoginVersion": 2})
	cf, _ := out["CloudFrontDomain"].(string)
	if mNum(t, out, "ManagedLoginVersion") != 2 || !strings.HasSuffix(cf, ".cloudfront.net") {
		t.Fatalf("CreateUserPoolDomain (custom): %v", out)
	}
	p := mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": pool}), "UserPool")
	if p["Domain"] != "myapp-login" || p["CustomDomain"] != "auth.example.com" {
		t.Fatalf("DescribeUserPool: Domain %v, CustomDomain %v", p["Domain"], p["CustomDomain"])
	}
	c := mObj(env.call("DescribeUserPoolDomain", map[string]any{"Domain": "auth.example.com"}), "DomainDescription")
	if mObj(c, "CustomDomainConfig")["CertificateArn"] != testCertArn || c["CloudFrontDistribution"] != cf {
		t.Fatalf("custom DomainDescription: %v", c)
	}

	// One of each kind per pool.
	env.wantErr("CreateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "second"},
		"InvalidParameterException", "User pool already has a domain configured.")
	env.wantErr("CreateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "login.example.org",
		"CustomDomainConfig": map[string]any{"CertificateArn": testCertArn}},
		"InvalidParameterException", "User pool already has a domain configured.")

	// Update: the version and the certificate; a prefix domain has no certificate.
	env.clock.Advance(time.Hour)
	newArn := strings.Replace(testCertArn, "0001", "0002", 1)
	out = env.call("UpdateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "auth.example.com",
		"CustomDomainConfig": map[string]any{"CertificateArn": newArn}, "ManagedLoginVersion": 1})
	if mNum(t, out, "ManagedLoginVersion") != 1 || out["CloudFrontDomain"] != cf {
		t.Fatalf("UpdateUserPoolDomain: %v", out)
	}
	c = mObj(env.call("DescribeUserPoolDomain", map[string]any{"Domain": "auth.example.com"}), "DomainDescription")
	if mObj(c, "CustomDomainConfig")["CertificateArn"] != newArn || c["Version"] != env.clock.Now().UTC().Format(domainTimeLayout) {
		t.Fatalf("updated DomainDescription: %v", c)
	}
	env.wantErr("UpdateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "myapp-login",
		"CustomDomainConfig": map[string]any{"CertificateArn": newArn}}, "InvalidParameterException", "")
	env.wantErr("UpdateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "myapp-login", "ManagedLoginVersion": 3},
		"InvalidParameterException", "ManagedLoginVersion must be 1 or 2.")
	env.call("UpdateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "myapp-login", "ManagedLoginVersion": 2})

	// Another pool cannot touch the domain, nor take it.
	other := env.createPool(nil)
	env.wantErr("DeleteUserPoolDomain", map[string]any{"UserPoolId": other, "Domain": "myapp-login"},
		"InvalidParameterException", "No such domain or user pool exists.")
	env.wantErr("UpdateUserPoolDomain", map[string]any{"UserPoolId": other, "Domain": "myapp-login", "ManagedLoginVersion": 1},
		"InvalidParameterException", "No such domain or user pool exists.")
	env.wantErr("CreateUserPoolDomain", map[string]any{"UserPoolId": other, "Domain": "myapp-login"},
		"InvalidParameterException", "Domain already associated with another user pool.")

	// Delete frees the name.
	env.call("DeleteUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "myapp-login"})
	if d := mObj(env.call("DescribeUserPoolDomain", map[string]any{"Domain": "myapp-login"}), "DomainDescription"); len(d) != 0 {
		t.Fatalf("deleted domain described as %v", d)
	}
	p = mObj(env.call("DescribeUserPool", map[string]any{"UserPoolId": pool}), "UserPool")
	if p["Domain"] != nil || p["CustomDomain"] != "auth.example.com" {
		t.Fatalf("DescribeUserPool after delete: Domain %v, CustomDomain %v", p["Domain"], p["CustomDomain"])
	}
	env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": other, "Domain": "myapp-login"})

	// DeleteUserPool frees its domains.
	env.call("DeleteUserPool", map[string]any{"UserPoolId": pool})
	third := env.createPool(nil)
	env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": third, "Domain": "auth.example.com",
		"CustomDomainConfig": map[string]any{"CertificateArn": testCertArn}})
	if d := mObj(env.call("DescribeUserPoolDomain", map[string]any{"Domain": "auth.example.com"}), "DomainDescription"); d["UserPoolId"] != third {
		t.Fatalf("re-created domain: %v", d)
	}
	env.wantErr("CreateUserPoolDomain", map[string]any{"UserPoolId": "us-east-1_missing", "Domain": "nopool"},
		"ResourceNotFoundException", "User pool us-east-1_missing does not exist.")
}

func TestUserPoolDomainValidation(t *testing.T) {
	env := newTestEnv(t)
	pool := env.createPool(nil)
	pattern := `^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$`
	custom := map[string]any{"CertificateArn": testCertArn}
	for _, tc := range []struct {
		name   string
		domain string
		custom bool
		msg    string
	}{
		{"upper case", "MyApp", false, "1 validation error detected: Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"leading dash", "-app", false, "1 validation error detected: Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"trailing dash", "app-", false, "1 validation error detected: Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"underscore", "my_app", false, "1 validation error detected: Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"64 characters", strings.Repeat("a", 64), false, "2 validation errors detected: Value at 'domain' failed to satisfy constraint: Member must have length less than or equal to 63; " +
			"Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"dotted prefix", "a.example.com", false, "1 validation error detected: Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"reserved word", "mycognito", false, "Domain cannot contain reserved word: cognito"},
		{"reserved aws", "aws-login", false, "Domain cannot contain reserved word: aws"},
		{"custom without dot", "localhostonly", true, "The custom domain localhostonly must be a fully qualified domain name."},
		{"custom empty label", "auth..example.com", true, "1 validation error detected: Value at 'domain' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"UserPoolId": pool, "Domain": tc.domain}
			if tc.custom {
				body["CustomDomainConfig"] = custom
			}
			env.wantErr("CreateUserPoolDomain", body, "InvalidParameterException", tc.msg)
		})
	}
	env.wantErr("CreateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": "auth.example.com",
		"CustomDomainConfig": map[string]any{}}, "InvalidParameterException",
		"1 validation error detected: Value null at 'customDomainConfig.certificateArn' failed to satisfy constraint: Member must not be null")
	lite := env.createPool(map[string]any{"UserPoolTier": "LITE"})
	env.wantErr("CreateUserPoolDomain", map[string]any{"UserPoolId": lite, "Domain": "lite-pool", "ManagedLoginVersion": 2},
		"FeatureUnavailableInTierException", "")
	// A 63-character prefix is the longest.
	env.call("CreateUserPoolDomain", map[string]any{"UserPoolId": pool, "Domain": strings.Repeat("a", 62) + "1"})
}

// TestUserPoolDomainRace: twenty pools claim one name at once; exactly one owns it, and only
// the winner's pool names it.
func TestUserPoolDomainRace(t *testing.T) {
	env := newTestEnv(t)
	const n = 20
	pools := make([]string, n)
	for i := range pools {
		pools[i] = env.createPool(nil)
	}
	var wg sync.WaitGroup
	statuses := make([]int, n)
	types := make([]string, n)
	start := make(chan struct{})
	for i := range pools {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			status, out := env.dispatch("CreateUserPoolDomain", map[string]any{"UserPoolId": pools[i], "Domain": "contested"})
			statuses[i] = status
			types[i], _ = out["__type"].(string)
		}(i)
	}
	close(start)
	wg.Wait()
	winner := ""
	for i, st := range statuses {
		switch {
		case st == http.StatusOK && winner == "":
			winner = pools[i]
		case st == http.StatusOK:
			t.Fatalf("two pools own the domain: %s and %s", winner, pools[i])
		case types[i] != "InvalidParameterException":
			t.Fatalf("pool %s: status %d %s", pools[i], st, types[i])
		}
	}
	if winner == "" {
		t.Fatal("no pool got the domain")
	}
	d, err := env.svc.getDomain(context.Background(), "contested")
	if err != nil || d == nil || d.UserPoolId != winner {
		t.Fatalf("domain record %+v (%v), want owner %s", d, err, winner)
	}
	for _, id := range pools {
		p, err := env.svc.getPool(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if (p.Domain == "contested") != (id == winner) {
			t.Fatalf("pool %s names domain %q; winner is %s", id, p.Domain, winner)
		}
	}
}
