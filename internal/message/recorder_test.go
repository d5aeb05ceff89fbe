package message

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestRecorder(t *testing.T) {
	var r Recorder
	ctx := context.Background()
	if _, ok := r.Last("bob", ""); ok {
		t.Fatal("Last on an empty recorder found something")
	}
	send := func(user, kind, code string) {
		t.Helper()
		if err := r.Send(ctx, Message{Username: user, Kind: kind, Code: code}); err != nil {
			t.Fatal(err)
		}
	}
	send("bob", KindSignUp, "111111")
	send("alice", KindSignUp, "222222")
	send("bob", KindForgotPassword, "333333")
	send("bob", KindSignUp, "444444")

	if m, ok := r.Last("bob", KindSignUp); !ok || m.Code != "444444" {
		t.Errorf("Last(bob, SignUp) = %+v, %v", m, ok)
	}
	if m, ok := r.Last("bob", KindForgotPassword); !ok || m.Code != "333333" {
		t.Errorf("Last(bob, ForgotPassword) = %+v, %v", m, ok)
	}
	if m, ok := r.Last("bob", ""); !ok || m.Code != "444444" {
		t.Errorf("Last(bob, any) = %+v, %v", m, ok)
	}
	if _, ok := r.Last("alice", KindForgotPassword); ok {
		t.Error("Last(alice, ForgotPassword) found a message")
	}
	all := r.Messages()
	if len(all) != 4 || all[0].Code != "111111" || all[3].Code != "444444" {
		t.Fatalf("Messages = %+v", all)
	}
	all[0].Code = "changed"
	if r.Messages()[0].Code != "111111" {
		t.Error("Messages returned the recorder's own slice")
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.Send(canceled, Message{Username: "x"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with canceled context: %v", err)
	}
	if len(r.Messages()) != 4 {
		t.Error("a canceled Send was recorded")
	}
}

func TestRecorderConcurrent(t *testing.T) {
	var r Recorder
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				user := fmt.Sprintf("u%d", g)
				if err := r.Send(context.Background(), Message{Username: user, Code: fmt.Sprint(i)}); err != nil {
					t.Error(err)
				}
				r.Last(user, "")
				r.Messages()
			}
		}()
	}
	wg.Wait()
	if n := len(r.Messages()); n != 400 {
		t.Fatalf("%d messages, want 400", n)
	}
	for g := range 8 {
		if m, ok := r.Last(fmt.Sprintf("u%d", g), ""); !ok || m.Code != "49" {
			t.Errorf("Last(u%d) = %+v, %v", g, m, ok)
		}
	}
}
