package federation

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/poolgate/poolgate/internal/federation/samlengine"
	"github.com/poolgate/poolgate/internal/federation/samlxml"
	"github.com/poolgate/poolgate/internal/userpool"
)

// The SAML tests use crewjam/saml's IdentityProvider, a library implementation of the IdP
// side, signing with its own key pair; poolgate's SP reads the IdP's metadata as an
// administrator would configure it (MetadataFile, or MetadataURL served by the IdP).

const acsURL = "https://login.example.test/saml2/idpresponse"

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testSAML is the engine the tests' Federations use; TestSAMLRemote runs them again with the
// Worker's engine (samlremote) in its place.
var testSAML samlengine.Engine = samlxml.Engine{}

// testIdP is a crewjam IdentityProvider with one signed-in user.
type testIdP struct {
	idp      *saml.IdentityProvider
	metadata []byte
	session  *saml.Session
	clock    *clock
}

// setClock sets the IdP's clock to the test clock's time (crewjam's clocks are fixed or real).
func (ti *testIdP) setClock() { ti.idp.Clock = dsig.NewFakeClockAt(ti.clock.Now()) }

// newKeyPair makes an IdP key pair: a new key, or with fixed the one in testdata (every fuzz
// worker sets its IdP up, so that setup stays quick).
func newKeyPair(t testing.TB, now time.Time, fixed bool) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	var key *rsa.PrivateKey
	var err error
	if fixed {
		b, _ := os.ReadFile(filepath.Join("testdata", "idp_key.pem"))
		block, _ := pem.Decode(b)
		if block == nil {
			t.Fatal("testdata/idp_key.pem is not PEM")
		}
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.example.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

// newIdP makes an IdP that knows the SP by the metadata federation publishes for poolID.
func newIdP(t testing.TB, f *Federation, poolID string, c *clock) *testIdP {
	t.Helper()
	_, isFuzz := t.(*testing.F)
	key, cert := newKeyPair(t, c.Now(), isFuzz)
	spXML, err := f.SPMetadata(poolID, acsURL)
	if err != nil {
		t.Fatal(err)
	}
	var spMD saml.EntityDescriptor
	if err := xml.Unmarshal(spXML, &spMD); err != nil {
		t.Fatalf("SP metadata: %v\n%s", err, spXML)
	}
	if spMD.EntityID != "urn:amazon:cognito:sp:"+poolID {
		t.Fatalf("SP entity ID %s", spMD.EntityID)
	}
	ti := &testIdP{session: &saml.Session{ID: "s1", NameID: "alice@corp.example", UserName: "alice",
		UserEmail: "alice@corp.example", CreateTime: c.Now(), ExpireTime: c.Now().Add(time.Hour),
		CustomAttributes: []saml.Attribute{{Name: "department", Values: []saml.AttributeValue{{Type: "xs:string", Value: "R&D"}}}}}}
	md, _ := url.Parse("https://idp.example.test/metadata")
	sso, _ := url.Parse("https://idp.example.test/sso")
	ti.idp = &saml.IdentityProvider{Key: key, Certificate: cert, MetadataURL: *md, SSOURL: *sso,
		ServiceProviderProvider: spProvider{&spMD}, SessionProvider: ti}
	ti.clock = c
	ti.setClock()
	ti.metadata, err = xml.Marshal(ti.idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	return ti
}

func (ti *testIdP) GetSession(http.ResponseWriter, *http.Request, *saml.IdpAuthnRequest) *saml.Session {
	return ti.session
}

type spProvider struct{ md *saml.EntityDescriptor }

func (p spProvider) GetServiceProvider(_ *http.Request, id string) (*saml.EntityDescriptor, error) {
	if id != p.md.EntityID {
		return nil, fmt.Errorf("unknown SP %s", id)
	}
	return p.md, nil
}

var samlResponseField = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)

// sso sends the browser to the IdP with Begin's redirect and returns the SAMLResponse the
// IdP's auto-posting form carries.
func (ti *testIdP) sso(t testing.TB, redirect string) string {
	t.Helper()
	ti.setClock()
	w := httptest.NewRecorder()
	ti.idp.ServeSSO(w, httptest.NewRequest(http.MethodGet, redirect, nil))
	m := samlResponseField.FindSubmatch(w.Body.Bytes())
	if m == nil {
		t.Fatalf("IdP answered %d: %.800s", w.Code, w.Body.Bytes())
	}
	return html.UnescapeString(string(m[1]))
}

// assertionSignedOnly has the IdP answer with an unsigned Response around its signed
// Assertion; with extra, extra(signed assertion) adds elements to the Response after it is
// built (a signature wrapping attempt).
func (ti *testIdP) assertionSignedOnly(t testing.TB, redirect string, extra func(resp, signed *etree.Element)) string {
	t.Helper()
	ti.setClock()
	req, err := saml.NewIdpAuthnRequest(ti.idp, httptest.NewRequest(http.MethodGet, redirect, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, ti.session); err != nil {
		t.Fatal(err)
	}
	if err := req.MakeAssertionEl(); err != nil {
		t.Fatal(err)
	}
	resp := &saml.Response{Destination: req.ACSEndpoint.Location, ID: "id-assertion-signed", InResponseTo: req.Request.ID,
		IssueInstant: req.Now, Version: "2.0", Issuer: &saml.Issuer{Value: ti.idp.MetadataURL.String()},
		Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}}}
	el := resp.Element()
	if extra != nil {
		extra(el, req.AssertionEl)
	}
	el.AddChild(req.AssertionEl)
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// response has the IdP answer Begin's redirect, letting edit change the assertion before
// the IdP signs it (sign=false: no signature at all).
func (ti *testIdP) response(t testing.TB, redirect string, edit func(*saml.Assertion), sign bool) string {
	t.Helper()
	ti.setClock()
	req, err := saml.NewIdpAuthnRequest(ti.idp, httptest.NewRequest(http.MethodGet, redirect, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := req.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, ti.session); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(req.Assertion)
	}
	var el *etree.Element
	if sign {
		if err := req.MakeResponse(); err != nil {
			t.Fatal(err)
		}
		el = req.ResponseEl
	} else {
		resp := &saml.Response{Destination: req.ACSEndpoint.Location, ID: "id-unsigned", InResponseTo: req.Request.ID,
			IssueInstant: req.Now, Version: "2.0", Issuer: &saml.Issuer{Value: ti.idp.MetadataURL.String()},
			Status: saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}}}
		el = resp.Element()
		el.AddChild(req.Assertion.Element())
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func samlProvider(details map[string]string) *userpool.IdentityProvider {
	return &userpool.IdentityProvider{ProviderName: "Corp", ProviderType: "SAML", ProviderDetails: details,
		AttributeMapping: map[string]string{"email": "urn:oid:0.9.2342.19200300.100.1.3", "custom:dept": "department"}}
}

func newSAMLEnv(t *testing.T) (*env, *clock, *testIdP, *userpool.IdentityProvider) {
	c := &clock{t: time.Now().Truncate(time.Second)}
	e := newEnv(t, c.Now)
	ti := newIdP(t, e.fed, e.pool.Id, c)
	return e, c, ti, samlProvider(map[string]string{"MetadataFile": string(ti.metadata)})
}

func TestSAMLRoundTrip(t *testing.T) {
	e, _, ti, ip := newSAMLEnv(t)
	ctx := context.Background()
	redirect, p, err := e.fed.Begin(ctx, e.pool.Id, ip, acsURL, "relay-state")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(redirect)
	if u.Host != "idp.example.test" || u.Query().Get("SAMLRequest") == "" || u.Query().Get("RelayState") != "relay-state" || p.RequestID == "" {
		t.Fatalf("redirect %s, pending %+v", redirect, p)
	}
	id, err := e.fed.FinishSAML(ctx, e.pool.Id, ip, acsURL, ti.sso(t, redirect), p)
	if err != nil {
		t.Fatal(err)
	}
	if id.UserID != "alice@corp.example" || id.Issuer != "https://idp.example.test/metadata" || id.ProviderType != "SAML" ||
		id.Attributes["email"] != "alice@corp.example" {
		t.Fatalf("identity %+v", id)
	}
	attrs := e.signIn(id)
	if attrs["email"] != "alice@corp.example" {
		t.Fatalf("user attributes %v", attrs)
	}
	if attrs["custom:dept"] != "R&D" {
		t.Fatalf("custom:dept %v", attrs)
	}
}

func TestSAMLMetadataURL(t *testing.T) {
	e, _, ti, _ := newSAMLEnv(t)
	var fetches int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches++
		w.Write(ti.metadata)
	}))
	defer srv.Close()
	ip := samlProvider(map[string]string{"MetadataURL": srv.URL + "/metadata"})
	ctx := context.Background()
	for range 2 {
		redirect, p, err := e.fed.Begin(ctx, e.pool.Id, ip, acsURL, "rs")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.fed.FinishSAML(ctx, e.pool.Id, ip, acsURL, ti.sso(t, redirect), p); err != nil {
			t.Fatal(err)
		}
	}
	if fetches != 1 {
		t.Fatalf("metadata fetched %d times, want 1 (cached)", fetches)
	}
}

func TestSAMLForgeries(t *testing.T) {
	e, c, ti, ip := newSAMLEnv(t)
	ctx := context.Background()
	begin := func() (string, Pending) {
		redirect, p, err := e.fed.Begin(ctx, e.pool.Id, ip, acsURL, "rs")
		if err != nil {
			t.Fatal(err)
		}
		return redirect, p
	}
	refuse := func(what string, resp string, p Pending) {
		t.Helper()
		_, err := e.fed.FinishSAML(ctx, e.pool.Id, ip, acsURL, resp, p)
		if !errors.Is(err, ErrProvider) {
			t.Errorf("%s: %v, want ErrProvider", what, err)
			return
		}
		t.Logf("%s: %v", what, err)
	}

	redirect, p := begin()
	refuse("unsigned response and assertion", ti.response(t, redirect, nil, false), p)

	redirect, p = begin()
	good := ti.response(t, redirect, nil, true)
	raw, _ := base64.StdEncoding.DecodeString(good)
	altered := bytes.Replace(raw, []byte("alice@corp.example"), []byte("mallory@corp.example"), -1)
	refuse("altered assertion", base64.StdEncoding.EncodeToString(altered), p)

	redirect, p = begin()
	refuse("wrong audience", ti.response(t, redirect, func(a *saml.Assertion) {
		a.Conditions.AudienceRestrictions[0].Audience.Value = "urn:amazon:cognito:sp:us-east-1_other"
	}, true), p)

	redirect, p = begin()
	refuse("wrong recipient", ti.response(t, redirect, func(a *saml.Assertion) {
		a.Subject.SubjectConfirmations[0].SubjectConfirmationData.Recipient = "https://evil.example/saml2/idpresponse"
	}, true), p)

	redirect, p = begin()
	stale := ti.response(t, redirect, nil, true)
	c.Advance(2 * time.Hour)
	refuse("expired", stale, p)
	c.Advance(-2 * time.Hour)

	redirect, p = begin()
	refuse("assertion NotOnOrAfter passed", ti.response(t, redirect, func(a *saml.Assertion) {
		a.Conditions.NotOnOrAfter = c.Now().Add(-10 * time.Minute) // beyond crewjam's 180 s skew
	}, true), p)

	redirect, p = begin()
	refuse("bearer confirmation NotOnOrAfter passed", ti.response(t, redirect, func(a *saml.Assertion) {
		a.Subject.SubjectConfirmations[0].SubjectConfirmationData.NotOnOrAfter = c.Now().Add(-10 * time.Minute) // beyond crewjam's 180 s skew
	}, true), p)

	redirect, p = begin()
	other := p
	other.RequestID = "id-some-other-request"
	refuse("wrong InResponseTo", ti.response(t, redirect, nil, true), other)
	refuse("no pending request (IdP-initiated)", ti.response(t, redirect, nil, true), Pending{})

	// Only the assertion signed: accepted. An unsigned assertion for another subject wrapped
	// in beside it: refused.
	redirect, p = begin()
	if id, err := e.fed.FinishSAML(ctx, e.pool.Id, ip, acsURL, ti.assertionSignedOnly(t, redirect, nil), p); err != nil || id.UserID != "alice@corp.example" {
		t.Fatalf("assertion-signed response: %+v %v", id, err)
	}
	redirect, p = begin()
	refuse("signature wrapping: unsigned assertion beside the signed one", ti.assertionSignedOnly(t, redirect, func(resp, signed *etree.Element) {
		evil := signed.Copy()
		for _, sig := range evil.FindElements("./Signature") {
			evil.RemoveChild(sig)
		}
		for _, n := range evil.FindElements(".//NameID") {
			n.SetText("mallory@corp.example")
		}
		evil.CreateAttr("ID", "id-evil")
		resp.AddChild(evil)
	}), p)

	// Signed by a key the metadata does not name.
	impostor := newIdP(t, e.fed, e.pool.Id, c)
	redirect, p = begin()
	refuse("signed by another IdP key", impostor.response(t, redirect, nil, true), p)

	// Another ACS URL than the one the response is for.
	redirect, p = begin()
	resp := ti.response(t, redirect, nil, true)
	if _, err := e.fed.FinishSAML(ctx, e.pool.Id, ip, "https://other.example.test/saml2/idpresponse", resp, p); !errors.Is(err, ErrProvider) {
		t.Errorf("other ACS URL: %v", err)
	}

	// Replay: the first use succeeds, every later one (on any instance sharing the store) fails.
	redirect, p = begin()
	resp = ti.response(t, redirect, nil, true)
	if _, err := e.fed.FinishSAML(ctx, e.pool.Id, ip, acsURL, resp, p); err != nil {
		t.Fatalf("first use: %v", err)
	}
	refuse("replayed", resp, p)
	second := New(Config{Transport: http.DefaultTransport, Store: e.store, SAML: e.fed.cfg.SAML, Crypto: e.fed.cfg.Crypto, Now: c.Now, Rand: rand.Reader})
	if _, err := second.FinishSAML(ctx, e.pool.Id, ip, acsURL, resp, p); !errors.Is(err, ErrProvider) {
		t.Errorf("replayed on another instance: %v", err)
	}

	for name, junk := range map[string]string{"not base64": "%%%", "empty": "", "not XML": base64.StdEncoding.EncodeToString([]byte("hello")),
		"huge": string(bytes.Repeat([]byte("A"), maxSAMLResponse+4))} {
		refuse(name, junk, p)
	}
}

func TestSAMLRaceReplay(t *testing.T) {
	e, _, ti, ip := newSAMLEnv(t)
	ctx := context.Background()
	redirect, p, err := e.fed.Begin(ctx, e.pool.Id, ip, acsURL, "rs")
	if err != nil {
		t.Fatal(err)
	}
	resp := ti.sso(t, redirect)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.fed.FinishSAML(ctx, e.pool.Id, ip, acsURL, resp, p); err == nil {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if accepted != 1 {
		t.Fatalf("one response posted 20 times at once was accepted %d times", accepted)
	}
}

func TestSAMLMetadataRefusals(t *testing.T) {
	e := newEnv(t, nil)
	for name, md := range map[string]string{
		"not XML":    "garbage",
		"SP only":    `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`,
		"other root": `<foo/>`,
		"two IdPs": `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
			`<EntityDescriptor entityID="a"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>` +
			`<EntityDescriptor entityID="b"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor></EntitiesDescriptor>`,
	} {
		ip := samlProvider(map[string]string{"MetadataFile": md})
		if _, _, err := e.fed.Begin(context.Background(), e.pool.Id, ip, acsURL, "rs"); !errors.Is(err, ErrProvider) || !strings.Contains(err.Error(), "SAML metadata") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestSAMLSPMetadata: the SP metadata names the pool's entity ID and ACS URL (HTTP-POST), wants
// signed assertions, and is valid for crewjam's two days from the injected clock's now.
func TestSAMLSPMetadata(t *testing.T) {
	c := &clock{t: time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)}
	e := newEnv(t, c.Now)
	md, err := e.fed.SPMetadata(e.pool.Id, acsURL)
	if err != nil {
		t.Fatal(err)
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		t.Fatalf("%v\n%s", err, md)
	}
	if ed.EntityID != SPEntityID(e.pool.Id) || !ed.ValidUntil.Equal(c.Now().Add(saml.DefaultValidDuration)) || len(ed.SPSSODescriptors) != 1 {
		t.Fatalf("metadata %s", md)
	}
	sp := ed.SPSSODescriptors[0]
	if acs := sp.AssertionConsumerServices; len(acs) != 1 || acs[0].Location != acsURL || acs[0].Binding != saml.HTTPPostBinding ||
		sp.WantAssertionsSigned == nil || !*sp.WantAssertionsSigned {
		t.Fatalf("SP descriptor %s", md)
	}
}
