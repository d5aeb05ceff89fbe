package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
)

// tracedConn remembers the stack of whoever closed it; a read or write after the close reports
// that stack with its error, so a "use of closed network connection" names its closer.
type tracedConn struct {
	net.Conn
	mu     sync.Mutex
	closer string
}

func (c *tracedConn) Close() error {
	buf := make([]byte, 4096)
	buf = buf[:runtime.Stack(buf, false)]
	c.mu.Lock()
	if c.closer == "" {
		c.closer = string(buf)
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *tracedConn) wrap(err error) error {
	if err == nil || !errors.Is(err, net.ErrClosed) {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return fmt.Errorf("%w [closed by: %s]", err, c.closer)
}

func (c *tracedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.wrap(err)
}

func (c *tracedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, c.wrap(err)
}

func tracedDial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &tracedConn{Conn: c}, nil
}
