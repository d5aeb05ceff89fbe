package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/poolgate/poolgate/internal/store"
)

// A SignUp writes a user record and its two index keys. Before atomic commits that was three
// Puts (three transactions, three fsyncs); now it is one Commit creating the three keys.
// go test -run '^$' -bench . ./internal/native/boltstore/
var signUpValue = bytes.Repeat([]byte("u"), 600) // about a user record's JSON

func signUpKeys(i int) [3]string {
	return [3]string{
		fmt.Sprintf("uu/pool1/sub-%08d", i),
		fmt.Sprintf("ux/pool1/user-%08d", i),
		fmt.Sprintf("ux/pool1/sub:sub-%08d", i),
	}
}

func BenchmarkPut(b *testing.B) {
	s, _ := openTemp(b, nil)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if err := s.Put(ctx, signUpKeys(i)[0], signUpValue, store.PutOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSignUpThreePuts(b *testing.B) {
	s, _ := openTemp(b, nil)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		for _, k := range signUpKeys(i) {
			if err := s.Put(ctx, k, signUpValue, store.PutOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		i++
	}
}

func BenchmarkSignUpCommit(b *testing.B) {
	s, _ := openTemp(b, nil)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		k := signUpKeys(i)
		err := s.Commit(ctx, []store.Op{
			store.Create(k[0], signUpValue, 0),
			store.Create(k[1], []byte(k[0]), 0),
			store.Create(k[2], []byte(k[0]), 0),
		})
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCASUpdate is a read-modify-write of one record: GetEntry, then PutIf.
func BenchmarkCASUpdate(b *testing.B) {
	s, _ := openTemp(b, nil)
	ctx := context.Background()
	if err := s.Put(ctx, "uu/pool1/sub", signUpValue, store.PutOptions{}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		e, err := s.GetEntry(ctx, "uu/pool1/sub")
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Commit(ctx, []store.Op{store.PutIf("uu/pool1/sub", e.Version, e.Value, 0)}); err != nil {
			b.Fatal(err)
		}
	}
}
