package main

import (
	"bytes"
	"errors"
	"fmt"
)

// wasmNames reads the function names of a wasm module's "name" custom section (subsection
// 1), by function index (imports first, as V8 numbers them).
func wasmNames(b []byte) (map[int]string, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], []byte("\x00asm")) {
		return nil, errors.New("not a wasm module")
	}
	r := &reader{b: b[8:]}
	for len(r.b) > 0 {
		id := r.byte()
		sec := &reader{b: r.bytes(int(r.uleb()))}
		if r.err != nil {
			return nil, r.err
		}
		if id != 0 || sec.name() != "name" {
			continue
		}
		for len(sec.b) > 0 && sec.err == nil {
			sub := sec.byte()
			body := &reader{b: sec.bytes(int(sec.uleb()))}
			if sub != 1 {
				continue
			}
			names := map[int]string{}
			for n := body.uleb(); n > 0 && body.err == nil; n-- {
				idx := body.uleb()
				names[int(idx)] = body.name()
			}
			return names, body.err
		}
		return nil, sec.err
	}
	return nil, errors.New("the module has no name section (built with -ldflags=-s?)")
}

// reader reads a wasm module's encodings; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) byte() byte {
	if len(r.b) == 0 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *reader) uleb() uint64 {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v
		}
	}
	r.fail()
	return 0
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || n > len(r.b) {
		r.fail()
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *reader) name() string { return string(r.bytes(int(r.uleb()))) }

func (r *reader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("truncated wasm module")
	}
	r.b = nil
}
