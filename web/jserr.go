//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"syscall/js"

	"github.com/poolgate/poolgate/web/internal/sdk"
)

// jsError turns an error into the object a promise rejects with: a JS Error whose name and
// code are Cognito's error type (or the SDK's own code) and whose message is the server's.
func jsError(err error) js.Value {
	code, msg, status := "InternalError", err.Error(), 0
	var e *sdk.Error
	switch {
	case errors.As(err, &e):
		code, msg, status = e.Code, e.Message, e.Status
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		code = "AbortError"
	}
	v := js.Global().Get("Error").New(msg)
	v.Set("name", code)
	v.Set("code", code)
	if status != 0 {
		v.Set("status", status)
	}
	return v
}

// promise runs work on a goroutine (it may block on fetch) and settles a new Promise with
// its result. A panic becomes a rejection, never a dead page.
func promise(work func() (any, error)) js.Value {
	var executor js.Func
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := args[0], args[1]
		go func() {
			defer executor.Release()
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(jsError(fmt.Errorf("sdk: internal error: %v", r)))
				}
			}()
			v, err := work()
			if err != nil {
				reject.Invoke(jsError(err))
				return
			}
			resolve.Invoke(js.ValueOf(v))
		}()
		return nil
	})
	return js.Global().Get("Promise").New(executor)
}

// await waits for a JS promise on the calling goroutine.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	ch := make(chan result, 1)
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ch <- result{v: arg0(args)}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		reason := arg0(args)
		msg := "promise rejected"
		if reason.Type() == js.TypeObject && reason.Get("message").Type() == js.TypeString {
			msg = reason.Get("message").String()
		} else if reason.Type() == js.TypeString {
			msg = reason.String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	p.Call("then", onOK, onErr)
	select {
	case r := <-ch:
		return r.v, r.err
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

// str reads a string member of a JS object ("" when absent or not a string).
func str(obj js.Value, name string) string {
	if obj.Type() != js.TypeObject {
		return ""
	}
	v := obj.Get(name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// stringMap reads a JS object of string values (others are skipped).
func stringMap(obj js.Value) map[string]string {
	m := map[string]string{}
	if obj.Type() != js.TypeObject {
		return m
	}
	keys := js.Global().Get("Object").Call("keys", obj)
	for i := range keys.Length() {
		k := keys.Index(i).String()
		if v := obj.Get(k); v.Type() == js.TypeString {
			m[k] = v.String()
		}
	}
	return m
}
