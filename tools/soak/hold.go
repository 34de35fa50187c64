package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// holder is a child process holding connections to mantle.
type holder struct {
	cmd  *exec.Cmd
	last atomic.Int64 // connections open, as the child last reported
}

// startHolder starts a child holding idle silent connections and slow
// bodies, opened over ramp.
func startHolder(ctx context.Context, addr string, idle, slow int, ramp time.Duration) (*holder, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "-hold", addr, "-hold-idle", strconv.Itoa(idle), "-hold-slow", strconv.Itoa(slow), "-hold-ramp", ramp.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h := &holder{cmd: cmd}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.Fields(sc.Text())[0]); err == nil {
				h.last.Store(int64(n))
			}
		}
	}()
	return h, nil
}

func (h *holder) held() int { return int(h.last.Load()) }

func (h *holder) stop() {
	_ = h.cmd.Process.Kill()
	_ = h.cmd.Wait()
}

// holdConns keeps idle connections (that send nothing) and slow bodies (a
// byte every 5 s) open to addr, reconnecting whenever the server closes
// one, and reports how many are open every second until killed. They are
// opened evenly over ramp.
func holdConns(addr string, idle, slow int, ramp time.Duration) {
	var open, reconnects atomic.Int64
	keep := func(slowBody bool) {
		for {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			open.Add(1)
			if slowBody {
				go func() {
					_, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: "+addr+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n")
					for err == nil {
						_, err = c.Write([]byte("A"))
						time.Sleep(5 * time.Second)
					}
				}()
			}
			_, _ = io.Copy(io.Discard, c) // until the server closes it
			c.Close()
			open.Add(-1)
			reconnects.Add(1)
			// Back within a second, as many independent clients would
			// be: all at once would be a SYN flood, which the kernel's
			// accept queue (not mantle) takes first.
			time.Sleep(100*time.Millisecond + rand.N(time.Second))
		}
	}
	n := idle + slow
	pause := ramp / time.Duration(max(n, 1))
	for i := range n {
		go keep(i < slow)
		if pause > 0 {
			time.Sleep(pause)
		}
	}
	for {
		time.Sleep(time.Second)
		fmt.Fprintf(os.Stdout, "%d open %d reconnects\n", open.Load(), reconnects.Load())
	}
}
