package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/poolgate/poolgate/internal/native/edgelocal"
)

// kind is how a system is started: one of the servers loadgen knows, or an endpoint someone
// else runs (kindURL).
type kind string

const (
	kindHostsim      kind = "hostsim"       // build/poolgate: the wasm module under wazero (`make run`'s server)
	kindNative       kind = "native"        // the same service compiled natively (loadgen re-executed)
	kindCognitoLocal kind = "cognito-local" // npm cognito-local
	kindMoto         kind = "moto"          // moto_server
	kindWorkerd      kind = "workerd"       // poolgate's Worker under wrangler dev (internal/native/edgelocal)
	kindURL          kind = "url"           // a server started elsewhere (e.g. poolgate on workerd)
)

// tools are the programs and files the servers are started from.
type tools struct {
	poolgate     string // the hostsim CLI (build/poolgate)
	module       string // the wasm module (build/poolgate.wasm)
	compiled     string // the module's machine code as `make build` compiled it (build/cache); empty: each data directory's own
	node         string
	cognitoLocal string // the cognito-local package directory
	moto         string // moto_server
	python       string // the Python moto is installed in (for its version)
	self         string // this program, re-executed for the native server
	root         string // the repository root: node_modules (workerd)
	workerConfig string // the wrangler.toml of the run's snapshot of the Worker (snapshotWorker)
}

// system is one server under test.
type system struct {
	name     string
	kind     kind
	poolgate bool // poolgate itself (the numerator of every ratio) rather than a peer
	srp      bool // verifies the SRP round trip, so SRP is measured on it
	url      string

	tools  tools
	dir    string // data directory, kept across restarts
	port   int
	master []byte
	config string // poolgate's declarative configuration file, applied at start ("" for none)

	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string

	worker *edgelocal.Worker // kindWorkerd: the running wrangler dev
	wlog   *lockedFile       // kindWorkerd: wrangler's output

	// down, when set, is why the system is out of the rest of the run (failure.go).
	down string

	// peakRSSKiB is the largest VmHWM seen over every process this system ran (for workerd,
	// the sum over its workerd processes).
	peakRSSKiB int64
}

// processBacked reports whether loadgen runs the server, so its RSS and CPU can be read.
func (s *system) processBacked() bool { return s.kind != kindURL }

// start launches the server in its data directory and waits until it answers HTTP.
// It returns the time from exec to the first HTTP response.
func (s *system) start(ctx context.Context) (time.Duration, error) {
	if s.kind == kindURL {
		return 0, nil
	}
	if s.port == 0 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		s.port = p
		s.url = fmt.Sprintf("http://127.0.0.1:%d", p)
	}
	if s.kind == kindWorkerd {
		return s.startWorker(ctx)
	}
	cmd, err := s.command()
	if err != nil {
		return 0, err
	}
	s.logPath = filepath.Join(s.dir, "server.log")
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group, so stop reaches the children a server may start; and SIGTERM if
	// loadgen dies first (killed, or a closed stdout), so no server outlives the run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return 0, fmt.Errorf("loadgen: starting %s: %w", s.name, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(s.exited) }()

	probe := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := probe.Get(s.url + "/")
		if err == nil {
			resp.Body.Close()
			return time.Since(t0), nil
		}
		select {
		case <-s.exited:
			return 0, fmt.Errorf("loadgen: %s exited before serving; its log:\n%s", s.name, tail(s.logPath, 2000))
		case <-ctx.Done():
			s.stop()
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return 0, fmt.Errorf("loadgen: %s did not answer within 90 s; its log:\n%s", s.name, tail(s.logPath, 2000))
		}
	}
}

// command is the exec.Cmd that starts the server, by kind.
func (s *system) command() (*exec.Cmd, error) {
	addr := fmt.Sprintf("127.0.0.1:%d", s.port)
	env := append(os.Environ(),
		"POOLGATE_ADMIN_ACCESS_KEY_ID="+adminKey,
		"POOLGATE_ADMIN_SECRET_ACCESS_KEY="+adminSecret,
		"POOLGATE_MASTER_KEY="+base64.StdEncoding.EncodeToString(s.master))
	switch s.kind {
	case kindHostsim:
		// No HTTPS listener: its default port is fixed, and the harness speaks HTTP.
		args := []string{"-addr", addr, "-https-addr", "off", "-data", s.dir, "-module", s.tools.module}
		if s.config != "" {
			args = append(args, "-config", s.config)
		}
		if s.tools.compiled != "" {
			// As `make run` starts it: on the machine code `make build` compiled.
			args = append(args, "-cache", s.tools.compiled)
		}
		cmd := exec.Command(s.tools.poolgate, args...)
		cmd.Env = env
		return cmd, nil
	case kindNative:
		cmd := exec.Command(s.tools.self)
		cmd.Env = append(env, serveEnv+"=native", serveAddrEnv+"="+addr, serveDataEnv+"="+s.dir, serveConfigEnv+"="+s.config)
		return cmd, nil
	case kindCognitoLocal:
		// cognito-local keeps its data in ./.cognito; UsernameAttributes [] makes new pools take
		// plain usernames, as Cognito's CreateUserPool does (cognito-local defaults to email).
		cfgDir := filepath.Join(s.dir, ".cognito")
		if err := os.MkdirAll(cfgDir, 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(cfgDir, "config.json"), []byte(`{"UserPoolDefaults":{"UsernameAttributes":[]}}`), 0o644); err != nil {
			return nil, err
		}
		cmd := exec.Command(s.tools.node, filepath.Join(s.tools.cognitoLocal, "lib", "bin", "start.js"))
		cmd.Dir = s.dir
		cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(s.port), "HOST=127.0.0.1")
		return cmd, nil
	case kindMoto:
		cmd := exec.Command(s.tools.moto, "-H", "127.0.0.1", "-p", strconv.Itoa(s.port))
		cmd.Dir = s.dir
		return cmd, nil
	}
	return nil, fmt.Errorf("loadgen: no command for %s", s.kind)
}

// diagnose says, for an error message, whether the server still runs, and the end of its log.
func (s *system) diagnose() string {
	if s.worker != nil {
		return fmt.Sprintf("\n%s: the end of wrangler's output:\n%s", s.name, tail(s.logPath, 1500))
	}
	if !s.processBacked() || s.cmd == nil {
		return ""
	}
	state := "still running"
	select {
	case <-s.exited:
		state = "exited: " + s.cmd.ProcessState.String()
	default:
	}
	return fmt.Sprintf("\n%s (pid %d) %s; the end of its log:\n%s", s.name, s.cmd.Process.Pid, state, tail(s.logPath, 1500))
}

// stop ends the server (SIGTERM to its process group, SIGKILL after 10 s) and records its
// peak RSS first.
func (s *system) stop() {
	s.notePeak()
	if s.worker != nil {
		s.worker.Close()
		s.wlog.Close()
		s.worker, s.wlog = nil, nil
		return
	}
	if s.cmd == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}

// pids are the running server's processes whose CPU time and memory count: the server
// process, or for workerd its workerd processes (wrangler dev runs two: its proxy and the
// runtime; wrangler's own Node process, the development tooling, does not count).
func (s *system) pids() []int {
	if s.worker != nil {
		p, _ := s.worker.WorkerdPIDs()
		return p
	}
	if s.cmd != nil {
		return []int{s.cmd.Process.Pid}
	}
	return nil
}

// procSum adds up read over pids; ok is false when there are none or a read fails.
func procSum[T int64 | time.Duration](pids []int, read func(pid int) (T, error)) (sum T, ok bool) {
	for _, pid := range pids {
		v, err := read(pid)
		if err != nil {
			return 0, false
		}
		sum += v
	}
	return sum, len(pids) > 0
}

// notePeak folds the running processes' VmHWM into peakRSSKiB.
func (s *system) notePeak() {
	v, ok := procSum(s.pids(), func(pid int) (int64, error) { return procStatusKiB(pid, "VmHWM") })
	if ok && v > s.peakRSSKiB {
		s.peakRSSKiB = v
	}
}

// rssKiB is the running server's resident set now.
func (s *system) rssKiB() int64 {
	v, _ := procSum(s.pids(), func(pid int) (int64, error) { return procStatusKiB(pid, "VmRSS") })
	return v
}

// cpuTime is the CPU time (user + system, all threads) the running server has used.
func (s *system) cpuTime() (time.Duration, bool) {
	return procSum(s.pids(), procCPU)
}

// procStatusKiB reads one "Name:   123 kB" line of /proc/<pid>/status.
func procStatusKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKiB(b, field)
}

func parseStatusKiB(status []byte, field string) (int64, error) {
	for _, line := range strings.Split(string(status), "\n") {
		name, rest, ok := strings.Cut(line, ":")
		if !ok || name != field {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		v, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("loadgen: malformed %s in /proc status", field)
		}
		return v, nil
	}
	return 0, fmt.Errorf("loadgen: no %s in /proc status", field)
}

// userHz is Linux's USER_HZ, the unit of /proc/<pid>/stat's CPU times (100 on every
// architecture Go supports).
const userHz = 100

// procCPU is utime + stime of /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseProcStatCPU(b)
}

func parseProcStatCPU(stat []byte) (time.Duration, error) {
	// The command name (field 2) is parenthesised and may hold spaces and parentheses:
	// fields count from the last ')'.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return 0, errors.New("loadgen: malformed /proc stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("loadgen: short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	st, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil || ut < 0 || st < 0 || ut > math.MaxInt64/2/int64(time.Second) || st > math.MaxInt64/2/int64(time.Second) {
		return 0, errors.New("loadgen: malformed /proc stat times")
	}
	return time.Duration(ut+st) * time.Second / userHz, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// tail is the last n bytes of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// startWorker starts poolgate's Worker (the run's snapshot) under wrangler dev with the
// system's configuration.
func (s *system) startWorker(ctx context.Context) (time.Duration, error) {
	var config []byte
	if s.config != "" {
		var err error
		if config, err = os.ReadFile(s.config); err != nil {
			return 0, err
		}
	}
	return s.launchWorker(func(o edgelocal.Options) (*edgelocal.Worker, error) {
		o.Config, o.PoolgateConfig = s.tools.workerConfig, config
		return edgelocal.Start(ctx, o)
	})
}

// launchWorker starts a Worker under wrangler dev through start, given the options every
// Worker of the run shares: s.port (a free one the first time), KV persisted in the data
// directory, the admin keys. It returns the time from exec to the Worker's first answer (its
// JS glue: poolgate's Go instance starts with the first API request).
func (s *system) launchWorker(start func(edgelocal.Options) (*edgelocal.Worker, error)) (time.Duration, error) {
	if s.port == 0 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		s.port = p
		s.url = fmt.Sprintf("http://127.0.0.1:%d", p)
	}
	s.logPath = filepath.Join(s.dir, "wrangler.log")
	f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	wlog := &lockedFile{f: f}
	t0 := time.Now()
	w, err := start(edgelocal.Options{
		Root: s.tools.root, Addr: fmt.Sprintf("127.0.0.1:%d", s.port), PersistDir: filepath.Join(s.dir, "kv"),
		AdminAccessKeyID: adminKey, AdminSecretAccessKey: adminSecret, MasterKey: s.master, Logf: wlog.logf,
	})
	if err != nil {
		wlog.Close()
		return 0, fmt.Errorf("loadgen: starting %s: %w; the end of wrangler's output:\n%s", s.name, err, tail(s.logPath, 2000))
	}
	ready := time.Since(t0)
	s.worker, s.wlog = w, wlog
	return ready, nil
}

// lockedFile is a log file written from several goroutines.
type lockedFile struct {
	mu     sync.Mutex
	f      *os.File
	closed bool
}

func (l *lockedFile) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		fmt.Fprintf(l.f, format+"\n", args...)
	}
}

func (l *lockedFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.f.Close()
}
