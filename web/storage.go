//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"syscall/js"
)

// webStorage adapts a Web Storage object (sessionStorage, localStorage, or any object with
// getItem/setItem/removeItem) to sdk.Storage.
type webStorage struct{ v js.Value }

func (s webStorage) Get(key string) (string, bool) {
	v := s.v.Call("getItem", key)
	if v.Type() != js.TypeString {
		return "", false
	}
	return v.String(), true
}

// Set reports the exception setItem throws (QuotaExceededError, storage disabled).
func (s webStorage) Set(key, value string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var jsErr js.Error
			if e, ok := r.(error); ok && errors.As(e, &jsErr) {
				err = fmt.Errorf("storage: %s", jsErr.Value.Get("message").String())
				return
			}
			err = fmt.Errorf("storage: %v", r)
		}
	}()
	s.v.Call("setItem", key, value)
	return nil
}

func (s webStorage) Remove(key string) { s.v.Call("removeItem", key) }
