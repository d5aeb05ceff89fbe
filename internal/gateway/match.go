package gateway

import (
	"cmp"
	"net"
	"slices"
	"strings"
)

// table is the compiled route table, most specific route first.
type table struct {
	routes []*route
	raw    []byte // the stored specs it was compiled from
}

func newTable(routes []*route, raw []byte) *table {
	slices.SortStableFunc(routes, func(a, b *route) int {
		if c := cmp.Compare(len(b.prefix), len(a.prefix)); c != 0 {
			return c
		}
		switch {
		case a.host != "" && b.host == "":
			return -1
		case a.host == "" && b.host != "":
			return 1
		case len(a.methods) > 0 && len(b.methods) == 0:
			return -1
		case len(a.methods) == 0 && len(b.methods) > 0:
			return 1
		}
		return 0
	})
	return &table{routes: routes, raw: raw}
}

// matchResult is what matching a request found.
type matchResult struct {
	route *route
	// methodOnly is set when a route's host and prefix match but none of its methods do:
	// the gateway answers 405 rather than letting the request reach the API.
	methodOnly *route
}

// match finds the route for host, path (decoded) and method.
func (t *table) match(host, path, method string) matchResult {
	if t == nil || len(t.routes) == 0 {
		return matchResult{}
	}
	host = strings.ToLower(host)
	var res matchResult
	for _, rt := range t.routes {
		if !rt.hostMatches(host) || !underPrefix(path, rt.prefix) {
			continue
		}
		if len(rt.methods) == 0 || slices.Contains(rt.methods, method) || (method == "OPTIONS" && rt.cors != nil) {
			res.route = rt
			return res
		}
		if res.methodOnly == nil {
			res.methodOnly = rt
		}
	}
	return res
}

// owner returns the first route that takes requests for host and path, whatever the method.
func (t *table) owner(host, path string) *route {
	if t == nil {
		return nil
	}
	host = strings.ToLower(host)
	for _, rt := range t.routes {
		if rt.hostMatches(host) && underPrefix(path, rt.prefix) {
			return rt
		}
	}
	return nil
}

// hostMatches compares the request's Host (lower case) with the route's: a route host without
// a port matches that host on any port.
func (rt *route) hostMatches(host string) bool {
	if rt.host == "" {
		return true
	}
	if host == rt.host {
		return true
	}
	if strings.Contains(rt.host, ":") && !strings.HasPrefix(rt.host, "[") {
		return false
	}
	h, _, err := net.SplitHostPort(host)
	return err == nil && h == rt.host
}

// underPrefix reports whether path is prefix or lies beneath it.
func underPrefix(path, prefix string) bool {
	if prefix == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == prefix || (strings.HasPrefix(path, prefix) && path[len(prefix)] == '/')
}

// cleanPathErr describes why p is not a clean absolute path ("" when it is): empty segments
// (except a trailing slash), "." and ".." segments, backslashes and control characters are
// spellings an origin may normalize into another path than the one a route matched.
func cleanPathErr(p string) string {
	if !strings.HasPrefix(p, "/") {
		return "does not start with /"
	}
	if strings.ContainsRune(p, '\\') {
		return "contains a backslash"
	}
	if hasControl(p) {
		return "contains control characters"
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		switch s {
		case "":
			if i != len(segs)-1 {
				return "contains an empty segment (//)"
			}
		case ".", "..":
			return "contains a dot segment"
		}
	}
	return ""
}

// normalizePath is the path an origin that collapses slashes, treats backslashes as slashes
// and resolves dot segments would serve for p.
func normalizePath(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	var out []string
	for s := range strings.SplitSeq(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}
