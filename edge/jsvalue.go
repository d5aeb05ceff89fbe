//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
	"time"
)

// jsError is a JavaScript exception or promise rejection seen from Go.
type jsError struct {
	Name, Message string
}

func (e *jsError) Error() string { return "edge: " + e.Name + ": " + e.Message }

// toError describes a thrown or rejected JS value.
func toError(v js.Value) error {
	if v.Type() == js.TypeObject {
		name, msg := v.Get("name"), v.Get("message")
		if name.Type() == js.TypeString || msg.Type() == js.TypeString {
			return &jsError{Name: stringOr(name, "Error"), Message: stringOr(msg, "")}
		}
	}
	return &jsError{Name: "Error", Message: safeString(v)}
}

func stringOr(v js.Value, def string) string {
	if v.Type() == js.TypeString {
		return v.String()
	}
	return def
}

// safeString renders any JS value without throwing.
func safeString(v js.Value) string {
	switch v.Type() {
	case js.TypeUndefined:
		return "undefined"
	case js.TypeNull:
		return "null"
	default:
		return js.Global().Get("String").Invoke(v).String()
	}
}

// call invokes method on v and turns a thrown exception into an error.
func call(v js.Value, method string, args ...any) (res js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			var je js.Error
			if e, ok := r.(error); ok && errors.As(e, &je) {
				err = toError(je.Value)
				return
			}
			err = fmt.Errorf("edge: calling %s: %v", method, r)
		}
	}()
	return v.Call(method, args...), nil
}

// await blocks the calling goroutine until p settles; other goroutines and the JS event loop
// run meanwhile. It must not be called from a js.Func callback itself (that would block the
// event loop); request handlers run on their own goroutines. A canceled ctx stops the wait;
// the promise still settles later and its callbacks then release themselves.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	if p.Type() != js.TypeObject || p.Get("then").Type() != js.TypeFunction {
		return p, nil // a plain value: nothing to wait for
	}
	ch := make(chan settled, 1)
	var onOK, onErr js.Func
	release := func() { onOK.Release(); onErr.Release() }
	onOK = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{arg0(args), true}
		release()
		return nil
	})
	onErr = js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- settled{arg0(args), false}
		release()
		return nil
	})
	if _, err := call(p, "then", onOK, onErr); err != nil {
		release()
		return js.Undefined(), err
	}
	select {
	case s := <-ch:
		if !s.ok {
			return js.Undefined(), toError(s.v)
		}
		return s.v, nil
	case <-ctx.Done():
		return js.Undefined(), ctx.Err()
	}
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// tokenKey is the context key of the request the glue gave Go: asynchronous calls made for
// the request run in its own JS context (see ioCall), and wait no later than its deadline.
type tokenKey struct{}

type requestInfo struct {
	token    int
	deadline time.Time // zero: none
}

// withToken returns ctx carrying the request's token and the deadline of its I/O. The
// deadline is enforced by ioCall alone, where a request waits: a context.WithTimeout per
// request costs a runtime timer set and stopped every time, which in js/wasm is a noticeable
// share of a request that makes no I/O at all.
func withToken(ctx context.Context, token int, deadline time.Time) context.Context {
	return context.WithValue(ctx, tokenKey{}, &requestInfo{token: token, deadline: deadline})
}

// asyncCalls routes Go's asynchronous JS calls through the bridge's submit: the call is made
// by the pump of the request in ctx (in that request's JS context), and its result comes back
// through one persistent complete function.
type asyncCalls struct {
	once     sync.Once
	bridge   js.Value
	complete js.Func
	mu       sync.Mutex
	next     int
	waiting  map[int]chan settled
}

type settled struct {
	v  js.Value
	ok bool
}

var calls asyncCalls

func (c *asyncCalls) init() {
	c.bridge = js.Global().Get(bridgeName)
	if c.bridge.Type() != js.TypeObject || c.bridge.Get("submit").Type() != js.TypeFunction {
		return // no bridge: ioCall calls and awaits directly
	}
	c.waiting = map[int]chan settled{}
	c.complete = js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 3 {
			return nil
		}
		id := args[0].Int()
		c.mu.Lock()
		ch := c.waiting[id]
		delete(c.waiting, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- settled{args[2], args[1].Bool()}
		}
		return nil
	})
	c.bridge.Call("setComplete", c.complete)
}

// ioCall calls target[method](args...) and waits for the promise it returns, the call being
// made in the JS context of the request whose token ctx carries (see edge/bridge.mjs).
// Without a token (outside a request) the call is made in the current context.
func ioCall(ctx context.Context, target js.Value, method string, args ...any) (js.Value, error) {
	if err := ctx.Err(); err != nil {
		return js.Undefined(), err
	}
	calls.once.Do(calls.init)
	if calls.waiting == nil {
		p, err := call(target, method, args...)
		if err != nil {
			return js.Undefined(), err
		}
		return await(ctx, p)
	}
	var token int
	var timeout <-chan time.Time
	if info, ok := ctx.Value(tokenKey{}).(*requestInfo); ok {
		token = info.token
		if !info.deadline.IsZero() {
			left := time.Until(info.deadline)
			if left <= 0 {
				return js.Undefined(), context.DeadlineExceeded
			}
			t := time.NewTimer(left)
			defer t.Stop()
			timeout = t.C
		}
	}
	ch := make(chan settled, 1)
	calls.mu.Lock()
	calls.next++
	id := calls.next
	calls.waiting[id] = ch
	calls.mu.Unlock()
	if _, err := call(calls.bridge, "submit", token, id, target, method, args); err != nil {
		calls.mu.Lock()
		delete(calls.waiting, id)
		calls.mu.Unlock()
		return js.Undefined(), err
	}
	select {
	case s := <-ch:
		if !s.ok {
			return js.Undefined(), toError(s.v)
		}
		return s.v, nil
	case <-ctx.Done():
		calls.mu.Lock()
		delete(calls.waiting, id)
		calls.mu.Unlock()
		return js.Undefined(), ctx.Err()
	case <-timeout:
		calls.mu.Lock()
		delete(calls.waiting, id)
		calls.mu.Unlock()
		return js.Undefined(), context.DeadlineExceeded
	}
}

var (
	jsUint8Array  = js.Global().Get("Uint8Array")
	jsArrayBuffer = js.Global().Get("ArrayBuffer")
	jsObject      = js.Global().Get("Object")
	jsArray       = js.Global().Get("Array")
)

// bytesToJS copies b into a new Uint8Array.
func bytesToJS(b []byte) js.Value {
	u := jsUint8Array.New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

// bytesFromJS copies a Uint8Array or ArrayBuffer into Go.
func bytesFromJS(v js.Value) ([]byte, error) {
	switch {
	case v.InstanceOf(jsUint8Array):
	case v.InstanceOf(jsArrayBuffer):
		v = jsUint8Array.New(v)
	default:
		return nil, fmt.Errorf("edge: want bytes, got %s", v.Type())
	}
	b := make([]byte, v.Get("byteLength").Int())
	js.CopyBytesToGo(b, v)
	return b, nil
}
