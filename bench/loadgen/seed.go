package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// seedCognitoLocal grows cognito-local's pool to target users by writing its data file:
// signing up N users through its API costs O(N²) (every write rewrites the whole JSON file and
// every sign-up scans every user), minutes for 10k and hours for 100k. It stops the server,
// clones a user cognito-local itself created by SignUp (new username, sub and code), writes the
// file as cognito-local does (indented JSON), starts the server again on the same data
// directory and checks that the last seeded user is there. It returns how many it added.
func seedCognitoLocal(ctx context.Context, r *runner, target int) (int, error) {
	add := target - int(r.created.Load())
	if add <= 0 {
		return 0, nil
	}
	template, err := r.signUp(ctx)
	if err != nil {
		return 0, fmt.Errorf("cognito-local: seeding: template user: %w", err)
	}
	add--
	r.sys.stop()

	// The pools of the earlier measurements go: cognito-local loads every pool file at start,
	// and concurrent requests can leave one it cannot parse (overlapping asynchronous rewrites
	// of the same file). This pool's file was last written by the template's SignUp alone.
	dbDir := filepath.Join(r.sys.dir, ".cognito", "db")
	others, err := filepath.Glob(filepath.Join(dbDir, "*.json"))
	if err != nil {
		return 0, err
	}
	for _, f := range others {
		if b := filepath.Base(f); b != "clients.json" && b != r.poolID+".json" {
			if err := os.Remove(f); err != nil {
				return 0, err
			}
		}
	}
	path := filepath.Join(dbDir, r.poolID+".json")
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("cognito-local: seeding: %w", err)
	}
	var db map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&db); err != nil {
		return 0, fmt.Errorf("cognito-local: seeding: %s: %w", path, err)
	}
	users, ok := db["Users"].(map[string]any)
	if !ok {
		return 0, fmt.Errorf("cognito-local: seeding: %s has no Users", path)
	}
	tmpl, ok := users[template].(map[string]any)
	if !ok {
		return 0, fmt.Errorf("cognito-local: seeding: user %s not in %s", template, path)
	}
	tb, err := json.Marshal(tmpl)
	if err != nil {
		return 0, err
	}
	last := ""
	for i := 0; i < add; i++ {
		var u map[string]any
		if err := json.Unmarshal(tb, &u); err != nil {
			return 0, err
		}
		last = r.newName()
		u["Username"] = last
		u["Attributes"] = []any{map[string]any{"Name": "sub", "Value": uuid4()}}
		u["ConfirmationCode"] = fmt.Sprintf("%06d", randUint32()%1000000)
		users[last] = u
	}
	out, err := json.MarshalIndent(db, "", "  ")
	if err != nil {
		return 0, err
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return 0, err
	}
	if _, err := r.sys.start(ctx); err != nil {
		return 0, err
	}
	r.tr.CloseIdleConnections() // they died with the server
	if _, err := r.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &r.poolID, Username: aws.String(last)}); err != nil {
		return 0, fmt.Errorf("cognito-local: seeded user %s not found after restart: %w", last, err)
	}
	r.created.Add(int64(add))
	return add, nil
}

func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func randUint32() uint32 {
	var b [4]byte
	rand.Read(b[:])
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
