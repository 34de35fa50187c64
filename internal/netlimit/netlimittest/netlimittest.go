// Package netlimittest opens the connections a client holds to exhaust a
// server, for the tests of netlimit and of the servers that use it.
package netlimittest

import (
	"io"
	"net"
	"testing"
)

// Dial opens a connection to addr that sends nothing; it is closed when
// the test ends.
func Dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// SlowBody opens a connection that sends a form POST's headers and the
// first byte of its body, then nothing: a request in progress the server
// cannot finish.
func SlowBody(t testing.TB, addr string) net.Conn {
	t.Helper()
	c := Dial(t, addr)
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: "+addr+
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nA"); err != nil {
		t.Fatal(err)
	}
	return c
}
