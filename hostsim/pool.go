package hostsim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/poolgate/poolgate/internal/abi"
)

// instance is one instantiated guest. It serves one call at a time; the pool guarantees that.
type instance struct {
	mod                        api.Module
	mem                        api.Memory
	alloc, init, handle, apply api.Function
	stack                      [2]uint64 // reused by CallWithStack: the exports take at most 2 values
}

// newInstance instantiates the compiled guest (running _initialize) and calls poolgate_init.
func newInstance(ctx context.Context, rt wazero.Runtime, compiled wazero.CompiledModule, cfg wazero.ModuleConfig) (*instance, error) {
	mod, err := rt.InstantiateModule(ctx, compiled, cfg)
	if err != nil {
		return nil, fmt.Errorf("hostsim: instantiate guest: %w", err)
	}
	in := &instance{
		mod:    mod,
		mem:    mod.Memory(),
		alloc:  mod.ExportedFunction(abi.ExportAlloc),
		init:   mod.ExportedFunction(abi.ExportInit),
		handle: mod.ExportedFunction(abi.ExportHandle),
		apply:  mod.ExportedFunction(abi.ExportApply),
	}
	if in.mem == nil || in.alloc == nil || in.init == nil || in.handle == nil || in.apply == nil {
		in.close()
		return nil, errors.New("hostsim: the module lacks poolgate exports")
	}
	if err := in.init.CallWithStack(ctx, in.stack[:]); err != nil {
		in.close()
		return nil, fmt.Errorf("hostsim: %s: %w", abi.ExportInit, err)
	}
	res, err := in.result(in.stack[0])
	if err == nil && !res.OK {
		err = errors.New(res.Text)
	}
	if err != nil {
		in.close()
		return nil, fmt.Errorf("hostsim: %s: %w", abi.ExportInit, err)
	}
	return in, nil
}

// call writes payload into the guest's input buffer, calls fn(ptr, len) and returns a copy of
// the packed result. Any error leaves the instance unusable: the caller discards it.
func (in *instance) call(ctx context.Context, fn api.Function, payload []byte) ([]byte, error) {
	in.stack[0] = uint64(len(payload))
	if err := in.alloc.CallWithStack(ctx, in.stack[:]); err != nil {
		return nil, fmt.Errorf("hostsim: %s: %w", abi.ExportAlloc, err)
	}
	ptr := uint32(in.stack[0])
	if !in.mem.Write(ptr, payload) {
		return nil, fmt.Errorf("hostsim: %s returned %#x, outside memory for %d bytes", abi.ExportAlloc, ptr, len(payload))
	}
	in.stack[0], in.stack[1] = uint64(ptr), uint64(len(payload))
	if err := fn.CallWithStack(ctx, in.stack[:]); err != nil {
		return nil, fmt.Errorf("hostsim: %s: %w", fn.Definition().ExportNames()[0], err)
	}
	return in.copyOut(in.stack[0])
}

// copyOut copies a packed (ptr, len) result out of guest memory.
func (in *instance) copyOut(packed uint64) ([]byte, error) {
	ptr, n := abi.Unpack(packed)
	b, ok := in.mem.Read(ptr, n)
	if !ok {
		return nil, fmt.Errorf("hostsim: guest result (%#x, %d) is outside memory", ptr, n)
	}
	return append([]byte(nil), b...), nil
}

func (in *instance) result(packed uint64) (*abi.Result, error) {
	b, err := in.copyOut(packed)
	if err != nil {
		return nil, err
	}
	return abi.DecodeResult(b)
}

func (in *instance) close() { _ = in.mod.Close(context.Background()) }

// pool hands out instances, one request per instance at a time. It creates them lazily, up to
// the slot count; an instance whose call failed is closed and its slot frees up for a new one.
type pool struct {
	create  func(ctx context.Context) (*instance, error)
	strict  bool           // wazero stops a call when its context ends (StrictDeadline)
	slots   chan struct{}  // one token per busy instance
	idle    chan *instance // instances ready for a request
	created atomic.Int64   // instances instantiated so far (for tests and stats)
	// maxMemory: an instance whose linear memory grew past it is closed when its request
	// ends (0: never; Options.InstanceMemoryLimit). recycled counts them.
	maxMemory uint32
	recycled  atomic.Int64
	// running counts abandoned instances still executing past their deadline; abandoned
	// waits for them.
	running   atomic.Int64
	abandoned sync.WaitGroup
}

func newPool(size int, strict bool, maxMemory uint32, create func(ctx context.Context) (*instance, error)) *pool {
	return &pool{create: create, strict: strict, maxMemory: maxMemory, slots: make(chan struct{}, size), idle: make(chan *instance, size)}
}

// acquire returns an idle instance or a new one, waiting for a slot until ctx is done.
func (p *pool) acquire(ctx context.Context) (*instance, error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("hostsim: no free instance: %w", ctx.Err())
	}
	select {
	case in := <-p.idle:
		return in, nil
	default:
	}
	in, err := p.create(ctx)
	if err != nil {
		<-p.slots
		return nil, err
	}
	p.created.Add(1)
	return in, nil
}

// release returns in to the pool, or closes it when healthy is false or its memory grew past
// maxMemory: Go's runtime never hands wasm memory back, so a new instance is how the pages one
// large request touched go back to the OS.
func (p *pool) release(in *instance, healthy bool) {
	if healthy && p.maxMemory > 0 && in.mem.Size() > p.maxMemory {
		healthy = false
		p.recycled.Add(1)
	}
	if healthy {
		p.idle <- in // never blocks: at most len(slots) instances exist
	} else {
		in.close()
	}
	<-p.slots
}

// errAnswered is do's error when the guest overran its deadline and overrun answered for it.
var errAnswered = errors.New("hostsim: the guest overran its deadline; the host answered for it")

// do runs f on an instance; an error from f discards the instance. When ctx ends before f
// returns, in strict mode wazero stops the guest (f fails); otherwise the instance is
// abandoned: its slot goes to a new instance, and it is closed when f returns.
//
// With overrun nil, f runs on a goroutine of its own and do returns at ctx's end, with an
// error. With overrun set, f runs on the caller's goroutine, which saves the hand-off to
// another thread (about half of a trivial request's CPU, BenchmarkRequest); if ctx
// ends first, overrun runs at once on a goroutine of its own and gives the caller's answer
// (the caller's goroutine is inside the guest), and do, when f has returned and overrun too,
// returns errAnswered. overrun must not wait for f.
func (p *pool) do(ctx context.Context, f func(in *instance) error, overrun func()) error {
	in, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	if p.strict {
		err = f(in)
		p.release(in, err == nil)
		return err
	}
	if overrun != nil {
		return p.runHere(ctx, in, f, overrun)
	}
	done := make(chan error, 1)
	go func() { done <- f(in) }()
	select {
	case err := <-done:
		p.release(in, err == nil)
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done: // finished just in time
		p.release(in, err == nil)
		return err
	default:
	}
	p.abandon()
	go func() {
		<-done
		p.closeAbandoned(in)
	}()
	return fmt.Errorf("hostsim: the guest overran its deadline and was abandoned: %w", ctx.Err())
}

// runHere is do's path with an overrun answer: f on the calling goroutine, watched by ctx.
func (p *pool) runHere(ctx context.Context, in *instance, f func(in *instance) error, overrun func()) error {
	const running, finished, overran = 0, 1, 2
	var state atomic.Int32
	answered := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(answered)
		if state.CompareAndSwap(running, overran) {
			p.abandon()
			overrun()
		}
	})
	err := f(in)
	if state.CompareAndSwap(running, finished) {
		stop()
		p.release(in, err == nil)
		return err
	}
	<-answered // the caller's answer is written: it may return now
	p.closeAbandoned(in)
	return errAnswered
}

// abandon gives the slot of an instance still running past its deadline to a new instance.
func (p *pool) abandon() {
	p.running.Add(1)
	p.abandoned.Add(1)
	<-p.slots
}

// closeAbandoned closes an abandoned instance once its call has returned.
func (p *pool) closeAbandoned(in *instance) {
	in.close()
	p.running.Add(-1)
	p.abandoned.Done()
}
