package hostsim

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// Defaults of the server's limits (Options.ReadHeaderTimeout, BodyIdleTimeout, BodyTimeout,
// IdleTimeout, MaxConnsPerClient).
const (
	defaultReadHeaderTimeout = 10 * time.Second
	defaultBodyIdleTimeout   = 30 * time.Second
	defaultBodyTimeout       = 30 * time.Second
	defaultIdleTimeout       = 2 * time.Minute
	defaultMaxConnsPerClient = 64
)

// limits are the server's bounds on slow and greedy clients, resolved from Options.
type limits struct {
	readHeader, bodyIdle, body, idle time.Duration
	maxConnsPerClient                int // <= 0: unbounded
}

func resolveLimits(o *Options) limits {
	or := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	l := limits{
		readHeader:        or(o.ReadHeaderTimeout, defaultReadHeaderTimeout),
		bodyIdle:          or(o.BodyIdleTimeout, defaultBodyIdleTimeout),
		body:              or(o.BodyTimeout, defaultBodyTimeout),
		idle:              or(o.IdleTimeout, defaultIdleTimeout),
		maxConnsPerClient: o.MaxConnsPerClient,
	}
	if l.maxConnsPerClient == 0 {
		l.maxConnsPerClient = defaultMaxConnsPerClient
	}
	return l
}

// progressBody is a request body whose every read must make progress within idle: before each
// read it moves the connection's read deadline to now+idle, or to its limit when that is
// sooner, so a client that stops sending is cut off while one that streams slowly but
// steadily is not (a total read timeout would end long gateway uploads). At the end of the
// body it lifts the deadline: net/http then watches the connection for the client hanging up,
// and that watch must not time out while the response is produced. After a failed read the
// deadline stays, so net/http's drain of an unread body after the handler is bounded too.
//
// Deadlines are set through http.ResponseController; a ResponseWriter without read deadlines
// (a handler called without a server) leaves reads unbounded.
type progressBody struct {
	body io.ReadCloser
	rc   *http.ResponseController
	idle time.Duration
	now  func() time.Time // the real clock: connection deadlines are wall-clock times

	mu    sync.Mutex
	limit time.Time // zero: none
	ended bool
}

func newProgressBody(w http.ResponseWriter, body io.ReadCloser, idle time.Duration) *progressBody {
	return &progressBody{body: body, rc: http.NewResponseController(w), idle: idle, now: time.Now}
}

// setLimit bounds every later read to end by t as well (zero removes the bound).
func (b *progressBody) setLimit(t time.Time) {
	b.mu.Lock()
	b.limit = t
	b.mu.Unlock()
}

func (b *progressBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if !b.ended {
		deadline := b.now().Add(b.idle)
		if !b.limit.IsZero() && b.limit.Before(deadline) {
			deadline = b.limit
		}
		_ = b.rc.SetReadDeadline(deadline)
	}
	b.mu.Unlock()
	n, err := b.body.Read(p)
	if err == io.EOF {
		b.mu.Lock()
		if !b.ended {
			b.ended = true
			_ = b.rc.SetReadDeadline(time.Time{})
		}
		b.mu.Unlock()
	}
	return n, err
}

func (b *progressBody) Close() error { return b.body.Close() }

// isTimeout reports whether err ends a body read at its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// clientLimitListener refuses a connection from a client address (IP) that already holds max:
// it is closed at once, without a byte, and Accept goes on to the next one.
type clientLimitListener struct {
	net.Listener
	max  int
	logf func(format string, args ...any)

	mu      sync.Mutex
	open    map[string]int
	refused map[string]bool // logged since the address was last under its limit
}

func newClientLimitListener(l net.Listener, max int, logf func(string, ...any)) net.Listener {
	if max <= 0 {
		return l
	}
	return &clientLimitListener{Listener: l, max: max, logf: logf, open: map[string]int{}, refused: map[string]bool{}}
}

func (l *clientLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := clientAddr(c.RemoteAddr())
		l.mu.Lock()
		if l.open[addr] >= l.max {
			first := !l.refused[addr]
			l.refused[addr] = true
			l.mu.Unlock()
			c.Close()
			if first {
				l.logf("hostsim: %s holds %d connections, the most one client may; refusing more until one closes", addr, l.max)
			}
			continue
		}
		l.open[addr]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(addr) }}, nil
	}
}

func (l *clientLimitListener) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[addr]--; l.open[addr] <= 0 {
		delete(l.open, addr)
	}
	delete(l.refused, addr)
}

// clientAddr is the client part of a remote address: its IP without the port.
func clientAddr(a net.Addr) string {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// countedConn gives its slot back once, at the first Close.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CloseWrite half-closes a TCP connection, as net/http does before closing one whose request
// body it did not read (so the client sees the response rather than a reset).
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
